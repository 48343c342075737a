"""Approval bands, the budget check and separation of duties, for requests and orders alike.

The rules, in full:
- An approval rule is an amount band ``[min_amount, max_amount)`` (no ``max_amount``: no upper
  bound) with ordered steps, each a role that must approve: ``approver`` or ``finance``. Bands of
  active rules never overlap, so an amount falls in at most one. An amount no band covers needs
  one ``approver`` (``DEFAULT_STEPS``); a band with no steps means "no approval needed".
- Each step is decided by one person holding the step's role. Nobody decides a step of their own
  request (or of an order they raised), and nobody approves two steps of the same subject: a
  two-step approval always takes two people.
- ``admin`` does not bypass any of this. Separation of duties is the point of an approval, so an
  administrator approves only when they also hold the waiting role, under the same rules.
- On the final step the budget is checked: committed spend (approved, ordered and closed requests
  in the budget) plus this request's total must not exceed the budget amount. Past it, a budget
  set to ``refuse`` refuses the approval with the figures; one set to ``flag`` approves it and
  marks it over budget. Exactly at the amount is within budget.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from inventory.domain import numbers as n
from inventory.domain import wording
from inventory.domain.actors import Role
from inventory.errors import Conflict, PermissionDenied, ValidationFailed

APPROVING_ROLES: tuple[str, ...] = (Role.APPROVER.value, Role.FINANCE.value)
DEFAULT_STEPS: tuple[str, ...] = (Role.APPROVER.value,)
MAX_STEPS = 5


class OverBudgetAction(StrEnum):
    REFUSE = "refuse"
    FLAG = "flag"


class OverBudget(Conflict):
    code = "over_budget"
    title = "Over budget"


@dataclass(frozen=True)
class Band:
    min_amount: Decimal
    max_amount: Decimal | None
    steps: tuple[str, ...]
    name: str = ""
    id: int | None = None

    def covers(self, amount: Decimal) -> bool:
        return self.min_amount <= amount and (self.max_amount is None or amount < self.max_amount)

    def overlaps(self, other: Band) -> bool:
        # [a, b) and [c, d) share an amount iff a < d and c < b; a missing bound is +infinity.
        return (other.max_amount is None or self.min_amount < other.max_amount) and (
            self.max_amount is None or other.min_amount < self.max_amount
        )

    def describe(self) -> str:
        upper = f"below {self.max_amount:,f}" if self.max_amount is not None else "and above"
        return f"from {self.min_amount:,f} {upper}"


def validate_band(min_amount: Decimal, max_amount: Decimal | None, steps: Sequence[str]) -> None:
    errors: dict[str, list[str]] = {}
    if min_amount < 0 or n.places(min_amount) > n.VALUE_PLACES:
        errors["min_amount"] = [f"Use a non-negative amount with at most {n.VALUE_PLACES} places."]
    if max_amount is not None:
        if n.places(max_amount) > n.VALUE_PLACES:
            errors["max_amount"] = [f"Use an amount with at most {n.VALUE_PLACES} places."]
        elif max_amount <= min_amount:
            errors["max_amount"] = [
                "The upper bound must be above the lower one (the band stops just below it)."
            ]
    unknown = sorted({s for s in steps if s not in APPROVING_ROLES})
    if unknown:
        errors["steps"] = [
            f"Unknown approving roles {', '.join(unknown)}; use {', '.join(APPROVING_ROLES)}."
        ]
    elif len(steps) > MAX_STEPS:
        errors["steps"] = [f"Use at most {MAX_STEPS} steps."]
    if errors:
        raise ValidationFailed(
            "The approval rule is not valid; see the field errors.", errors=errors
        )


def check_no_overlap(band: Band, others: Iterable[Band]) -> None:
    """Refuse ``band`` if it shares an amount with another active band (409 naming it)."""
    for other in others:
        if other.id != band.id and band.overlaps(other):
            raise Conflict(
                f"The band {band.describe()} overlaps rule {other.id} ({other.name!r}, "
                f"{other.describe()}); bands must not overlap. Change or deactivate that rule.",
                extra={"overlapping_rule_id": other.id},
            )


def steps_for(amount: Decimal, bands: Iterable[Band]) -> tuple[str, ...]:
    """The roles that must approve ``amount``, in order; DEFAULT_STEPS when no band covers it."""
    for band in bands:
        if band.covers(amount):
            return tuple(band.steps)
    return DEFAULT_STEPS


@dataclass(frozen=True)
class BudgetFigures:
    budget: Decimal
    committed: Decimal
    requested: Decimal

    @property
    def after(self) -> Decimal:
        return self.committed + self.requested

    @property
    def over_by(self) -> Decimal:
        return max(Decimal(0), self.after - self.budget)

    @property
    def within(self) -> bool:
        return self.after <= self.budget

    def as_dict(self) -> dict[str, str]:
        return {
            "budget": str(n.value(self.budget)),
            "committed": str(n.value(self.committed)),
            "requested": str(n.value(self.requested)),
            "over_by": str(n.value(self.over_by)),
        }


def check_budget(figures: BudgetFigures, action: OverBudgetAction | str, what: str) -> bool:
    """Whether the approval goes over budget (to be flagged); refuse it (409) if the budget says
    so. ``what`` names budget and subject for the message, e.g. "request 7 in budget 2026-Q4".
    Refused (422) when the committed spend would be more than the books can hold, so that
    summing it never overflows."""
    if not n.fits(figures.after, n.VALUE_PLACES):
        n.refuse_too_large(
            "budget", {"total": [f"Approving {what} would commit more than the books can hold."]}
        )
    if figures.within:
        return False
    if OverBudgetAction(action) is OverBudgetAction.FLAG:
        return True
    f = figures.as_dict()
    raise OverBudget(
        f"Approving {what} would exceed the budget: budget {f['budget']}, committed "
        f"{f['committed']}, requested {f['requested']}, over by {f['over_by']}.",
        extra=f,
    )


def require_reason(reason: str | None) -> str:
    """A rejection says why (422 without one): the requester has to know what to change."""
    if wording.blank(reason):
        raise ValidationFailed(
            "A rejection needs a reason.", errors={"reason": ["Say why it is rejected."]}
        )
    return reason.strip()


def check_may_decide(
    *,
    actor_id: int,
    actor_roles: Iterable[str],
    raised_by: int,
    steps: Sequence[str],
    next_step: int,
    earlier_approvers: Iterable[int],
    subject: str = "request",
    expected_step: int | None = None,
) -> None:
    """Refuse a decision on step ``next_step`` of ``steps``.

    409 when the step the caller meant (``expected_step``) or the step of their role was decided
    meanwhile by someone else (two approvers at once: one wins, the other is told). 403 for the
    raiser of the subject, for someone without the role the step needs, and for
    someone who approved an earlier step.
    """
    roles = set(actor_roles)
    waiting_role = steps[next_step]
    if expected_step is not None and expected_step != next_step:
        raise Conflict(
            f"Step {expected_step} of this {subject} has been decided already; it now waits at "
            f"step {next_step} for {waiting_role!r}.",
            extra={"next_step": next_step, "waiting_role": waiting_role},
        )
    if actor_id == raised_by:
        raise PermissionDenied(
            f"You cannot approve your own {subject}; another person holding "
            f"{waiting_role!r} must decide it.",
            extra={"waiting_role": waiting_role},
        )
    if waiting_role not in roles:
        if roles & set(steps[:next_step]):
            by = "you" if actor_id in set(earlier_approvers) else "someone else"
            raise Conflict(
                f"The step for your role was approved by {by} already; this {subject} "
                f"now waits at step {next_step} for {waiting_role!r}.",
                extra={"next_step": next_step, "waiting_role": waiting_role},
            )
        raise PermissionDenied(
            f"This {subject} waits at step {next_step} for someone holding the role "
            f"{waiting_role!r}, which you do not hold; that step needs {waiting_role!r}.",
            extra={"waiting_role": waiting_role},
        )
    if actor_id in set(earlier_approvers):
        raise PermissionDenied(
            f"You approved an earlier step of this {subject}; a different person holding "
            f"{waiting_role!r} must decide this step.",
            extra={"waiting_role": waiting_role},
        )
