"""Stocktakes (physical counts): states, variance, tolerance, accuracy and who may see or approve.

The rules, in full:
- A stocktake is ``open`` until it is ``posted`` or ``cancelled``; both end it for good.
- A line's variance is ``counted − book``, where ``book`` is the quantity the books held at the
  moment that line was (last) counted, so movements during the count are not variances. Its value
  is ``round2(variance × book unit cost)``, the average cost at that same moment.
- A line is within tolerance when its variance quantity is at most ``qty_pct``% of its book
  quantity **and** its variance value is at most ``value_tol``, both in absolute terms and both
  bounds inclusive. A zero variance is always within. Stock found where the books hold none has
  no percentage to hide in, so any such line is out of tolerance and needs a look.
- Inventory record accuracy is the share of counted lines within tolerance, in percent, 2 places.
- Posting needs every line counted and, when any line is out of tolerance, an approver who neither
  created the stocktake nor counted any of it. A count after approval withdraws the approval:
  what was approved is no longer what would be posted.
- Counters count blind: while a stocktake is open only book readers (admin, approver, finance)
  see book quantities and variances; once it is posted, everyone does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from inventory.domain import numbers as n
from inventory.domain import states
from inventory.domain.actors import Role
from inventory.domain.wording import plural
from inventory.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed

MAX_COUNT_LINES = 500
MAX_QTY_PCT = Decimal(100)
BOOK_READERS = frozenset({Role.ADMIN.value, Role.APPROVER.value, Role.FINANCE.value})
APPROVERS = frozenset({Role.ADMIN.value, Role.APPROVER.value})


class StocktakeStatus(StrEnum):
    OPEN = "open"
    POSTED = "posted"
    CANCELLED = "cancelled"


TRANSITIONS: dict[StocktakeStatus, frozenset[StocktakeStatus]] = {
    StocktakeStatus.OPEN: frozenset({StocktakeStatus.POSTED, StocktakeStatus.CANCELLED}),
    StocktakeStatus.POSTED: frozenset(),
    StocktakeStatus.CANCELLED: frozenset(),
}


def check_transition(current: StocktakeStatus, target: StocktakeStatus) -> None:
    states.check(TRANSITIONS, current, target, "stocktake")


def check_open(current: StocktakeStatus, action: str) -> None:
    """Refuse ``action`` (e.g. "count") on a closed stocktake."""
    if current is not StocktakeStatus.OPEN:
        raise InvalidTransition(
            f"This stocktake is {current}, so it is closed and cannot {action}. "
            "Start a new stocktake to count again.",
            extra={"current": str(current), "allowed": []},
        )


def validate_tolerances(qty_pct: Decimal, value_tol: Decimal) -> None:
    errors: dict[str, list[str]] = {}
    if not 0 <= qty_pct <= MAX_QTY_PCT or n.places(qty_pct) > n.VALUE_PLACES:
        errors["quantity_tolerance_pct"] = [
            f"Use a percentage from 0 to {MAX_QTY_PCT} with at most {n.VALUE_PLACES} decimals."
        ]
    if value_tol < 0 or n.places(value_tol) > n.VALUE_PLACES:
        errors["value_tolerance"] = [
            f"Use a non-negative amount with at most {n.VALUE_PLACES} decimals."
        ]
    if errors:
        raise ValidationFailed("The tolerances are not valid.", errors=errors)


@dataclass(frozen=True)
class CountIn:
    item_id: int
    counted_quantity: Decimal


def validate_counts(lines: list[CountIn]) -> None:
    """Raise ``ValidationFailed`` with field errors for counts that cannot be recorded."""
    if not lines:
        raise ValidationFailed(
            "Send at least one counted line.", errors={"lines": ["Send at least one line."]}
        )
    if len(lines) > MAX_COUNT_LINES:
        raise ValidationFailed(
            f"Send at most {MAX_COUNT_LINES} counted lines per request.",
            errors={"lines": [f"At most {MAX_COUNT_LINES} lines; split the request."]},
        )
    line_errors: dict[int, dict[str, list[str]]] = {}
    seen: set[int] = set()
    for i, line in enumerate(lines):
        if line.counted_quantity < 0:
            line_errors[i] = {"counted_quantity": ["A count cannot be negative."]}
        elif n.places(line.counted_quantity) > n.QTY_PLACES:
            line_errors[i] = {"counted_quantity": [f"At most {n.QTY_PLACES} decimal places."]}
        elif line.item_id in seen:
            line_errors[i] = {"item_id": ["This item is counted twice in the request."]}
        seen.add(line.item_id)
    if line_errors:
        raise ValidationFailed(
            "The counts are not valid; see the field errors.", errors={"lines": line_errors}
        )


def book_unit_cost(book_quantity: Decimal, book_value: Decimal, fallback: Decimal) -> Decimal:
    """The average cost the books hold, or the item's valuation cost when they hold nothing."""
    return n.cost(book_value / book_quantity) if book_quantity else n.cost(fallback)


@dataclass(frozen=True)
class Variance:
    quantity: Decimal
    value: Decimal


def line_variance(book_qty: Decimal, counted_qty: Decimal, unit_cost: Decimal) -> Variance:
    """``counted − book`` and its value at ``unit_cost``, rounded to the cent."""
    quantity = n.qty(counted_qty - book_qty)
    return Variance(quantity, n.value(quantity * unit_cost))


def within_tolerance(
    book_qty: Decimal,
    variance_qty: Decimal,
    variance_value: Decimal,
    qty_pct: Decimal,
    value_tol: Decimal,
) -> bool:
    """True when the variance is inside both tolerances (see the module docstring)."""
    if variance_qty == 0:
        return True
    # Compare without dividing, so a zero book quantity needs no special case: nothing is
    # within any percentage of zero.
    if abs(variance_qty) * 100 > qty_pct * abs(book_qty):
        return False
    return abs(variance_value) <= value_tol


