"""Cost centres and their budgets per period; the budget a request falls in and what it has
committed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from inventory import clock
from inventory.db import budget_flag_writes, budget_queries
from inventory.db.base import db
from inventory.db.procurement_models import Budget, CostCentre, PurchaseRequest
from inventory.domain import approvals as ap
from inventory.domain import numbers as n
from inventory.domain.actors import Actor
from inventory.domain.approvals import OverBudgetAction
from inventory.domain.requests import COMMITTED_STATUSES
from inventory.errors import Conflict, NotFound, ValidationFailed
from inventory.services import audit, codes
from inventory.services.tx import retrying, transaction

CENTRE_FIELDS = ("code", "name", "active")
BUDGET_FIELDS = ("period", "starts_on", "ends_on", "amount", "over_budget_action")


# -- cost centres ---------------------------------------------------------------------------


def centre_snapshot(row: CostCentre) -> dict:
    return {
        "id": row.id,
        **{f: getattr(row, f) for f in CENTRE_FIELDS},
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _unique_code(session, code: str, exclude_id: int | None = None) -> None:
    codes.check_free(session, CostCentre.code, code, "cost centre", "code", exclude_id)


@retrying
def create_centre(actor: Actor, *, code: str, name: str, active: bool = True) -> dict:
    with transaction() as session:
        _unique_code(session, code)
        now = clock.now()
        row = CostCentre(code=code, name=name, active=active, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        after = centre_snapshot(row)
        audit.record(actor, "cost_centre.create", "cost_centre", row.id, after=after)
    return after


def get_centre(centre_id: int) -> dict:
    row = db.session.get(CostCentre, centre_id)
    if row is None:
        raise NotFound(f"No cost centre with id {centre_id}.")
    return centre_snapshot(row)


@retrying
def update_centre(
    actor: Actor, centre_id: int, changes: dict, check_current: Callable[[dict], None]
) -> dict:
    with transaction() as session:
        row = session.get(CostCentre, centre_id, with_for_update=True)
        if row is None:
            raise NotFound(f"No cost centre with id {centre_id}.")
        before = centre_snapshot(row)
        check_current(before)
        if "code" in changes and changes["code"] != row.code:
            _unique_code(session, changes["code"], exclude_id=centre_id)
        for field in CENTRE_FIELDS:
            if field in changes:
                setattr(row, field, changes[field])
        row.updated_at = clock.now()
        session.flush()
        after = centre_snapshot(row)
        audit.record(
            actor, "cost_centre.update", "cost_centre", centre_id, before=before, after=after
        )
    return after


# -- budgets -----------------------------------------------------------------------------------


def committed_spend(session, budget_id: int) -> Decimal:
    """Σ totals of the budget's approved, ordered and closed requests (one SUM, exact), plus
    the direct orders raised for its cost centre in its period."""
    # SUM keeps the column's fixed-point type, so the integer cents come back as a Decimal.
    total = session.scalar(
        select(func.sum(PurchaseRequest.total)).where(
            PurchaseRequest.budget_id == budget_id,
            PurchaseRequest.status.in_([s.value for s in COMMITTED_STATUSES]),
        )
    )
    requested = total if total is not None else Decimal(0)
    # Direct orders name their cost centre and count against its budget for the day they were
    # sent (migration 0007): what is on order and what was received, in base currency.
    direct = budget_queries.order_values([budget_id], clock.now().date(), direct_only=True)
    figures = direct.get(budget_id, {})
    return requested + figures.get("on_order", 0) + figures.get("actual", 0)


def check_direct_order(
    session,
    actor: Actor,
    order_id: int,
    centre_id: int | None,
    amount_base: Decimal,
    stage: str,
) -> bool:
    """A direct order against its cost centre's budget of today, by the rule a request's final
    approval follows (``check_budget``): OverBudget (409) when it would overspend a budget that
    refuses; over one that flags, an audited ``purchase_order.over_budget``, a flag row for the
    exceptions report (``stage``: create or send; amount, budget left, who, when) and True. No
    centre, or no budget period today: nothing to check.

    The order is already written, and a draft counts in ``committed_spend`` from its creation,
    so its own ``amount_base`` is taken out of the committed figure."""
    if centre_id is None:
        return False
    day = clock.now().date()  # the UTC day budget_queries.order_values files the order under
    budget = session.scalar(
        select(Budget)
        .where(Budget.cost_centre_id == centre_id, Budget.starts_on <= day, Budget.ends_on >= day)
        .with_for_update()  # two orders against one budget take turns, as approvals do
    )
    if budget is None:
        return False
    figures = ap.BudgetFigures(
        budget=budget.amount,
        committed=committed_spend(session, budget.id) - amount_base,
        requested=amount_base,
    )
    what = f"purchase order {order_id} against budget {budget.period} (id {budget.id})"
    if not ap.check_budget(figures, budget.over_budget_action, what):
        return False
    budget_flag_writes.record_order_flag(
        session,
        order_id=order_id,
        budget_id=budget.id,
        stage=stage,
        amount=n.value(amount_base),
        budget_left=n.value(figures.budget - figures.committed),
        actor_id=actor.id,
        at=clock.now(),
    )
    audit.record(
        actor,
        "purchase_order.over_budget",
        "purchase_order",
        order_id,
        after={"budget_id": budget.id, "stage": stage, **figures.as_dict()},
    )
    return True


def budget_snapshot(session, row: Budget) -> dict:
    committed = committed_spend(session, row.id)
    return {
        "id": row.id,
        "cost_centre_id": row.cost_centre_id,
        **{f: getattr(row, f) for f in BUDGET_FIELDS},
        # The row holds what was sent ("50000") until it is read back; answer in the column's
        # canonical form on create and update as on read.
        "amount": n.value(row.amount),
        "committed": n.value(committed),
        "available": n.value(row.amount - committed),
    }


def _check_budget_values(values: dict) -> None:
    errors: dict[str, list[str]] = {}
    amount = values.get("amount")
    if amount is not None and (amount < 0 or n.places(amount) > n.VALUE_PLACES):
        errors["amount"] = [f"Use a non-negative amount with at most {n.VALUE_PLACES} places."]
    action = values.get("over_budget_action")
    if action is not None and action not in {a.value for a in OverBudgetAction}:
        errors["over_budget_action"] = [f"Use one of {[a.value for a in OverBudgetAction]}."]
    starts, ends = values.get("starts_on"), values.get("ends_on")
    if starts is not None and ends is not None and ends < starts:
        errors["ends_on"] = ["The period cannot end before it starts (both days are included)."]
    if errors:
        raise ValidationFailed("The budget is not valid; see the field errors.", errors=errors)


def _check_period_free(session, centre: CostCentre, values: dict, exclude_id=None) -> None:
    others = select(Budget).where(Budget.cost_centre_id == centre.id)
    if exclude_id is not None:
        others = others.where(Budget.id != exclude_id)
    same_label = session.scalar(others.where(Budget.period == values["period"]))
    if same_label is not None:
        raise Conflict(
            f"Cost centre {centre.code} already has a budget for period {values['period']!r} "
            f"(budget {same_label.id}).",
            errors={"period": ["Already has a budget."]},
            extra={"budget_id": same_label.id},
        )
    # Both ends are included, so periods touching on a day overlap.
    overlapping = session.scalar(
        others.where(
            Budget.starts_on <= values["ends_on"], Budget.ends_on >= values["starts_on"]
        ).order_by(Budget.starts_on)
    )
    if overlapping is not None:
        raise Conflict(
            f"The period {values['starts_on']}..{values['ends_on']} overlaps budget "
            f"{overlapping.id} ({overlapping.period}, {overlapping.starts_on}.."
            f"{overlapping.ends_on}) of cost centre {centre.code}; a day has one budget.",
            extra={"budget_id": overlapping.id},
        )


def _locked_centre(session, centre_id: int) -> CostCentre:
    # Locking the centre serializes budget writes per centre, so two overlapping periods
    # cannot both pass the overlap check at once.
    centre = session.get(CostCentre, centre_id, with_for_update=True)
    if centre is None:
        raise ValidationFailed(
            "The budget refers to an unknown cost centre.",
            errors={"cost_centre_id": [f"No cost centre with id {centre_id}."]},
        )
    return centre


@retrying
def create_budget(actor: Actor, values: dict) -> dict:
    _check_budget_values(values)
    with transaction() as session:
        centre = _locked_centre(session, values["cost_centre_id"])
        _check_period_free(session, centre, values)
        row = Budget(
            cost_centre_id=centre.id,
            period=values["period"],
            starts_on=values["starts_on"],
            ends_on=values["ends_on"],
            amount=values["amount"],
            over_budget_action=values.get("over_budget_action", OverBudgetAction.REFUSE.value),
        )
        session.add(row)
        session.flush()
        after = budget_snapshot(session, row)
        audit.record(actor, "budget.create", "budget", row.id, after=after)
    return after


def get_budget(budget_id: int) -> dict:
    row = db.session.get(Budget, budget_id)
    if row is None:
        raise NotFound(f"No budget with id {budget_id}.")
    return budget_snapshot(db.session, row)


@retrying
def update_budget(
    actor: Actor, budget_id: int, changes: dict, check_current: Callable[[dict], None]
) -> dict:
    with transaction() as session:
        current = session.get(Budget, budget_id)
        if current is None:
            raise NotFound(f"No budget with id {budget_id}.")
        centre = _locked_centre(session, current.cost_centre_id)
        # The same lock approvals take, so a budget never shrinks under an approval in flight.
        row = session.get(Budget, budget_id, with_for_update=True, populate_existing=True)
        before = budget_snapshot(session, row)
        check_current(before)
        values = {f: changes.get(f, getattr(row, f)) for f in BUDGET_FIELDS}
        _check_budget_values(values)
        _check_period_free(session, centre, values, exclude_id=budget_id)
        for field in BUDGET_FIELDS:
            setattr(row, field, values[field])
        session.flush()
        after = budget_snapshot(session, row)
        audit.record(actor, "budget.update", "budget", budget_id, before=before, after=after)
    return after


def budget_on(session, centre: CostCentre, day: date) -> Budget:
    """The centre's budget whose period (both ends included) holds ``day``, else 422."""
    found = session.scalar(
        select(Budget).where(
            Budget.cost_centre_id == centre.id, Budget.starts_on <= day, Budget.ends_on >= day
        )
    )
    if found is None:
        raise ValidationFailed(
            f"There is no budget period for cost centre {centre.code} on date {day}; "
            "add one at /api/v1/budgets.",
            errors={"cost_centre_id": [f"No budget period covers {day}."]},
            extra={"cost_centre_id": centre.id, "date": day.isoformat()},
        )
    return found
