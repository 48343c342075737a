"""Purchase requests: their states, the legal transitions and what a request adds up to.

The rules, in full:
- ``draft`` → ``submitted`` → ``approved`` | ``rejected``; ``approved`` → ``ordered`` → ``closed``.
  ``draft``, ``submitted`` and ``approved`` may be ``cancelled``, and ``ordered`` once its orders
  are done (see below); ``rejected`` and ``cancelled`` are final (a rejected request is raised
  again as a new one, so its history stays what the approver saw), and so is ``closed`` but for
  one way back (see the last rule).
- A request's total is the sum of its line amounts, each ``quantity × estimated price`` rounded
  half-even to the cent, so the lines shown always add up to the total exactly.
- Spend is *committed* against a budget by requests that are ``approved``, ``ordered`` or
  ``closed``; a cancelled or rejected request commits nothing.
- Only a ``draft`` is edited (its cost centre, note and lines); from ``submitted`` on, approvers
  and budgets have seen its figures, so a change means cancelling and raising it again.
- An ``ordered`` request is ``closed`` once nothing of it is open: every line counts as fully
  ordered (``ordered_quantity ≥ quantity``: nothing waits to be ordered, or ordered again after
  an order released it) and every purchase order carrying any of its lines is done (received,
  closed or cancelled).
- An ``ordered`` request whose orders are all done may be cancelled, dropping what it still
  needs: ``cancelled`` when nothing of it arrived, ``closed`` when some did.
- A ``closed`` request goes back to ``ordered`` (the only state it closes from) when an order
  carrying it is open again — a receipt cancelled or goods returned put it back to sent or
  partially received — while every line still counts as fully ordered: it closed because its
  orders were done, and they no longer are. It closes again when they are. A request closed by
  dropping what it still needed stays closed: a person ended it, and reopening it would revive
  the need they dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from inventory.domain import numbers as n
from inventory.domain import states
from inventory.domain.orders import OrderStatus
from inventory.errors import InvalidTransition, ValidationFailed

MAX_REQUEST_LINES = 200


class RequestStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    ORDERED = "ordered"
    CLOSED = "closed"
    CANCELLED = "cancelled"


S = RequestStatus
TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.APPROVED, S.REJECTED, S.CANCELLED}),
    S.APPROVED: frozenset({S.ORDERED, S.CANCELLED}),
    S.REJECTED: frozenset(),
    S.ORDERED: frozenset({S.CLOSED, S.CANCELLED}),
    S.CLOSED: frozenset({S.ORDERED}),  # only when its orders reopen (``reopens``)
    S.CANCELLED: frozenset(),
}
# Requests whose total counts against their budget.
COMMITTED_STATUSES: frozenset[RequestStatus] = frozenset({S.APPROVED, S.ORDERED, S.CLOSED})
# Orders from which nothing more is expected for now. A received order can still step back when a
# receipt is cancelled or goods go back; the request it closed then reopens (``reopens``).
ORDERS_DONE: frozenset[OrderStatus] = frozenset(
    {OrderStatus.RECEIVED, OrderStatus.CLOSED, OrderStatus.CANCELLED}
)


def check_request_transition(current: RequestStatus | str, target: RequestStatus | str) -> None:
    """Refuse a move the table does not allow (409), naming the moves that are allowed."""
    states.check(TRANSITIONS, RequestStatus(current), RequestStatus(target), "purchase request")


def check_editable(current: RequestStatus | str, request_id: int) -> None:
    """Refuse (409) to edit a request that is no longer a draft, naming its state."""
    current = RequestStatus(current)
    if current is not S.DRAFT:
        raise InvalidTransition(
            f"Purchase request {request_id} is {current}; only a draft can be edited. "
            "Cancel it and raise a new one if it must change.",
            extra={"current": str(current)},
        )


@dataclass(frozen=True)
class LineProgress:
    """One request line as ordering left it: how much was asked for, how much counts as ordered,
    and the states of the purchase orders whose lines carry it."""

    quantity: Decimal
    ordered_quantity: Decimal
    order_statuses: frozenset[OrderStatus | str] = frozenset()


def fully_ordered(line: LineProgress) -> bool:
    return line.ordered_quantity >= line.quantity


def after_dropping(
    request_id: int, lines: Iterable[LineProgress], received: Decimal
) -> RequestStatus:
    """Where cancelling an ``ordered`` request leads, once its buyer drops what is still
    needed: ``cancelled`` when nothing of it arrived (it then commits no budget), ``closed``
    when some did (the need was partly met). Refused (409) while an order carrying it is still
    open: cancel or close that order first."""
    open_orders = sorted(
        {str(s) for line in lines for s in line.order_statuses if OrderStatus(s) not in ORDERS_DONE}
    )
    if open_orders:
        raise InvalidTransition(
            f"Purchase request {request_id} is on orders that are still {', '.join(open_orders)}; "
            "cancel or close those orders first, then cancel what the request still needs.",
            extra={"current": str(S.ORDERED), "open_orders": open_orders},
        )
    return S.CLOSED if received > 0 else S.CANCELLED


def ready_to_close(current: RequestStatus | str, lines: Iterable[LineProgress]) -> bool:
    """Whether an ``ordered`` request has nothing open left and so moves to ``closed``."""
    if RequestStatus(current) is not S.ORDERED:
        return False
    lines = list(lines)
    return bool(lines) and all(
        fully_ordered(line) and all(OrderStatus(s) in ORDERS_DONE for s in line.order_statuses)
        for line in lines
    )


def reopens(current: RequestStatus | str, lines: Iterable[LineProgress]) -> bool:
    """Whether a ``closed`` request goes back to ``ordered``: an order carrying one of its lines
    is no longer done, and every line still counts as fully ordered (so it closed because its
    orders were done, not because a buyer dropped what it still needed)."""
    if RequestStatus(current) is not S.CLOSED:
        return False
    lines = list(lines)
    return all(fully_ordered(line) for line in lines) and any(
        OrderStatus(s) not in ORDERS_DONE for line in lines for s in line.order_statuses
    )


@dataclass(frozen=True)
class RequestLineIn:
    item_id: int
    quantity: Decimal
    estimated_price: Decimal
    needed_by: date | None = None
    note: str = ""


def line_amount(quantity: Decimal, estimated_price: Decimal) -> Decimal:
    return n.value(quantity * estimated_price)


def request_total(lines: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """Σ round2(quantity × estimated price) over ``(quantity, estimated_price)`` pairs; a line
    amount or total the books cannot hold is refused (422)."""
    return n.storable_total("purchase request", [line_amount(q, p) for q, p in lines])


def validate_lines(lines: list[RequestLineIn]) -> None:
    """Positive quantities (3 dp), non-negative prices (4 dp), 1 to MAX_REQUEST_LINES lines."""
    if not lines:
        raise ValidationFailed(
            "A purchase request needs at least one line.",
            errors={"lines": ["Add at least one line."]},
        )
    if len(lines) > MAX_REQUEST_LINES:
        raise ValidationFailed(
            f"A purchase request holds at most {MAX_REQUEST_LINES} lines.",
            errors={"lines": [f"Split it into requests of at most {MAX_REQUEST_LINES} lines."]},
        )
    errors: dict[int, dict[str, list[str]]] = {}
    for i, line in enumerate(lines):
        if line.quantity <= 0 or n.places(line.quantity) > n.QTY_PLACES:
            errors.setdefault(i, {})["quantity"] = [
                f"Use a positive quantity with at most {n.QTY_PLACES} decimal places."
            ]
        if line.estimated_price < 0 or n.places(line.estimated_price) > n.COST_PLACES:
            errors.setdefault(i, {})["estimated_price"] = [
                f"Use a non-negative price with at most {n.COST_PLACES} decimal places."
            ]
    if errors:
        raise ValidationFailed(
            "Some request lines are not valid; see the field errors.",
            errors={"lines": {str(i): e for i, e in errors.items()}},
        )
