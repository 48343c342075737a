"""The warehouse desk: receipts, issues and transfers entered fast, with a barcode scanner.

A keyboard-wedge scanner types the SKU and Enter; ``desk.js`` turns that Enter into a new line
(looked up here, by SKU in any case) or one more of a line already there, and never submits the
form. Posting goes through the same service and idempotency store as ``POST /stock-documents``;
refusals (not enough stock, unknown warehouse) come back beside the line or field they concern.
Today's documents (in ``SERVICE_TIME_ZONE``) are listed under the form, each with a cancel that
asks for confirmation and then reverses it through the API's cancel service.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from flask import flash, g, redirect, render_template, request, url_for

from delivery.access import roles
from delivery.schemas.stock import StockDocumentInSchema
from inventory import clock
from inventory.db import desk_queries, queries
from inventory.domain.actors import Role
from inventory.domain.documents import DocumentType, LineIn
from inventory.domain.wording import quoted
from inventory.errors import Conflict, InsufficientStock, NotFound, ValidationFailed
from inventory.services import stock
from web.blueprint import pages
from web.forms import flatten, form_id, load, once
from web.items_paging import page_number
from web.nav import menu_entry

WRITERS = (Role.ADMIN, Role.WAREHOUSE)  # as POST /stock-documents and its cancel
DESK_TYPES = {"receipt": "Receipt", "issue": "Issue", "transfer": "Transfer"}
LABELS = {**DESK_TYPES, "adjustment": "Adjustment"}
PER_PAGE = 50
MAX_WAREHOUSES = 500

menu_entry("Desk", "desk", WRITERS, 10)


@pages.app_template_filter("desk_qty")
def quantity_text(value) -> str:
    """``Decimal('3.000')`` as ``3`` and ``2.500`` as ``2.5``: how people write amounts."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _doc_type(value: str | None) -> str:
    return value if value in DESK_TYPES else "receipt"


