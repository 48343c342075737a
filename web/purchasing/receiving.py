"""Receiving against a purchase order: per line the received, accepted and rejected quantities,
and the inspection the item's plan asks for (sample size, Ac/Re) for the lot being received."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for

from delivery.access import EVERYONE, roles
from delivery.schemas.receipts import ReceiptInSchema
from inventory.domain import sampling as sp
from inventory.domain.actors import Role
from inventory.domain.receiving import CAN_RECEIVE, DEFAULT_TOLERANCE_PCT, ReceiptLineIn
from inventory.errors import Conflict, DomainError, ValidationFailed
from inventory.services import inspection, purchase_orders, receipts
from web.blueprint import pages
from web.forms import load, once
from web.purchasing.common import as_id, field_errors, refused, renumber

RECEIVERS = (Role.ADMIN, Role.WAREHOUSE)
FIELDS = ("received", "accepted", "rejected", "reason", "defects_found")
ORDER = "/purchasing/orders/<int(max=2147483647):order_id>"
MAX_LOT = 2**31 - 1


def _receivable(order: dict) -> None:
    if order["status"] not in {s.value for s in CAN_RECEIVE}:
        raise Conflict(
            f"Purchase order {order['id']} is {order['status'].replace('_', ' ')}; goods are "
            "received against a sent order."
        )


def _lot(text: str | None, fallback: Decimal) -> int:
    try:
        quantity = Decimal((text or "").strip() or fallback)
    except InvalidOperation:
        quantity = fallback
    if not quantity.is_finite() or quantity <= 0:
        quantity = fallback
    # Capped before rounding: ceil of 1e999999 builds a million-digit integer (a worker held for
    # its whole timeout by one GET).
    return sp.lot_size_of(min(max(quantity, Decimal(1)), Decimal(MAX_LOT)))


def _inspections(order: dict, typed: dict) -> dict[int, dict]:
    """What the inspector is told per line, for the lot as typed (else the open quantity)."""
    return {
        line["id"]: inspection.preview(
            order["id"],
            line["id"],
            _lot(typed.get(line["id"], {}).get("received"), line["open_quantity"]),
        )
        for line in order["lines"]
    }


def _form(order: dict, typed: dict, errors: dict, status: int = 200):
    page = render_template(
        "web/purchasing/receive.html",
        order=order,
        typed=typed,
        errors=errors,
        inspections=_inspections(order, typed),
    )
    return page, status


@pages.get(f"{ORDER}/receive")
@roles(*RECEIVERS)
def purchase_order_receive(order_id: int):
    order = purchase_orders.get_order(order_id)
    try:
        _receivable(order)
    except Conflict as error:
        refused(error)
        return redirect(url_for("web.purchase_order_page", order_id=order_id))
    typed = {
        line["id"]: {"received": str(line["open_quantity"]), "rejected": "0"}
        for line in order["lines"]
        if line["open_quantity"] > 0
    }
    return _form(order, typed, {})


@pages.get(f"{ORDER}/lines/<int(max=2147483647):line_id>/inspection")
@roles(*EVERYONE)
def purchase_order_line_inspection(order_id: int, line_id: int):
    """The inspection cell of one line for the quantity typed (htmx swaps it in)."""
    order = purchase_orders.get_order(order_id)
    line = next((x for x in order["lines"] if x["id"] == line_id), None)
    if line is None:
        abort(404, f"Purchase order {order_id} has no line {line_id}.")
    lot = _lot(request.args.get(f"line-{line_id}-received"), line["open_quantity"])
    told = inspection.preview(order_id, line_id, lot)
    return render_template("web/purchasing/_inspection.html", line=line, told=told)


def _typed(form, order: dict) -> dict[int, dict]:
    return {
        line["id"]: {f: form.get(f"line-{line['id']}-{f}", "").strip() for f in FIELDS}
        for line in order["lines"]
    }


def _payload(typed: dict[int, dict]) -> tuple[dict, list[int]]:
    """The receipt as the API's schema reads it (lines with nothing received left out; a blank
    accepted is what was received less what was rejected) and each line's order line id."""
    lines, rows = [], []
    for line_id, row in typed.items():
        if row["received"] in ("", "0") and not row["accepted"] and row["rejected"] in ("", "0"):
            continue
        accepted = row["accepted"]
        if not accepted:
            try:
                accepted = str(Decimal(row["received"]) - Decimal(row["rejected"] or "0"))
            except InvalidOperation:
                accepted = ""
        lines.append(
            {
                "po_line_id": line_id,
                "received": row["received"],
                "accepted": accepted,
                "rejected": row["rejected"] or "0",
                "reason": row["reason"],
                "defects_found": as_id(row["defects_found"]) if row["defects_found"] else None,
            }
        )
        rows.append(line_id)
    return {"lines": lines}, rows


@pages.post(f"{ORDER}/receive")
@roles(*RECEIVERS)
def purchase_order_receive_post(order_id: int):
    order = purchase_orders.get_order(order_id)
    typed = _typed(request.form, order)
    data, rows = _payload(typed)
    loaded, errors = load(ReceiptInSchema(), data)
    if loaded is None:
        errors = renumber(errors, rows, {})
        if "lines" in errors:
            errors["lines"] = "Type what was received on at least one line."
        return _form(order, typed, errors, 422)
    lines = [
        ReceiptLineIn(
            x["po_line_id"],
            x["received"],
            x["accepted"],
            x["rejected"],
            x["reason"],
            x["defects_found"],
        )
        for x in loaded["lines"]
    ]
    tolerance = current_app.config.get("RECEIPT_TOLERANCE_PCT", DEFAULT_TOLERANCE_PCT)

    def work():
        done = receipts.receive(g.actor, order_id, lines, tolerance_pct=tolerance)
        return 201, {"id": done.receipt_id}

    try:
        _, body = once(work)
    except ValidationFailed as invalid:
        errors = renumber(field_errors(invalid), rows, {})
        errors["_form"] = str(invalid)
        return _form(order, typed, errors, 422)
    except Conflict as conflict:
        over = conflict.extra.get("over_receipt", [])
        if not over:
            refused(conflict)
            return redirect(url_for("web.purchase_order_page", order_id=order_id))
        errors = {
            f"lines.{x['po_line_id']}.accepted": f"At most {x['limit']} in all "
            f"(ordered {x['ordered']}, received before {x['already_received']})."
            for x in over
        }
        errors["_form"] = str(conflict)
        return _form(order, typed, errors, 409)
    except DomainError as error:
        refused(error)
        return redirect(url_for("web.purchase_order_page", order_id=order_id))
    flash(f"Goods receipt {body['id']} posted against purchase order {order_id}.")
    return redirect(url_for("web.purchase_order_page", order_id=order_id))
