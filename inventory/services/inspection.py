"""Inspection plans (none, full, ISO 2859-1 sampling) per item or supplier item, the switching
state per supplier and item, and the sampling plan an inspector is given for a lot."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from inventory.db import inspection_queries
from inventory.db.base import db, is_postgresql
from inventory.db.models import Item
from inventory.db.procurement_models import (
    InspectionPlan,
    InspectionState,
    PurchaseOrder,
    PurchaseOrderLine,
    SupplierItem,
)
from inventory.domain import sampling as sp
from inventory.domain.actors import Actor
from inventory.domain.receiving import InspectionMode
from inventory.errors import Conflict, NotFound, ValidationFailed
from inventory.services import audit
from inventory.services.tx import retrying, transaction

PLAN_COLUMNS = (
    InspectionPlan.id,
    InspectionPlan.item_id,
    InspectionPlan.supplier_item_id,
    InspectionPlan.mode,
    InspectionPlan.aql,
)


@dataclass(frozen=True)
class Plan:
    mode: InspectionMode
    aql: Decimal | None = None
    plan_id: int | None = None


NO_PLAN = Plan(InspectionMode.NONE)


def _plan_dict(row) -> dict:
    data = dict(row._mapping) if hasattr(row, "_mapping") else row
    if data["aql"] is not None:
        data["aql"] = sp.check_aql(data["aql"])  # as the tables write it: 1.0, not 1.0000
    return data


def _check_mode(mode: str, aql: Decimal | None) -> Decimal | None:
    if mode == InspectionMode.SAMPLING:
        if aql is None:
            raise ValidationFailed(
                "Sampling inspection needs an AQL.", errors={"aql": ["Required for sampling."]}
            )
        return sp.check_aql(aql)
    if aql is not None:
        raise ValidationFailed(
            f"An AQL belongs to sampling plans only, not to {mode!r}.",
            errors={"aql": ["Only for mode 'sampling'."]},
        )
    return None


def plans(*, item_id: int | None = None, supplier_item_id: int | None = None) -> Select:
    query = select(*PLAN_COLUMNS)
    if item_id is not None:
        query = query.where(InspectionPlan.item_id == item_id)
    if supplier_item_id is not None:
        query = query.where(InspectionPlan.supplier_item_id == supplier_item_id)
    return query.order_by(InspectionPlan.item_id, InspectionPlan.id)


def plan_page(rows: list[dict]) -> list[dict]:
    return [_plan_dict(row) for row in rows]


def get_plan(plan_id: int) -> dict:
    row = db.session.execute(select(*PLAN_COLUMNS).where(InspectionPlan.id == plan_id)).first()
    if row is None:
        raise NotFound(f"No inspection plan with id {plan_id}.")
    return _plan_dict(row)


@retrying
def create_plan(
    actor: Actor, item_id: int, supplier_item_id: int | None, mode: str, aql: Decimal | None
) -> dict:
    """A plan for an item, or for one supplier's item (which then wins over the item's plan)."""
    aql = _check_mode(mode, aql)
    with transaction() as session:
        # The item row lock makes the look for an existing plan and the insert one step (NO KEY
        # UPDATE: stock postings' foreign-key checks on the item are not held up).
        if session.get(Item, item_id, with_for_update={"key_share": True}) is None:
            raise ValidationFailed(
                "The plan refers to an unknown item.",
                errors={"item_id": [f"No item with id {item_id}."]},
            )
        if supplier_item_id is not None:
            supplier_item = session.get(SupplierItem, supplier_item_id)
            if supplier_item is None or supplier_item.item_id != item_id:
                raise ValidationFailed(
                    "The plan's supplier item is unknown or is for another item.",
                    errors={
                        "supplier_item_id": [
                            f"No supplier item {supplier_item_id} of item {item_id}."
                        ]
                    },
                )
        # The unique constraint does not cover the item plan (NULL supplier item) on either
        # database, so look.
        existing = session.scalar(
            select(InspectionPlan.id).where(
                InspectionPlan.item_id == item_id,
                InspectionPlan.supplier_item_id.is_(None)
                if supplier_item_id is None
                else InspectionPlan.supplier_item_id == supplier_item_id,
            )
        )
        if existing is not None:
            raise Conflict(
                f"Inspection plan {existing} already covers this target; change it instead.",
                extra={"inspection_plan_id": existing},
            )
        plan = InspectionPlan(
            item_id=item_id, supplier_item_id=supplier_item_id, mode=mode, aql=aql
        )
        session.add(plan)
        session.flush()
        after = {"item_id": item_id, "supplier_item_id": supplier_item_id, "mode": mode, "aql": aql}
        audit.record(actor, "inspection_plan.create", "inspection_plan", plan.id, after=after)
        return {"id": plan.id, **after}


@retrying
def update_plan(actor: Actor, plan_id: int, mode: str, aql: Decimal | None) -> dict:
    """Change how the plan's target is inspected (its target stays)."""
    aql = _check_mode(mode, aql)
    with transaction() as session:
        plan = session.get(InspectionPlan, plan_id, with_for_update=True)
        if plan is None:
            raise NotFound(f"No inspection plan with id {plan_id}.")
        before = {"mode": plan.mode, "aql": plan.aql}
        plan.mode, plan.aql = mode, aql
        audit.record(
            actor,
            "inspection_plan.update",
            "inspection_plan",
            plan.id,
            before=before,
            after={"mode": mode, "aql": aql},
        )
    return get_plan(plan_id)


