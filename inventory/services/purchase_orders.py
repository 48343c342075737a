"""Purchase orders: raise one directly, send it at a fixed exchange rate, set promised dates.
Orders from approved requests are in ``order_from_requests``; cancel and close in
``order_closing``.

The rules live in ``inventory.domain.orders`` (states, totals, cancellation, approval need) and
``inventory.domain.pricing`` (price breaks, rounding).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from inventory import clock
from inventory.db import purchasing_queries as pq
from inventory.db import supplier_queries
from inventory.db.models import Warehouse
from inventory.db.procurement_models import (
    CostCentre,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
)
from inventory.db.status_writes import record_status_change
from inventory.domain import numbers as n
from inventory.domain import orders as o
from inventory.domain import pricing as p
from inventory.domain.actors import Actor
from inventory.domain.orders import ApprovalStatus, OrderStatus
from inventory.errors import InvalidTransition, NotFound, ValidationFailed
from inventory.services import approvals, audit, budgets
from inventory.services.tx import retrying, transaction


@dataclass(frozen=True)
class OrderLineIn:
    item_id: int
    quantity: Decimal
    unit_price: Decimal | None = None  # None: the supplier item's price for the quantity
    promised_date: date | None = None  # None: today + the supplier's lead time


@dataclass(frozen=True)
class NewLine:
    """A line as it will be written (after rounding and pricing)."""

    item_id: int
    quantity: Decimal
    unit_price: Decimal
    promised_date: date | None
    supplier_item_id: int | None = None
    request_line_id: int | None = None
    reason: str = ""


def get_order(order_id: int) -> dict:
    with transaction():
        found = pq.purchase_order(order_id)
    if found is None:
        raise NotFound(f"No purchase order with id {order_id}.")
    return found


def rate_today(session, currency: str, today: date) -> Decimal:
    """Base units per unit of ``currency`` in force today; a missing rate is a 422 saying which
    rate to add."""
    rate = p.rate_for(currency, pq.rates_on([currency], today))
    if rate is None:
        raise ValidationFailed(
            f"No exchange rate for {currency} is valid on {today}. Add one "
            f"(POST /api/v1/exchange-rates with currency {currency} and valid_from {today} or "
            "earlier), then try again.",
            errors={"exchange_rate": [f"Missing: {currency}, valid from {today} or earlier."]},
            extra={"currency": currency, "valid_on": today.isoformat()},
        )
    return rate


def require_approval(order_id: int, amount_base: Decimal, actor: Actor) -> list[str]:
    """Hand the order to the approval bands, in our transaction."""
    return approvals.require_order_approval(order_id, amount_base, actor)


def write_order(
    session,
    actor: Actor,
    supplier: Supplier,
    warehouse_id: int,
    lines: list[NewLine],
    *,
    source: str,
    cost_centre_id: int | None = None,
) -> PurchaseOrder:
    """Insert a draft order with its lines, its first status_change row and the audit event."""
    now = clock.now()
    total = o.order_total((x.quantity, x.unit_price) for x in lines)
    order = PurchaseOrder(
        supplier_id=supplier.id,
        warehouse_id=warehouse_id,
        cost_centre_id=cost_centre_id,
        status=OrderStatus.DRAFT.value,
        currency=supplier.currency,
        total=total,
        approval_status=ApprovalStatus.NOT_REQUIRED.value,
        next_step=0,
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    session.add_all(
        PurchaseOrderLine(
            order_id=order.id,
            line_no=i,
            item_id=x.item_id,
            supplier_item_id=x.supplier_item_id,
            request_line_id=x.request_line_id,
            quantity=x.quantity,
            unit_price=x.unit_price,
            promised_date=x.promised_date,
            received_quantity=0,
            cancelled_quantity=0,
            suggestion_reason=x.reason,
        )
        for i, x in enumerate(lines, start=1)
    )
    record_status_change(
        session, "purchase_order", order.id, None, OrderStatus.DRAFT, actor.id, clock.now(), source
    )
    audit.record(
        actor,
        "purchase_order.create",
        "purchase_order",
        order.id,
        after={
            "supplier_id": supplier.id,
            "warehouse_id": warehouse_id,
            "cost_centre_id": cost_centre_id,
            "currency": supplier.currency,
            "total": total,
            "source": source,
            "lines": [
                [x.item_id, x.quantity, x.unit_price, x.promised_date, x.request_line_id]
                for x in lines
            ],
        },
    )
    return order


def orderable_supplier(session, supplier_id: int) -> Supplier:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise ValidationFailed(
            "The order refers to an unknown supplier.",
            errors={"supplier_id": [f"No supplier with id {supplier_id}."]},
        )
    o.check_supplier_orderable(supplier.code, supplier.status)
    return supplier


def active_warehouse(session, warehouse_id: int) -> None:
    warehouse = session.get(Warehouse, warehouse_id)
    if warehouse is None or not warehouse.active:
        state = "unknown" if warehouse is None else "inactive"
        raise ValidationFailed(
            f"The order refers to an {state} warehouse.",
            errors={"warehouse_id": [f"Warehouse {warehouse_id} is {state}."]},
        )


def active_cost_centre(session, centre_id: int | None) -> None:
    if centre_id is None:
        return
    centre = session.get(CostCentre, centre_id)
    if centre is None or not centre.active:
        state = "unknown" if centre is None else "inactive"
        raise ValidationFailed(
            f"The order refers to an {state} cost centre.",
            errors={"cost_centre_id": [f"Cost centre {centre_id} is {state}."]},
        )


@retrying
def create_order(
    actor: Actor,
    supplier_id: int,
    warehouse_id: int,
    lines: list[OrderLineIn],
    today: date,
    *,
    cost_centre_id: int | None = None,
) -> int:
    """Raise a draft order directly; it goes through the approval bands before it can be sent.
    With ``cost_centre_id`` it counts against that centre's budget once sent.

    Quantities are rounded up to the supplier item's MOQ and pack size; a line without a price
    takes the supplier item's price for the rounded quantity.
    """
    o.check_order_lines([(x.quantity, x.unit_price) for x in lines])
    with transaction() as session:
        supplier = orderable_supplier(session, supplier_id)
        active_warehouse(session, warehouse_id)
        active_cost_centre(session, cost_centre_id)
        item_ids = {x.item_id for x in lines}
        items = {row.id: row for row in supplier_queries.item_rows(session, item_ids)}
        offered = {
            row.item_id: row
            for row in supplier_queries.offered_items(session, supplier_id, item_ids)
        }
        breaks = pq.price_breaks([row.id for row in offered.values()])
        errors: dict[str, dict[str, list[str]]] = {}
        new_lines = []
        for i, line in enumerate(lines):
            item = items.get(line.item_id)
            if item is None or not item.active:
                state = "No" if item is None else "Inactive"
                errors[str(i)] = {"item_id": [f"{state} item with id {line.item_id}."]}
                continue
            offer = offered.get(line.item_id)
            if offer is None and line.unit_price is None:
                errors[str(i)] = {
                    "unit_price": [
                        f"Supplier {supplier.code} has no price for item {item.sku}; "
                        "give a unit price."
                    ]
                }
                continue
            new_lines.append(_direct_line(line, supplier, offer, breaks, today))
        if errors:
            raise ValidationFailed(
                "Some order lines are not valid; see the field errors.", errors={"lines": errors}
            )
        rate = rate_today(session, supplier.currency, today)
        order = write_order(
            session,
            actor,
            supplier,
            warehouse_id,
            new_lines,
            source="direct",
            cost_centre_id=cost_centre_id,
        )
        session.flush()
        amount = o.in_base(order.total, rate)
        budgets.check_direct_order(session, actor, order.id, cost_centre_id, amount, "create")
        require_approval(order.id, amount, actor)
        return order.id


def _direct_line(line: OrderLineIn, supplier: Supplier, offer, breaks, today: date) -> NewLine:
    lead = supplier.default_lead_time_days
    if offer is None:
        quantity, price, notes = line.quantity, line.unit_price, ["Direct order."]
    else:
        lead = (
            supplier.default_lead_time_days
            if offer.lead_time_days is None
            else offer.lead_time_days
        )
        quantity = p.order_quantity(line.quantity, offer.min_order_quantity, offer.pack_size)
        notes = ["Direct order."]
        if quantity != line.quantity:
            notes.append(p.rounding_note(line.quantity, offer.min_order_quantity, offer.pack_size))
        price = line.unit_price
        if price is None:
            steps = [p.PriceBreak(b["min_quantity"], b["unit_price"]) for b in breaks[offer.id]]
            price = p.unit_price_for(offer.unit_price, steps, quantity)
            notes.append(f"Supplier price for {quantity}: {price} {supplier.currency}.")
    return NewLine(
        item_id=line.item_id,
        quantity=quantity,
        unit_price=n.cost(price),
        promised_date=line.promised_date or today + timedelta(days=lead),
        supplier_item_id=None if offer is None else offer.id,
        reason=" ".join(notes),
    )


def locked_order(session, order_id: int) -> PurchaseOrder:
    # Receipts lock the same row, so a cancel and a receipt cannot interleave.
    order = session.get(PurchaseOrder, order_id, with_for_update=True)
    if order is None:
        raise NotFound(f"No purchase order with id {order_id}.")
    return order


def move(session, actor: Actor, order: PurchaseOrder, target: OrderStatus, reason: str) -> None:
    record_status_change(
        session, "purchase_order", order.id, order.status, target, actor.id, clock.now(), reason
    )
    order.status = target.value
    order.updated_at = clock.now()


@retrying
def send_order(actor: Actor, order_id: int, today: date) -> int:
    """Send a draft order: supplier orderable, approval not outstanding, exchange rate fixed."""
    with transaction() as session:
        order = locked_order(session, order_id)
        o.check_order_transition(order.status, OrderStatus.SENT)
        supplier = session.get(Supplier, order.supplier_id)
        o.check_supplier_orderable(supplier.code, supplier.status)
        o.check_approved(order.approval_status, order.waiting_role)
        rate = rate_today(session, order.currency, today)
        # Checked again when sent: other orders and approvals may have used the budget since.
        flagged = budgets.check_direct_order(
            session, actor, order.id, order.cost_centre_id, o.in_base(order.total, rate), "send"
        )
        order.exchange_rate = rate
        order.sent_at = clock.now()
        reason = f"exchange rate {rate}" + ("; over budget (flagged)" if flagged else "")
        move(session, actor, order, OrderStatus.SENT, reason)
        session.flush()
        audit.record(
            actor,
            "purchase_order.send",
            "purchase_order",
            order.id,
            before={"status": OrderStatus.DRAFT.value},
            after={"status": order.status, "exchange_rate": rate, "sent_at": order.sent_at},
        )
        return order.id


@retrying
def set_promised_date(actor: Actor, order_id: int, line_id: int, promised: date | None) -> int:
    """Record the date the supplier promised for one line (while the order is open)."""
    with transaction() as session:
        order = locked_order(session, order_id)
        if OrderStatus(order.status) in o.FINAL:
            raise InvalidTransition(
                f"This purchase order is {order.status}; its lines can no longer change.",
                extra={"current": order.status, "allowed": []},
            )
        line = session.get(PurchaseOrderLine, line_id)
        if line is None or line.order_id != order_id:
            raise NotFound(f"Purchase order {order_id} has no line with id {line_id}.")
        before = {"line_id": line_id, "promised_date": line.promised_date}
        line.promised_date = promised
        order.updated_at = clock.now()
        audit.record(
            actor,
            "purchase_order.promise",
            "purchase_order",
            order_id,
            before=before,
            after={"line_id": line_id, "promised_date": promised},
        )
        return order_id