@dataclass(frozen=True)
class LineFigures:
    """One line as the books see it; ``counted_qty`` is None until the line is counted."""

    item_id: int
    counted_qty: Decimal | None
    book_qty: Decimal | None
    unit_cost: Decimal | None
    line_id: int | None = None
    sku: str = ""

    @property
    def counted(self) -> bool:
        return self.counted_qty is not None

    def variance(self) -> Variance | None:
        if self.counted_qty is None:
            return None
        return line_variance(self.book_qty or n.ZERO, self.counted_qty, self.unit_cost or n.ZERO)


@dataclass(frozen=True)
class Evaluated:
    line: LineFigures
    variance: Variance | None
    within: bool | None


@dataclass(frozen=True)
class Summary:
    lines: list[Evaluated]
    total: int
    counted: int
    out_of_tolerance: int
    accuracy_pct: Decimal | None
    variance_value_total: Decimal

    @property
    def uncounted(self) -> int:
        return self.total - self.counted

    def uncounted_lines(self) -> list[LineFigures]:
        return [e.line for e in self.lines if e.variance is None]

    def lines_out_of_tolerance(self) -> list[LineFigures]:
        return [e.line for e in self.lines if e.within is False]


# A message names this many lines at most; the problem's extra member lists them all.
NAMED_LINES = 10


def _name_lines(lines: list[LineFigures]) -> str:
    named = [f"{x.sku or f'item {x.item_id}'} (line {x.line_id})" for x in lines[:NAMED_LINES]]
    more = len(lines) - len(named)
    return ", ".join(named) + (f" and {more} more" if more else "")


def _line_refs(lines: list[LineFigures]) -> list[dict]:
    return [{"line_id": x.line_id, "item_id": x.item_id, "sku": x.sku} for x in lines]


def evaluate(lines: Iterable[LineFigures], qty_pct: Decimal, value_tol: Decimal) -> Summary:
    evaluated = []
    for line in lines:
        variance = line.variance()
        within = (
            None
            if variance is None
            else within_tolerance(
                line.book_qty or n.ZERO, variance.quantity, variance.value, qty_pct, value_tol
            )
        )
        evaluated.append(Evaluated(line, variance, within))
    counted = [e for e in evaluated if e.variance is not None]
    return Summary(
        lines=evaluated,
        total=len(evaluated),
        counted=len(counted),
        out_of_tolerance=sum(1 for e in counted if not e.within),
        accuracy_pct=accuracy([bool(e.within) for e in counted]),
        variance_value_total=sum((e.variance.value for e in counted if e.variance), n.ZERO),
    )


class CountState(StrEnum):
    """A line as its counter sees it (blind): what is left to do, never the book."""

    TO_COUNT = "to_count"
    RECOUNT = "recount"  # counted, but out of tolerance: worth a second look before approval
    COUNTED = "counted"


def count_state(evaluated: Evaluated) -> CountState:
    if evaluated.variance is None:
        return CountState.TO_COUNT
    return CountState.COUNTED if evaluated.within else CountState.RECOUNT


def accuracy(within_flags: list[bool]) -> Decimal | None:
    """Percent of counted lines within tolerance (2 places); None when nothing is counted."""
    if not within_flags:
        return None
    return n.value(Decimal(sum(within_flags)) * 100 / len(within_flags))


def reveals_book(viewer_roles: Iterable[str], status: StocktakeStatus) -> bool:
    """Whether a viewer may see book quantities and variances (the blind-count rule)."""
    return status is StocktakeStatus.POSTED or bool(BOOK_READERS & set(viewer_roles))


def check_all_counted(summary: Summary, action: str) -> None:
    if summary.uncounted:
        lines = summary.uncounted_lines()
        raise Conflict(
            f"{summary.uncounted} of {plural(summary.total, 'line')} "
            f"{'is' if summary.uncounted == 1 else 'are'} not counted yet, so the stocktake "
            f"cannot {action}: {_name_lines(lines)}. Count "
            f"{'it' if summary.uncounted == 1 else 'them'} (0 when none is found) first.",
            extra={"uncounted": summary.uncounted, "uncounted_lines": _line_refs(lines)},
        )


def check_approver(
    actor_id: int, actor_roles: Iterable[str], creator_id: int, counter_ids: Iterable[int]
) -> None:
    """Separation of duties: the approver holds a role that may approve and did not count."""
    if not APPROVERS & set(actor_roles):
        raise PermissionDenied("Approving a stocktake needs the approver or admin role.")
    if actor_id == creator_id:
        raise PermissionDenied("You cannot approve your own stocktake; ask another approver.")
    if actor_id in set(counter_ids):
        raise PermissionDenied(
            "You counted lines of this stocktake, so you cannot approve it; ask another approver."
        )


def check_postable(summary: Summary, approved: bool) -> None:
    check_all_counted(summary, "be posted")
    if summary.out_of_tolerance and not approved:
        lines = summary.lines_out_of_tolerance()
        one = summary.out_of_tolerance == 1
        raise Conflict(
            f"{plural(summary.out_of_tolerance, 'line')} {'is' if one else 'are'} out of "
            f"tolerance: {_name_lines(lines)}. The stocktake needs an approver before it is "
            f"posted (POST .../approve), or recount {'that line' if one else 'those lines'}.",
            extra={
                "out_of_tolerance": summary.out_of_tolerance,
                "out_of_tolerance_lines": _line_refs(lines),
            },
        )