@retrying
def delete_plan(actor: Actor, plan_id: int) -> None:
    with transaction() as session:
        plan = session.get(InspectionPlan, plan_id, with_for_update=True)
        if plan is None:
            raise NotFound(f"No inspection plan with id {plan_id}.")
        before = {
            "item_id": plan.item_id,
            "supplier_item_id": plan.supplier_item_id,
            "mode": plan.mode,
            "aql": plan.aql,
        }
        session.delete(plan)
        audit.record(actor, "inspection_plan.delete", "inspection_plan", plan_id, before=before)


def plans_for_items(session: Session, supplier_id: int, item_ids: set[int]) -> dict[int, Plan]:
    """The plan per item for goods from ``supplier_id``: the supplier item's plan, else the
    item's, else none. One query for the whole receipt."""
    if not item_ids:
        return {}
    found: dict[int, Plan] = {}
    for plan_id, item_id, mode, aql in inspection_queries.plans_for_items(
        session, supplier_id, item_ids
    ):
        found[item_id] = Plan(InspectionMode(mode), aql, plan_id)  # the supplier's wins
    return found


_STATE = InspectionState.__table__
_ENSURE_STATE = {
    True: pg_insert(_STATE).on_conflict_do_nothing(index_elements=["supplier_id", "item_id"]),
    False: sqlite_insert(_STATE).on_conflict_do_nothing(index_elements=["supplier_id", "item_id"]),
}


def read_states(
    session: Session, supplier_id: int, item_ids: set[int]
) -> dict[int, sp.SwitchingState]:
    """The switching states of a supplier's items as they stand (normal when none is kept)."""
    found = {i: sp.SwitchingState() for i in item_ids}
    if item_ids:
        for row in session.execute(
            select(_STATE.c.item_id, _STATE.c.severity, _STATE.c.recent).where(
                _STATE.c.supplier_id == supplier_id, _STATE.c.item_id.in_(item_ids)
            )
        ):
            found[row.item_id] = sp.SwitchingState(sp.Severity(row.severity), row.recent)
    return found


def lock_states(
    session: Session, supplier_id: int, item_ids: set[int]
) -> dict[int, sp.SwitchingState]:
    """The switching states of a supplier's items, created when missing and locked (in item
    order) until the transaction ends, so concurrent receipts count every lot once."""
    if not item_ids:
        return {}
    postgresql = is_postgresql(session)
    session.execute(
        _ENSURE_STATE[postgresql],
        [
            {"supplier_id": supplier_id, "item_id": i, "severity": "normal", "recent": ""}
            for i in sorted(item_ids)
        ],
    )
    query = (
        select(_STATE.c.item_id, _STATE.c.severity, _STATE.c.recent)
        .where(_STATE.c.supplier_id == supplier_id, _STATE.c.item_id.in_(item_ids))
        .order_by(_STATE.c.item_id)
    )
    if postgresql:
        query = query.with_for_update()
    return {
        row.item_id: sp.SwitchingState(sp.Severity(row.severity), row.recent)
        for row in session.execute(query)
    }


def save_states(session: Session, supplier_id: int, states: dict[int, sp.SwitchingState]) -> None:
    if states:
        session.execute(
            update(InspectionState),
            [
                {
                    "supplier_id": supplier_id,
                    "item_id": item_id,
                    "severity": state.severity.value,
                    "recent": state.recent,
                }
                for item_id, state in states.items()
            ],
        )


def describe(plan: Plan, state: sp.SwitchingState, lot_size: int) -> dict:
    """What the inspector is told for a lot: how many units to inspect and the Ac/Re numbers."""
    body = {
        "mode": plan.mode.value,
        "aql": sp.check_aql(plan.aql) if plan.aql is not None else None,
        "lot_size": lot_size,
        "severity": None,
        "code_letter": None,
        "sample_size": None,
        "accept": None,
        "reject": None,
        "full_inspection": plan.mode is InspectionMode.FULL,
    }
    if plan.mode is InspectionMode.FULL:
        body["sample_size"] = lot_size
    elif plan.mode is InspectionMode.SAMPLING:
        found = sp.plan_for(lot_size, plan.aql, state.severity)
        body.update(
            severity=state.severity.value,
            code_letter=found.plan_letter,
            sample_size=found.sample_size,
            accept=found.accept,
            reject=found.reject,
            full_inspection=found.full_inspection,
        )
    return body


def preview(order_id: int, po_line_id: int, lot_size: int | None) -> dict:
    """The inspection a lot of an order line will get, before it is received. Without a lot
    size, the quantity still to come (at least one unit)."""
    row = db.session.execute(
        select(
            PurchaseOrder.supplier_id,
            PurchaseOrderLine.order_id,
            PurchaseOrderLine.item_id,
            PurchaseOrderLine.quantity,
            PurchaseOrderLine.cancelled_quantity,
            PurchaseOrderLine.received_quantity,
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrderLine.id == po_line_id)
    ).first()
    if db.session.get(PurchaseOrder, order_id) is None:
        raise NotFound(f"No purchase order with id {order_id}.")
    if row is None or row.order_id != order_id:
        raise ValidationFailed(
            "The order line is not part of this order.",
            errors={"po_line_id": [f"Purchase order {order_id} has no line {po_line_id}."]},
        )
    if lot_size is None:
        to_come = row.quantity - row.cancelled_quantity - row.received_quantity
        lot_size = sp.lot_size_of(max(to_come, Decimal(1)))
    plan = plans_for_items(db.session, row.supplier_id, {row.item_id}).get(row.item_id, NO_PLAN)
    state = read_states(db.session, row.supplier_id, {row.item_id})[row.item_id]
    return {
        "po_line_id": po_line_id,
        "item_id": row.item_id,
        **describe(plan, state, lot_size),
        "severity": state.severity.value if plan.mode is InspectionMode.SAMPLING else None,
    }
