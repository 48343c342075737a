"""Counting: stocktakes from a phone, blind, and the supervisor's review.

Counters see the next lines to count and their own counts, never the book (the service's
``count_sheet`` leaves it out); a line whose count is out of tolerance is marked for a recount.
The supervisor's review shows the variances per line (quantity and value), approval and posting,
each button only to the roles the API admits for it.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from delivery.access import roles
from delivery.schemas.stocktakes import CountLineInSchema, StocktakeInSchema
from inventory.db import desk_queries, queries, request_queries, stocktake_queries
from inventory.domain.actors import Role
from inventory.domain.stocktake import CountIn, CountState
from inventory.domain.wording import quoted
from inventory.errors import Conflict, PermissionDenied, ValidationFailed
from inventory.services import stocktakes
from web.blueprint import pages
from web.desk import quantity_text
from web.forms import flatten, form_id, load, once
from web.items_paging import page_number
from web.nav import menu_entry

COUNTERS = (Role.ADMIN, Role.WAREHOUSE)  # as POST /stocktakes, .../counts and .../post
APPROVERS = (Role.ADMIN, Role.APPROVER)  # as POST .../approve
SUPERVISORS = (Role.ADMIN, Role.APPROVER, Role.WAREHOUSE)  # who approves or posts
SHEET_PAGE = 25
REVIEW_PAGE = 100
LIST_PAGE = 50
MAX_WAREHOUSES = 500
MAX_CENTRES = 500
ID = "<int(max=2147483647):stocktake_id>"

menu_entry("Counting", "counting", SUPERVISORS, 20)


def _pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


def _may(*allowed: Role) -> bool:
    return g.actor.has_any({str(r) for r in allowed})


def _render_list(form: dict, errors: dict, message: str = ""):
    page_no = page_number()
    rows, total = queries.page(stocktake_queries.stocktakes(status="open"), page_no, LIST_PAGE)
    warehouses = queries.first_rows(queries.warehouses(active=True), MAX_WAREHOUSES)
    codes = {w["id"]: w["code"] for w in warehouses}
    centres = queries.first_rows(request_queries.cost_centres(active=True), MAX_CENTRES)
    return render_template(
        "web/counting/list.html",
        stocktakes=rows,
        codes=codes,
        warehouses=warehouses,
        centres=centres,
        form=form,
        errors=errors,
        message=message,
        page_no=page_no,
        pages_total=_pages(total, LIST_PAGE),
        may_count=_may(*COUNTERS),
    )


@pages.get("/counting")
@roles(*SUPERVISORS)
def counting():
    blank = {"warehouse_id": request.args.get("warehouse_id", ""), "category": "",
             "cost_centre_id": ""}  # fmt: skip
    return _render_list(blank, {})


@pages.post("/counting")
@roles(*COUNTERS)
def counting_open():
    form = {
        "warehouse_id": request.form.get("warehouse_id", ""),
        "category": request.form.get("category", "").strip(),
        "cost_centre_id": request.form.get("cost_centre_id", ""),
    }
    values = {
        "warehouse_id": form_id(form["warehouse_id"]),
        "category": form["category"] or None,
        "cost_centre_id": form_id(form["cost_centre_id"]) if form["cost_centre_id"] else None,
    }
    data, errors = load(StocktakeInSchema(), values)
    if errors:
        return _render_list(form, errors, "The stocktake was not opened; see below."), 422
    options = {k: v for k, v in data.items() if k != "warehouse_id"}
    try:
        _, body = once(
            lambda: (201, {"id": stocktakes.create(g.actor, data["warehouse_id"], **options)})
        )
    except ValidationFailed as invalid:
        return _render_list(form, flatten(invalid.errors), invalid.detail), 422
    except Conflict as refused:  # another open count holds some of these items
        return _render_list(form, {}, str(refused)), 409
    flash(f"Stocktake {body['id']} opened. Count every line; 0 when none is on the shelf.")
    return redirect(url_for("web.counting_sheet", stocktake_id=body["id"]))


def _render_sheet(stocktake_id: int, scan: dict, errors: dict, message: str = ""):
    page_no = page_number()
    sheet = stocktakes.count_sheet(stocktake_id, page=page_no, per_page=SHEET_PAGE)
    return render_template(
        "web/counting/sheet.html",
        sheet=sheet,
        lines=(sheet["recount"] if page_no == 1 else []) + sheet["to_count"],
        warehouse=desk_queries.warehouse_code(sheet["warehouse_id"]),
        scan=scan,
        errors=errors,
        message=message,
        page_no=page_no,
        pages_total=_pages(sheet["lines_to_count"], SHEET_PAGE),
        may_review=_may(*SUPERVISORS),
    )


@pages.get(f"/counting/{ID}")
@roles(*COUNTERS)
def counting_sheet(stocktake_id: int):
    return _render_sheet(stocktake_id, {"sku": "", "counted_quantity": ""}, {})


@pages.post(f"/counting/{ID}/count")
@roles(*COUNTERS)
def counting_count(stocktake_id: int):
    """One count, from the scan form (``sku``) or a line's own form (``item_id``)."""
    sku = request.form.get("sku", "").strip()
    item_id = request.form.get("item_id", "").strip()
    typed = request.form.get("counted_quantity", "").strip()
    scan = {"sku": sku, "counted_quantity": typed, "item_id": item_id}
    prefix = "scan" if not item_id else f"line-{item_id}"
    if not item_id:
        if not sku:
            return _refuse(stocktake_id, scan, {"scan.sku": "Scan or type the SKU you counted."})
        item = desk_queries.item_by_sku(sku)
        if item is None:
            text = f"No item has the SKU {quoted(sku)}. Check the label, or count it from the list."
            return _refuse(stocktake_id, scan, {"scan.sku": text})
        item_id = str(item["id"])
    data, errors = load(
        CountLineInSchema(), {"item_id": form_id(item_id), "counted_quantity": typed}
    )
    if errors.keys() - {"counted_quantity"}:  # the line itself (a hidden field) is not usable
        text = "That line is not on this count sheet; reload the page and count from the list."
        return _refuse(stocktake_id, scan, {}, text)
    if errors:
        where = {f"{prefix}.{k}": v for k, v in errors.items()}
        return _refuse(stocktake_id, scan, where)
    counted = CountIn(data["item_id"], data["counted_quantity"])
    try:
        once(lambda: (200, {"id": stocktakes.count(g.actor, stocktake_id, [counted])}))
    except ValidationFailed as invalid:  # not on this stocktake's sheet, or too many decimals
        where = {}
        for key, text in flatten(invalid.errors).items():
            field = "counted_quantity" if key.endswith("counted_quantity") else "sku"
            where[f"{prefix}.{field}"] = text
        return _refuse(stocktake_id, scan, where or {f"{prefix}.sku": invalid.detail})
    except Conflict as refused:  # the stocktake is closed
        return _refuse(stocktake_id, scan, {}, str(refused), 409)
    line = stocktakes.line_state(stocktake_id, counted.item_id)
    name = line["sku"] if line else f"item {counted.item_id}"
    text = f"Counted {name}: {quantity_text(counted.counted_quantity)}."
    if line and line["state"] is CountState.RECOUNT and line["count_number"] > 1:
        flash(
            f"{text} Still out of tolerance after {line['count_number']} counts: count it "
            "once more, or leave it to the supervisor.",
            "warning",
        )
    elif line and line["state"] is CountState.RECOUNT:
        flash(f"{text} That is out of tolerance: please count {name} again.", "warning")
    else:
        flash(text)
    return redirect(url_for("web.counting_sheet", stocktake_id=stocktake_id))


