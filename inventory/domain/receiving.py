"""Goods receipts against purchase order lines: what a receipt may hold, the over-receipt
tolerance, and in which order states goods may be received, receipts cancelled and goods returned.
The order's states and transitions themselves are in ``inventory.domain.orders``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from inventory.domain import numbers as n
from inventory.domain import wording
from inventory.domain.orders import LineQuantities, OrderStatus
from inventory.errors import Conflict, InvalidTransition, ValidationFailed

DEFAULT_TOLERANCE_PCT = Decimal("5")
MAX_LINES = 500


# Receipts, their cancellations and returns move an order only among these (checked by
# ``orders.check_order_transition``; ``orders.status_from_quantities`` picks the state).
RECEIVING = (OrderStatus.SENT, OrderStatus.PARTIALLY_RECEIVED, OrderStatus.RECEIVED)
# A receipt needs goods still to come, or within the tolerance of a received order.
CAN_RECEIVE = RECEIVING
# Returns may follow a closed order too: a fault can show after the order was closed.
CAN_RETURN = (OrderStatus.PARTIALLY_RECEIVED, OrderStatus.RECEIVED, OrderStatus.CLOSED)


class InspectionMode(StrEnum):
    NONE = "none"
    FULL = "full"
    SAMPLING = "sampling"


@dataclass(frozen=True)
class ReceiptLineIn:
    po_line_id: int
    received: Decimal
    accepted: Decimal
    rejected: Decimal
    reason: str = ""
    defects_found: int | None = None


def validate_lines(lines: list[ReceiptLineIn]) -> None:
    """Refuse (422, per field) what no order could make right: negative or over-precise
    quantities, accepted + rejected ≠ received, the same order line twice, nothing received,
    rejected goods without a reason."""
    if not lines:
        raise ValidationFailed(
            "A receipt needs at least one line.", errors={"lines": ["At least one line."]}
        )
    if len(lines) > MAX_LINES:
        raise ValidationFailed(
            f"A receipt holds at most {MAX_LINES} lines.",
            errors={"lines": [f"At most {MAX_LINES} lines; split the receipt."]},
        )
    line_errors: dict[int, dict[str, list[str]]] = {}
    seen: set[int] = set()
    for i, line in enumerate(lines):
        problems: dict[str, list[str]] = {}
        for field in ("received", "accepted", "rejected"):
            value = getattr(line, field)
            if value < 0:
                problems[field] = ["Cannot be negative."]
            elif n.places(value) > n.QTY_PLACES:
                problems[field] = [f"At most {n.QTY_PLACES} decimal places."]
        if not problems:
            if line.received == 0:
                problems["received"] = ["Must be greater than zero."]
            elif line.accepted + line.rejected != line.received:
                problems["accepted"] = [
                    f"Accepted ({line.accepted}) + rejected ({line.rejected}) must equal "
                    f"received ({line.received})."
                ]
            elif line.rejected > 0 and wording.blank(line.reason):
                problems["reason"] = ["Say why goods were rejected."]
        if line.defects_found is not None and line.defects_found < 0:
            problems["defects_found"] = ["Cannot be negative."]
        if line.po_line_id in seen:
            problems["po_line_id"] = ["Each order line at most once per receipt."]
        seen.add(line.po_line_id)
        if problems:
            line_errors[i] = problems
    if line_errors:
        raise ValidationFailed(
            "The receipt is not valid; see the field errors.", errors={"lines": line_errors}
        )


def check_can(action: str, status: str, allowed: Iterable[OrderStatus]) -> None:
    """409 naming the statuses in which ``action`` is possible."""
    allowed = sorted(s.value for s in allowed)
    if status not in allowed:
        raise InvalidTransition(
            f"Cannot {action} a {status} purchase order; possible when it is {', '.join(allowed)}.",
            extra={"current": status, "allowed": allowed},
        )


def _floor_qty(x: Decimal) -> Decimal:
    # The most that can be received in 3-decimal quantities without passing the limit.
    return x.quantize(Decimal(1).scaleb(-n.QTY_PLACES), rounding=ROUND_FLOOR)


def ordered_quantity(line: LineQuantities) -> Decimal:
    """What the line orders, less what was cancelled of it."""
    return line.quantity - line.cancelled


def receipt_limit(line: LineQuantities, tolerance_pct: Decimal) -> Decimal:
    """The most a line may have received in total: the open quantity plus the tolerance."""
    return ordered_quantity(line) * (1 + tolerance_pct / 100)


def check_over_receipt(
    ordered: dict[int, LineQuantities],
    accepted: dict[int, Decimal],
    tolerance_pct: Decimal,
) -> None:
    """409 when a receipt would take a line's accepted total past its tolerance, with figures.

    Counted: what was accepted into stock before (net of returns and cancelled receipts) plus what
    this receipt accepts. Rejected goods go back to the supplier and do not count.
    """
    over = []
    for po_line_id, adding in accepted.items():
        line = ordered[po_line_id]
        limit = receipt_limit(line, tolerance_pct)
        total = line.received + adding
        if total > limit:
            over.append(
                {
                    "po_line_id": po_line_id,
                    "ordered": str(n.qty(ordered_quantity(line))),
                    "already_received": str(n.qty(line.received)),
                    "receiving": str(n.qty(adding)),
                    "limit": str(_floor_qty(limit)),
                    "tolerance_pct": str(tolerance_pct),
                }
            )
    if over:
        parts = "; ".join(
            f"line {o['po_line_id']}: ordered {o['ordered']}, received {o['already_received']}, "
            f"receiving {o['receiving']}, at most {o['limit']} allowed"
            for o in over
        )
        raise Conflict(
            f"Over-receipt beyond the {tolerance_pct}% tolerance, so nothing was received. "
            f"{parts}. Reject the excess or return it to the supplier.",
            extra={"over_receipt": over},
        )


def check_cancellable(
    ordered: dict[int, LineQuantities], accepted: dict[int, Decimal], receipt_id: int
) -> None:
    """409 when goods of the receipt were returned since: cancelling would count them twice."""
    short = [
        {
            "po_line_id": po_line_id,
            "received": str(n.qty(ordered[po_line_id].received)),
            "receipt_accepted": str(n.qty(quantity)),
        }
        for po_line_id, quantity in accepted.items()
        if ordered[po_line_id].received < quantity
    ]
    if short:
        raise Conflict(
            f"Goods from receipt {receipt_id} were returned to the supplier since, so it cannot "
            "be cancelled; the order's received quantities are lower than the receipt's.",
            extra={"lines": short},
        )


def check_return(line: LineQuantities, quantity: Decimal) -> None:
    if quantity <= 0 or n.places(quantity) > n.QTY_PLACES:
        raise ValidationFailed(
            "The return quantity is not valid.",
            errors={"quantity": [f"Greater than zero, at most {n.QTY_PLACES} decimal places."]},
        )
    if quantity > line.received:
        raise Conflict(
            f"Cannot return {n.qty(quantity)}: only {n.qty(line.received)} of order line "
            f"{line.line_id} was received and not yet returned.",
            extra={"received": str(n.qty(line.received)), "requested": str(n.qty(quantity))},
        )