def _today() -> tuple[datetime, datetime]:
    """Today in the service's time zone, as a UTC range [start, end)."""
    zone = clock.service_zone()
    day = clock.today()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _render(doc_type: str, form: dict, lines: list[dict], errors: dict, message: str = ""):
    start, end = _today()
    page_no = page_number()
    documents, total = queries.page(
        desk_queries.documents_created_between(start, end), page_no, PER_PAGE
    )
    zone = clock.service_zone()
    for document in documents:
        document["local_time"] = document["created_at"].astimezone(zone).strftime("%H:%M")
    return render_template(
        "web/desk/desk.html",
        doc_type=doc_type,
        types=DESK_TYPES,
        labels=LABELS,
        form=form,
        lines=lines,
        errors=errors,
        message=message,
        warehouses=queries.first_rows(queries.warehouses(active=True), MAX_WAREHOUSES),
        documents=documents,
        page_no=page_no,
        pages_total=max(1, -(-total // PER_PAGE)),
        day=clock.today(),
    )


@pages.get("/desk")
@roles(*WRITERS)
def desk():
    doc_type = _doc_type(request.args.get("type"))
    form = {
        "warehouse_id": request.args.get("warehouse_id", ""),
        "to_warehouse_id": request.args.get("to_warehouse_id", ""),
        "reference": "",
    }
    return _render(doc_type, form, [], {})


@pages.get("/desk/lookup")
@roles(*WRITERS)
def desk_lookup():
    """One line for the scanned SKU (a table row), or why there is none (422/404 fragment)."""
    doc_type = _doc_type(request.args.get("type"))
    sku = request.args.get("sku", "").strip()
    item = desk_queries.item_by_sku(sku)
    if item is None:
        text = f"No item has the SKU {quoted(sku)}. Check the label, or type the SKU by hand."
        return render_template("web/desk/_sku_error.html", message=text), 404
    if not item["active"]:
        text = f"Item {item['sku']} is inactive, so it cannot move. Ask an admin to activate it."
        return render_template("web/desk/_sku_error.html", message=text), 422
    cost = item["valuation_cost"]
    line = {
        "item_id": item["id"],
        "sku": item["sku"],
        "name": item["name"],
        "quantity": "1",
        "unit_cost": quantity_text(cost) if cost else "",
    }
    return render_template("web/desk/_line.html", line=line, index=0, doc_type=doc_type, errors={})


def _posted_lines(values, doc_type: str) -> list[dict]:
    """The lines as the form sent them (parallel lists, one entry per row), to show again."""
    item_ids = values.getlist("item_id")
    skus = values.getlist("sku")
    names = values.getlist("name")
    quantities = values.getlist("quantity")
    costs = values.getlist("unit_cost") if doc_type == "receipt" else []
    lines = []
    for i, item_id in enumerate(item_ids):
        lines.append(
            {
                "item_id": item_id,
                "sku": skus[i] if i < len(skus) else "",
                "name": names[i] if i < len(names) else "",
                "quantity": quantities[i].strip() if i < len(quantities) else "",
                "unit_cost": costs[i].strip() if i < len(costs) else "",
            }
        )
    return lines


def _payload(doc_type: str, form: dict, lines: list[dict]) -> dict:
    return {
        "type": doc_type,
        "warehouse_id": form_id(form["warehouse_id"]),
        "to_warehouse_id": form_id(form["to_warehouse_id"]) or None,
        "reference": form["reference"],
        "lines": [
            {
                "item_id": form_id(line["item_id"]),
                "quantity": line["quantity"],
                "unit_cost": line["unit_cost"] or None,
            }
            for line in lines
        ],
    }


def _shortage_errors(short: InsufficientStock, lines: list[dict]) -> dict[str, str]:
    """ "Only 3 on hand" beside each line the shortage names."""
    errors = {}
    shortages = short.extra.get("shortages", [])
    for shortage in shortages:
        item = str(shortage["item_id"])
        rows = [i for i, line in enumerate(lines) if str(line["item_id"]) == item]
        if len(rows) > 1:  # the same item on several lines: what they ask together
            asked = sum((_number(lines[i]["quantity"]) for i in rows), Decimal(0))
            together = f"its {len(rows)} lines ask {quantity_text(asked)} in all"
            if sum(str(s["item_id"]) == item for s in shortages) == 1:
                # The shortage counts what the earlier lines left: with one line short, what
                # was on hand is that plus what the other lines take.
                had = Decimal(shortage["available"]) + asked - Decimal(shortage["requested"])
                together = f"Only {quantity_text(had)} on hand; {together}"
            text = f"{together[0].upper()}{together[1:]}. Lower them, or receive the stock first."
        else:
            text = (
                f"Only {quantity_text(shortage['available'])} on hand, "
                f"{quantity_text(shortage['requested'])} asked. "
                "Lower the quantity, or receive the stock first."
            )
        for i in rows:
            errors[f"lines.{i}.quantity"] = text
    return errors


def _number(text) -> Decimal:
    try:
        return Decimal(str(text).strip() or "0")
    except InvalidOperation:
        return Decimal(0)


@pages.post("/desk")
@roles(*WRITERS)
def desk_post():
    doc_type = _doc_type(request.form.get("type"))
    transfer = doc_type == "transfer"
    form = {
        "warehouse_id": request.form.get("warehouse_id", ""),
        "to_warehouse_id": request.form.get("to_warehouse_id", "") if transfer else "",
        "reference": request.form.get("reference", "").strip(),
    }
    lines = _posted_lines(request.form, doc_type)
    data, errors = load(StockDocumentInSchema(), _payload(doc_type, form, lines))
    if errors:
        if "lines" in errors and not lines:
            errors["lines"] = "Scan or type at least one SKU before posting."
        return _render(doc_type, form, lines, errors, "Nothing was posted; see below."), 422
    new = stock.NewDocument(
        type=DocumentType(data["type"]),
        warehouse_id=data["warehouse_id"],
        to_warehouse_id=data["to_warehouse_id"],
        reference=data["reference"],
        lines=[LineIn(x["item_id"], x["quantity"], x["unit_cost"]) for x in data["lines"]],
    )
    try:
        _, body = once(lambda: (201, {"id": stock.create_document(g.actor, new)}))
    except InsufficientStock as short:
        errors = _shortage_errors(short, lines)
        message = "Not enough stock, so nothing was posted: see the line marked below."
        return _render(doc_type, form, lines, errors, message), 409
    except ValidationFailed as invalid:
        message = f"{invalid.detail} Nothing was posted."
        return _render(doc_type, form, lines, flatten(invalid.errors), message), 422
    except Conflict as refused:
        return _render(doc_type, form, lines, {}, str(refused)), 409
    count = len(new.lines)
    flash(f"{LABELS[doc_type]} {body['id']} posted with {count} line{'s' if count != 1 else ''}.")
    return redirect(
        url_for(
            "web.desk",
            type=doc_type,
            warehouse_id=form["warehouse_id"],
            to_warehouse_id=form["to_warehouse_id"] or None,
        )
    )


def _document(document_id: int) -> dict:
    document = queries.document(document_id)
    if document is None:
        raise NotFound(f"No stock document with id {document_id}.")
    labels = desk_queries.item_labels(x["item_id"] for x in document["lines"])
    for line in document["lines"]:
        line |= labels.get(line["item_id"], {"sku": str(line["item_id"]), "name": ""})
    return document


def _render_cancel(document: dict, message: str = ""):
    return render_template(
        "web/desk/cancel.html", document=document, labels=LABELS, message=message
    )


ID = "<int(max=2147483647):document_id>"


@pages.get(f"/desk/documents/{ID}/cancel")
@roles(*WRITERS)
def desk_cancel(document_id: int):
    return _render_cancel(_document(document_id))


@pages.post(f"/desk/documents/{ID}/cancel")
@roles(*WRITERS)
def desk_cancel_post(document_id: int):
    try:
        once(lambda: (200, {"id": stock.cancel_document(g.actor, document_id)}))
    except Conflict as refused:  # not enough stock left to reverse, or already cancelled
        return _render_cancel(_document(document_id), str(refused)), 409
    document = _document(document_id)
    reversed_ = "; its stock movements are reversed" if document["posted_at"] else ""
    flash(f"{LABELS.get(document['type'], 'Document')} {document_id} cancelled{reversed_}.")
    return redirect(url_for("web.desk", type=_doc_type(document["type"])))
