"""Draft purchase orders from approved request lines: one order per proposed supplier.

For each line the service proposes a supplier (``inventory.domain.pricing.propose``: price for
the quantity in base currency, lead time against the needed-by date, supplier score, preferred
flag) and writes the reason on the order line. The request lines count as ordered from then on,
and a request whose lines are all ordered moves to ``ordered``. An order whose base amount
exceeds the requests' estimate for its lines by more than the tolerance goes to the approval
bands before it can be sent.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, select, update

from inventory.db.models import Item
from inventory.db.procurement_models import PurchaseRequest, PurchaseRequestLine, Supplier
from inventory.db.purchasing_queries import rates_on
from inventory.domain import numbers as n
from inventory.domain import orders as o
from inventory.domain import pricing as p
from inventory.domain.actors import Actor
from inventory.domain.requests import RequestStatus, line_amount
from inventory.errors import Conflict, ValidationFailed
from inventory.services import purchase_requests
from inventory.services.purchase_orders import (
    NewLine,
    active_warehouse,
    require_approval,
    write_order,
)
from inventory.services.suppliers import offers_for
from inventory.services.tx import retrying, transaction

MAX_REQUEST_LINES = o.MAX_ORDER_LINES
# A request released by a cancelled order stays "ordered" (the request states have no way
# back), yet its released lines may be ordered again.
ORDERABLE = frozenset({RequestStatus.APPROVED.value, RequestStatus.ORDERED.value})


@retrying
def create_from_requests(
    actor: Actor,
    request_line_ids: list[int],
    warehouse_id: int,
    today: date,
    *,
    tolerance_pct: Decimal = o.DEFAULT_APPROVAL_TOLERANCE_PCT,
    supplier_overrides: dict[int, int] | None = None,
) -> list[int]:
    """Draft orders, grouped by proposed supplier, for the unordered rest of approved request
    lines. ``supplier_overrides`` maps a request line id to the supplier the buyer chose."""
    overrides = supplier_overrides or {}
    _check_ids(request_line_ids, overrides)
    with transaction() as session:
        active_warehouse(session, warehouse_id)
        lines = _locked_lines(session, request_line_ids)
        offers = offers_for(session, {line.item_id for line in lines.values()}, today)
        errors: dict[str, list[str]] = {}
        groups: dict[int, list[tuple[NewLine, Decimal]]] = {}
        for i, line_id in enumerate(request_line_ids):
            line = lines[line_id]
            remaining = line.quantity - line.ordered_quantity
            candidates = offers.get(line.item_id, [])
            if line_id in overrides:
                candidates = [c for c in candidates if c.supplier_id == overrides[line_id]]
            proposal = p.propose(candidates, remaining, line.needed_by, today)
            if proposal is None:
                errors[str(i)] = [_no_offer(session, line, overrides)]
                continue
            new_line = NewLine(
                item_id=line.item_id,
                quantity=proposal.order_quantity,
                unit_price=proposal.unit_price,
                promised_date=today + timedelta(days=proposal.lead_time_days),
                supplier_item_id=proposal.supplier_item_id,
                request_line_id=line_id,
                reason=("Chosen by the buyer. " if line_id in overrides else "") + proposal.reason,
            )
            estimate = line_amount(remaining, line.estimated_price)
            groups.setdefault(proposal.supplier_id, []).append((new_line, estimate))
        if errors:
            raise ValidationFailed(
                "No supplier could be proposed for some request lines; see the field errors.",
                errors={"request_line_ids": errors},
            )
        _check_storable(request_line_ids, groups)
        order_ids = [
            _raise_order(session, actor, supplier_id, warehouse_id, group, today, tolerance_pct)
            for supplier_id, group in groups.items()
        ]
        session.execute(
            update(PurchaseRequestLine)
            .where(PurchaseRequestLine.id.in_(request_line_ids))
            .values(ordered_quantity=PurchaseRequestLine.quantity)
        )
        _mark_ordered(session, actor, {line.request_id for line in lines.values()}, order_ids)
        return order_ids


def _check_storable(request_line_ids: list[int], groups: dict) -> None:
    """Refuse (422) an order whose lines or total the books cannot hold, naming the request
    lines (``write_order`` checks too, but could only name the order's own lines)."""
    position = {line_id: str(i) for i, line_id in enumerate(request_line_ids)}
    for group in groups.values():
        n.storable_total(
            "purchase order",
            {
                position[line.request_line_id]: o.line_total(line.quantity, line.unit_price)
                for line, _ in group
            },
            where="request_line_ids",
            field=None,
        )


def _check_ids(request_line_ids: list[int], overrides: dict[int, int]) -> None:
    if not 1 <= len(request_line_ids) <= MAX_REQUEST_LINES:
        raise ValidationFailed(
            f"Send 1 to {MAX_REQUEST_LINES} request line ids.",
            errors={"request_line_ids": [f"Send 1 to {MAX_REQUEST_LINES} ids."]},
        )
    if len(set(request_line_ids)) != len(request_line_ids):
        raise ValidationFailed(
            "A request line is listed twice.",
            errors={"request_line_ids": ["Each request line id may appear once."]},
        )
    stray = sorted(set(overrides) - set(request_line_ids))
    if stray:
        raise ValidationFailed(
            "A supplier was chosen for request lines that are not being ordered.",
            errors={"supplier_overrides": [f"Not among request_line_ids: {stray}."]},
        )


def _locked_lines(session, request_line_ids: list[int]) -> dict[int, PurchaseRequestLine]:
    """The lines, after locking their requests in id order (approvals lock the same rows)."""
    request_ids = sorted(
        session.scalars(
            select(PurchaseRequestLine.request_id)
            .where(PurchaseRequestLine.id.in_(request_line_ids))
            .distinct()
        )
    )
    requests = {
        r.id: r
        for r in session.scalars(
            select(PurchaseRequest)
            .where(PurchaseRequest.id.in_(request_ids))
            .order_by(PurchaseRequest.id)
            .with_for_update()
        )
    }
    lines = {
        x.id: x
        for x in session.scalars(
            select(PurchaseRequestLine).where(PurchaseRequestLine.id.in_(request_line_ids))
        )
    }
    unknown = {
        str(i): [f"No request line with id {x}."]
        for i, x in enumerate(request_line_ids)
        if x not in lines
    }
    if unknown:
        raise ValidationFailed(
            "Some request lines do not exist.", errors={"request_line_ids": unknown}
        )
    refused: dict[str, list[str]] = {}
    for i, line_id in enumerate(request_line_ids):
        line = lines[line_id]
        request = requests[line.request_id]
        if request.status not in ORDERABLE:
            refused[str(i)] = [
                f"Request {request.id} is {request.status}; only approved requests are ordered."
            ]
        elif line.ordered_quantity >= line.quantity:
            refused[str(i)] = [f"Request line {line_id} is already ordered."]
    if refused:
        raise Conflict(
            "Some request lines cannot be ordered; see the field errors.",
            errors={"request_line_ids": refused},
        )
    return lines


def _no_offer(session, line: PurchaseRequestLine, overrides: dict[int, int]) -> str:
    sku = session.scalar(select(Item.sku).where(Item.id == line.item_id))
    chosen = overrides.get(line.id)
    if chosen is None:
        return (
            f"No active supplier offers item {sku} at a price we can compare (an active "
            "supplier item, and an exchange rate for its currency)."
        )
    supplier = session.get(Supplier, chosen)
    if supplier is None:
        return f"No supplier with id {chosen}."
    if supplier.status != p.SupplierStatus.ACTIVE.value:
        o.check_supplier_orderable(supplier.code, supplier.status)
    return (
        f"Supplier {supplier.code} has no active offer for item {sku}, or no exchange rate for "
        f"{supplier.currency}."
    )


def _raise_order(session, actor, supplier_id, warehouse_id, group, today, tolerance_pct) -> int:
    supplier = session.get(Supplier, supplier_id)
    lines = [line for line, _ in group]
    estimate = sum((amount for _, amount in group), Decimal(0))
    order = write_order(session, actor, supplier, warehouse_id, lines, source="requests")
    session.flush()
    rate = p.rate_for(supplier.currency, rates_on([supplier.currency], today))
    total_base = o.in_base(order.total, rate)
    if o.needs_approval(
        direct=False, total_base=total_base, estimate_base=estimate, tolerance_pct=tolerance_pct
    ):
        require_approval(order.id, total_base, actor)
    return order.id


def _mark_ordered(session, actor: Actor, request_ids: set[int], order_ids: list[int]) -> None:
    """Move every approved request with nothing left to order to ``ordered`` through the request
    service, which checks the request state machine and records the status change."""
    unordered = select(PurchaseRequestLine.id).where(
        and_(
            PurchaseRequestLine.request_id == PurchaseRequest.id,
            PurchaseRequestLine.ordered_quantity < PurchaseRequestLine.quantity,
        )
    )
    done = session.scalars(
        select(PurchaseRequest.id)
        .where(
            PurchaseRequest.id.in_(request_ids),
            PurchaseRequest.status == RequestStatus.APPROVED.value,
            ~unordered.exists(),
        )
        .order_by(PurchaseRequest.id)
    ).all()
    reason = "ordered: purchase order " + ", ".join(str(x) for x in order_ids)
    for request_id in done:
        purchase_requests.transition(actor, request_id, RequestStatus.ORDERED, reason)
