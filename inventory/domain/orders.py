"""Purchase orders: states, totals, cancellation, and when an order needs approval.

The rules, in full:
- States: draft → sent → partially_received → received → closed, or cancelled. Receipts (and
  their cancellation or a return to the supplier) move an order between sent, partially_received
  and received; ``status_from_quantities`` says which. Closed and cancelled are final.
- Staying in a state is not a transition, and ``check_order_transition`` refuses it (sending a
  sent order again must fail); a caller whose state does not change records no transition.
- Cancel takes back only what is not received. An order with nothing received (draft or sent) is
  cancelled whole: every line's ``cancelled_quantity`` becomes its quantity. An order with some
  goods received cannot be undone, so cancelling it cancels each line's open remainder
  (``quantity − received``, never below 0) and closes it. A fully received order has nothing to
  cancel: it can only be closed.
- Ending an order releases its request lines: each stops counting as ordered by what its order
  line covered and did not receive, so the need can be ordered again.
- Totals are exact: a line's total is ``round2(quantity × unit_price)`` in the order's currency,
  the order's total is the sum of its line totals, and its base amount is
  ``round2(total × rate)``.
- Approval: an order raised directly (not from approved requests) always goes to the approval
  bands; an order from requests only when its base amount exceeds the requests' estimate for its
  lines by more than the tolerance (default 10%). A pending or rejected approval stops the send.
- New orders and sending: a blocked supplier gets no new orders; a supplier on hold neither, for
  now — the two are refused with different codes so a caller can tell them apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from inventory.domain import numbers as n
from inventory.domain import states
from inventory.domain.pricing import SupplierStatus
from inventory.errors import Conflict, InvalidTransition, ValidationFailed

DEFAULT_APPROVAL_TOLERANCE_PCT = Decimal(10)
MAX_ORDER_LINES = 500


class OrderStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class ApprovalStatus(StrEnum):
    NOT_REQUIRED = "not_required"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.DRAFT: frozenset({S.SENT, S.CANCELLED}),
    S.SENT: frozenset({S.PARTIALLY_RECEIVED, S.RECEIVED, S.CANCELLED}),
    # Back to sent/partially received when receipts are cancelled or goods returned.
    S.PARTIALLY_RECEIVED: frozenset({S.SENT, S.RECEIVED, S.CLOSED}),
    S.RECEIVED: frozenset({S.SENT, S.PARTIALLY_RECEIVED, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}
FINAL = frozenset({S.CLOSED, S.CANCELLED})


class SupplierBlocked(Conflict):
    code = "supplier_blocked"
    title = "Supplier blocked"


class SupplierOnHold(Conflict):
    code = "supplier_on_hold"
    title = "Supplier on hold"


class ApprovalOutstanding(Conflict):
    code = "approval_outstanding"
    title = "Order not approved"


def check_order_transition(current: OrderStatus | str, target: OrderStatus | str) -> None:
    """Raise InvalidTransition (409, naming the allowed states) unless current → target is legal."""
    states.check(TRANSITIONS, OrderStatus(current), OrderStatus(target), "purchase order")


@dataclass(frozen=True)
class LineQuantities:
    line_id: int
    quantity: Decimal
    received: Decimal
    cancelled: Decimal = n.ZERO


def open_quantity(line: LineQuantities) -> Decimal:
    """What may still arrive on a line, with the quantity's 3 places (``0.000``, never ``0``:
    the API writes it as it is)."""
    return n.qty(max(n.ZERO, line.quantity - line.received - line.cancelled))


def status_from_quantities(lines: Iterable[LineQuantities]) -> OrderStatus:
    """The receiving state of a sent order: nothing received, some, or everything still due."""
    lines = list(lines)
    if not any(line.received > 0 for line in lines):
        return S.SENT
    if all(open_quantity(line) == 0 for line in lines):
        return S.RECEIVED
    return S.PARTIALLY_RECEIVED


@dataclass(frozen=True)
class Cancellation:
    target: OrderStatus
    cancelled: dict[int, Decimal]  # line id → its new cancelled_quantity


def cancellation(current: OrderStatus | str, lines: Iterable[LineQuantities]) -> Cancellation:
    """What cancelling an order in ``current`` does to its lines (see the module's rules)."""
    current = OrderStatus(current)
    lines = list(lines)
    if current in FINAL:
        check_order_transition(current, S.CANCELLED)
    received_any = any(line.received > 0 for line in lines)
    if current is S.RECEIVED or (received_any and not any(open_quantity(x) for x in lines)):
        raise InvalidTransition(
            "Everything on this order has been received, so nothing is left to cancel; "
            "close it instead (POST .../close).",
            extra={"current": str(current), "allowed": sorted(TRANSITIONS[current])},
        )
    if not received_any:
        check_order_transition(current, S.CANCELLED)
        return Cancellation(S.CANCELLED, {x.line_id: x.quantity for x in lines})
    check_order_transition(current, S.CLOSED)
    return Cancellation(S.CLOSED, {x.line_id: max(n.ZERO, x.quantity - x.received) for x in lines})


def released_from_request(
    po_quantity: Decimal, po_received: Decimal, request_ordered: Decimal
) -> Decimal:
    """How much of a request line stops counting as ordered when its order line ends: what the
    order line covered of it (at most its ordered quantity), less what was received."""
    return max(n.ZERO, min(po_quantity, request_ordered) - po_received)


def closing(current: OrderStatus | str, lines: Iterable[LineQuantities]) -> Cancellation:
    """Close a (partially) received order; any open remainder is cancelled."""
    current = OrderStatus(current)
    check_order_transition(current, S.CLOSED)
    return Cancellation(S.CLOSED, {x.line_id: max(n.ZERO, x.quantity - x.received) for x in lines})


def line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return n.value(quantity * unit_price)


def order_total(lines: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """Sum of ``round2(quantity × unit_price)`` over ``(quantity, unit_price)`` pairs; a line
    total or order total the books cannot hold is refused (422)."""
    return n.storable_total("purchase order", [line_total(q, p) for q, p in lines])


def in_base(amount: Decimal, rate: Decimal) -> Decimal:
    return n.value(amount * rate)


def needs_approval(
    *,
    direct: bool,
    total_base: Decimal,
    estimate_base: Decimal,
    tolerance_pct: Decimal = DEFAULT_APPROVAL_TOLERANCE_PCT,
) -> bool:
    """Whether an order must pass the approval bands before it can be sent."""
    if direct:
        return True
    return total_base > estimate_base * (1 + tolerance_pct / 100)


def check_supplier_orderable(code: str, status: SupplierStatus | str) -> None:
    """Refuse new orders (and sending) for a blocked supplier or one on hold."""
    status = SupplierStatus(status)
    if status is SupplierStatus.BLOCKED:
        raise SupplierBlocked(
            f"Supplier {code} is blocked and cannot get new orders.",
            extra={"supplier_status": str(status)},
        )
    if status is SupplierStatus.ON_HOLD:
        raise SupplierOnHold(
            f"Supplier {code} is on hold: no new orders until it is active again.",
            extra={"supplier_status": str(status)},
        )


def check_approved(approval_status: ApprovalStatus | str, waiting_role: str | None) -> None:
    """Refuse to send an order whose approval is pending or was rejected."""
    status = ApprovalStatus(approval_status)
    if status is ApprovalStatus.PENDING:
        who = f" (waiting for {waiting_role})" if waiting_role else ""
        raise ApprovalOutstanding(
            f"This order waits for approval{who}; it can be sent once approved.",
            extra={"approval_status": str(status), "waiting_role": waiting_role},
        )
    if status is ApprovalStatus.REJECTED:
        raise ApprovalOutstanding(
            "This order's approval was rejected, so it cannot be sent; cancel it.",
            extra={"approval_status": str(status)},
        )


def check_order_lines(lines: list[tuple[Decimal, Decimal | None]]) -> None:
    """``(quantity, unit_price or None)`` per line: 1 to MAX_ORDER_LINES lines, positive
    quantities with 3 decimals at most, non-negative prices with 4 at most."""
    if not 1 <= len(lines) <= MAX_ORDER_LINES:
        raise ValidationFailed(
            f"An order holds 1 to {MAX_ORDER_LINES} lines.",
            errors={"lines": [f"Send 1 to {MAX_ORDER_LINES} lines."]},
        )
    errors: dict[str, dict[str, list[str]]] = {}
    for i, (quantity, price) in enumerate(lines):
        if quantity <= 0 or n.places(quantity) > n.QTY_PLACES:
            errors.setdefault(str(i), {})["quantity"] = [
                f"Use a positive quantity with at most {n.QTY_PLACES} decimal places."
            ]
        if price is not None and (price < 0 or n.places(price) > n.COST_PLACES):
            errors.setdefault(str(i), {})["unit_price"] = [
                f"Use a non-negative price with at most {n.COST_PLACES} decimal places."
            ]
    if errors:
        raise ValidationFailed(
            "Some order lines are not valid; see the field errors.", errors={"lines": errors}
        )
