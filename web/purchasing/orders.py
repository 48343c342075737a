"""Purchase orders: approved request lines still to order, each with the supplier the service
would propose and why; drafting orders from a selection; the order list and page; sending."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for

from delivery.access import EVERYONE, roles
from delivery.schemas.orders import FromRequestsInSchema
from inventory import clock
from inventory.db import purchasing_page_queries as ppq
from inventory.db import purchasing_queries as pq
from inventory.db import queries, receipt_queries
from inventory.domain.actors import Role
from inventory.domain.orders import DEFAULT_APPROVAL_TOLERANCE_PCT, OrderStatus
from inventory.domain.pricing import BASE_CURRENCY
from inventory.domain.receiving import CAN_RECEIVE
from inventory.errors import DomainError, ValidationFailed
from inventory.services import order_from_requests, purchase_orders, suppliers
from web.blueprint import pages
from web.forms import load, once
from web.nav import menu_entry
from web.purchasing.common import as_id, field_errors, page_url, paged, refused

BUYERS = (Role.ADMIN, Role.PURCHASING)
RECEIVERS = (Role.ADMIN, Role.WAREHOUSE)
STATUSES = [s.value for s in OrderStatus]
MAX_WAREHOUSES = 500
RECEIPTS_SHOWN = 20

menu_entry("Orders", "purchase_orders_list", EVERYONE, 50)


@pages.get("/purchasing/orders")
@roles(*EVERYONE)
def purchase_orders_list():
    status = request.args.get("status") or None
    if status not in STATUSES:
        status = None
    request_id = as_id(request.args.get("request_id"))
    if not isinstance(request_id, int):
        request_id = None
    found = paged(pq.purchase_orders(status=status, request_id=request_id))
    found["rows"] = pq.with_total_base(found["rows"])
    return render_template(
        "web/purchasing/orders.html",
        found=found,
        status=status,
        request_id=request_id,
        statuses=STATUSES,
        may_buy=g.actor.has_any(BUYERS),
        page_url=lambda number: page_url("web.purchase_orders_list", number),
    )


def _warehouses() -> list[dict]:
    return queries.first_rows(queries.warehouses(active=True), MAX_WAREHOUSES)


def orderable_page(errors: dict | None = None, chosen=(), warehouse_id=None, status: int = 200):
    found = paged(ppq.orderable_request_lines())
    rows = found["rows"]
    needs = [(r["item_id"], r["quantity"] - r["ordered_quantity"], r["needed_by"]) for r in rows]
    for row, proposal in zip(rows, suppliers.proposals_for(needs, clock.now().date()), strict=True):
        row["remaining"] = row["quantity"] - row["ordered_quantity"]
        row["proposal"] = proposal
    page = render_template(
        "web/purchasing/orderable.html",
        found=found,
        warehouses=_warehouses(),
        errors=errors or {},
        chosen={str(x) for x in chosen},
        warehouse_id=str(warehouse_id or ""),
        page_url=lambda number: page_url("web.purchase_orders_new", number),
    )
    return page, status


@pages.get("/purchasing/orders/from-requests")
@roles(*BUYERS)
def purchase_orders_new():
    return orderable_page()


def _line_errors(errors: dict[str, str], ids: list) -> dict[str, str]:
    """``request_line_ids.<k>`` errors as errors of the request line they name."""
    found: dict[str, str] = {}
    for key, message in errors.items():
        parts = key.split(".")
        if parts[0] == "request_line_ids" and len(parts) > 1 and parts[1].isdecimal():
            k = int(parts[1])
            key = f"line.{ids[k]}" if k < len(ids) else key
        found[key] = message
    return found


@pages.post("/purchasing/orders/from-requests")
@roles(*BUYERS)
def purchase_orders_create():
    ids = [as_id(x) for x in request.form.getlist("request_line_id")]
    warehouse_id = as_id(request.form.get("warehouse_id"))
    values = {"request_line_ids": ids, "warehouse_id": warehouse_id}
    if warehouse_id is None:
        values.pop("warehouse_id")
    data, errors = load(FromRequestsInSchema(), values)
    if data is None:
        if "request_line_ids" in errors:
            errors["request_line_ids"] = "Tick at least one line to order."
        if any(k.startswith("request_line_ids.") for k in errors):  # a tampered hidden id
            errors["_form"] = "A ticked line is not one this page offers; reload it, tick again."
        return orderable_page(errors, ids, warehouse_id, 422)
    tolerance = Decimal(
        str(current_app.config.get("PO_APPROVAL_TOLERANCE_PCT", DEFAULT_APPROVAL_TOLERANCE_PCT))
    )

    def work():
        order_ids = order_from_requests.create_from_requests(
            g.actor,
            data["request_line_ids"],
            data["warehouse_id"],
            clock.now().date(),
            tolerance_pct=tolerance,
        )
        return 201, {"orders": order_ids}

    try:
        _, body = once(work)
    except DomainError as error:
        if not isinstance(error, ValidationFailed) and error.status != 409:
            raise
        errors = _line_errors(field_errors(error), data["request_line_ids"])
        # Named at the top too: a line ordered from another tab meanwhile is no longer listed.
        named = [f"request line {k[5:]}: {m}" for k, m in errors.items() if k.startswith("line.")]
        errors["_form"] = " ".join([str(error), *named])
        return orderable_page(errors, ids, warehouse_id, error.status)
    made = body["orders"]
    names = ", ".join(f"#{x}" for x in made)
    flash(f"Draft purchase order{'s' if len(made) > 1 else ''} {names} raised. Send when ready.")
    return redirect(url_for("web.purchase_order_page", order_id=made[0]))


@pages.get("/purchasing/orders/<int(max=2147483647):order_id>")
@roles(*EVERYONE)
def purchase_order_page(order_id: int):
    order = purchase_orders.get_order(order_id)
    receipts, receipt_count = receipt_queries.order_receipts(order_id, 1, RECEIPTS_SHOWN)
    actor = g.actor
    receivable = {s.value for s in CAN_RECEIVE}
    return render_template(
        "web/purchasing/order.html",
        order=order,
        receipts=receipts,
        receipt_count=receipt_count,
        names=ppq.usernames([order["created_by"]] + [r["received_by"] for r in receipts]),
        may_send=order["status"] == OrderStatus.DRAFT.value and actor.has_any(BUYERS),
        may_receive=order["status"] in receivable and actor.has_any(RECEIVERS),
        base_currency=BASE_CURRENCY,
        line_skus={line["id"]: line["sku"] for line in order["lines"]},
    )


@pages.post("/purchasing/orders/<int(max=2147483647):order_id>/send")
@roles(*BUYERS)
def purchase_order_send(order_id: int):
    try:
        once(
            lambda: (
                200,
                {"id": purchase_orders.send_order(g.actor, order_id, clock.now().date())},
            )
        )
    except DomainError as error:
        if error.status == 404:
            abort(404, str(error))
        refused(error)
    else:
        flash(f"Purchase order {order_id} is sent; its exchange rate is fixed.")
    return redirect(url_for("web.purchase_order_page", order_id=order_id))