def _refuse(stocktake_id: int, scan: dict, errors: dict, message: str = "", status: int = 422):
    message = message or "That count was not saved; see below."
    return _render_sheet(stocktake_id, scan, errors, message), status


def _render_review(stocktake_id: int, message: str = ""):
    page_no = page_number()
    take = stocktakes.review(stocktake_id, g.actor.roles, page=page_no, per_page=REVIEW_PAGE)
    listed = take["shown_of"] if take["book_visible"] else take["lines_total"]
    return render_template(
        "web/counting/review.html",
        take=take,
        lines=take["lines"],
        warehouse=desk_queries.warehouse_code(take["warehouse_id"]),
        message=message,
        page_no=page_no,
        pages_total=_pages(listed, REVIEW_PAGE),
        may_approve=_may(*APPROVERS),
        may_post=_may(*COUNTERS),
    )


@pages.get(f"/counting/{ID}/review")
@roles(*SUPERVISORS)
def counting_review(stocktake_id: int):
    return _render_review(stocktake_id)


@pages.post(f"/counting/{ID}/approve")
@roles(*APPROVERS)
def counting_approve(stocktake_id: int):
    try:
        once(lambda: (200, {"id": stocktakes.approve(g.actor, stocktake_id)}))
    except (Conflict, PermissionDenied) as refused:  # uncounted lines, own count, already done
        return _render_review(stocktake_id, str(refused)), refused.status
    flash(f"Stocktake {stocktake_id} approved; it can be posted now.")
    return redirect(url_for("web.counting_review", stocktake_id=stocktake_id))


@pages.post(f"/counting/{ID}/post")
@roles(*COUNTERS)
def counting_post(stocktake_id: int):
    try:
        once(lambda: (200, {"id": stocktakes.post(g.actor, stocktake_id)}))
    except Conflict as refused:  # uncounted lines, or variances waiting for an approver
        return _render_review(stocktake_id, str(refused)), refused.status
    flash(f"Stocktake {stocktake_id} posted: the books now hold the counted quantities.")
    return redirect(url_for("web.counting_review", stocktake_id=stocktake_id))
