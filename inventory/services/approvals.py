"""Approval rules (amount bands), the approval of purchase orders, and the record keeping that
requests and orders share: decisions, status changes and notices to whoever must act next.

The rules themselves live in ``inventory.domain.approvals``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from inventory import clock
from inventory.db.base import db, is_postgresql
from inventory.db.procurement_models import Approval, ApprovalRule, PurchaseOrder, StatusChange
from inventory.db.status_writes import record_status_change
from inventory.domain import approvals as ap
from inventory.domain import numbers as n
from inventory.domain.actors import Actor
from inventory.errors import Conflict, InvalidTransition, NotFound
from inventory.services import audit, notifications
from inventory.services.tx import retrying, transaction

RULE_FIELDS = ("name", "min_amount", "max_amount", "steps", "active")
ORDER = "purchase_order"
# The approval of an order moves on its own track (not_required → pending → approved | rejected)
# beside the order's status, so its status changes are recorded under their own subject type.
ORDER_APPROVAL = "order_approval"
# Earlier rounds of an order's approval move to negative steps, this far apart (see below).
ROUND_SHIFT = 100


# -- approval rules ------------------------------------------------------------------------------


def rule_snapshot(row: ApprovalRule) -> dict:
    # Amounts in the columns' canonical form ("5.00", not the "5" that was sent) on create and
    # update as on read.
    snapshot = {"id": row.id, **{f: getattr(row, f) for f in RULE_FIELDS}}
    for field in ("min_amount", "max_amount"):
        if snapshot[field] is not None:
            snapshot[field] = n.value(snapshot[field])
    return snapshot


def _band(values: dict, rule_id: int | None = None) -> ap.Band:
    return ap.Band(
        values["min_amount"], values["max_amount"], tuple(values["steps"]), values["name"], rule_id
    )


def _active_bands(session) -> list[ap.Band]:
    rows = session.scalars(
        select(ApprovalRule).where(ApprovalRule.active.is_(True)).order_by(ApprovalRule.min_amount)
    )
    return [_band(rule_snapshot(r), r.id) for r in rows]


def _lock_rules(session) -> None:
    # Two writers could each pass the overlap check and save overlapping bands; rules change
    # rarely, so writers take turns (plain reads are not blocked). SQLite writers already do.
    if is_postgresql(session):
        session.execute(text("LOCK TABLE approval_rule IN EXCLUSIVE MODE"))


def _check_rule(session, values: dict, rule_id: int | None = None) -> None:
    ap.validate_band(values["min_amount"], values["max_amount"], values["steps"])
    if values["active"]:
        ap.check_no_overlap(_band(values, rule_id), _active_bands(session))


@retrying
def create_rule(actor: Actor, values: dict) -> dict:
    values = {"max_amount": None, "active": True, **values}
    with transaction() as session:
        _lock_rules(session)
        _check_rule(session, values)
        row = ApprovalRule(**{f: values[f] for f in RULE_FIELDS})
        row.steps = list(values["steps"])
        session.add(row)
        session.flush()
        after = rule_snapshot(row)
        audit.record(actor, "approval_rule.create", "approval_rule", row.id, after=after)
    return after


def get_rule(rule_id: int) -> dict:
    row = db.session.get(ApprovalRule, rule_id)
    if row is None:
        raise NotFound(f"No approval rule with id {rule_id}.")
    return rule_snapshot(row)


@retrying
def update_rule(
    actor: Actor, rule_id: int, changes: dict, check_current: Callable[[dict], None]
) -> dict:
    with transaction() as session:
        _lock_rules(session)
        row = session.get(ApprovalRule, rule_id, with_for_update=True)
        if row is None:
            raise NotFound(f"No approval rule with id {rule_id}.")
        before = rule_snapshot(row)
        check_current(before)
        values = {**before, **changes}
        _check_rule(session, values, rule_id)
        for field in RULE_FIELDS:
            setattr(row, field, list(values[field]) if field == "steps" else values[field])
        session.flush()
        after = rule_snapshot(row)
        audit.record(
            actor, "approval_rule.update", "approval_rule", rule_id, before=before, after=after
        )
    return after


def approval_bands_for(amount: Decimal) -> list[str]:
    """The roles that must approve ``amount`` (base currency), in order; [] if none must."""
    return list(ap.steps_for(amount, _active_bands(db.session)))


# -- shared record keeping ---------------------------------------------------------------------


def approvers_so_far(session, subject_type: str, subject_id: int) -> set[int]:
    """Who approved a step of the current round (steps ≥ 0) of this subject."""
    return set(
        session.scalars(
            select(Approval.approver_id).where(
                Approval.subject_type == subject_type,
                Approval.subject_id == subject_id,
                Approval.step >= 0,
                Approval.decision == "approved",
            )
        )
    )


def record_decision(
    session,
    subject_type: str,
    subject_id: int,
    step: int,
    role: str,
    actor: Actor,
    decision: str,
    reason: str,
) -> None:
    """Write the decision on one step; the unique step refuses a second decision (409)."""
    try:
        with session.begin_nested():
            session.add(
                Approval(
                    subject_type=subject_type,
                    subject_id=subject_id,
                    step=step,
                    role=role,
                    approver_id=actor.id,
                    decision=decision,
                    reason=reason,
                    at=clock.now(),
                )
            )
    except IntegrityError:
        raise Conflict(
            f"Step {step} of {subject_type.replace('_', ' ')} {subject_id} has been decided "
            "already.",
            extra={"step": step},
        ) from None


def decision_history(subject_type: str, subject_id: int) -> list[dict]:
    rows = db.session.execute(
        select(
            Approval.step,
            Approval.role,
            Approval.approver_id,
            Approval.decision,
            Approval.reason,
            Approval.at,
        )
        .where(Approval.subject_type == subject_type, Approval.subject_id == subject_id)
        .order_by(Approval.at, Approval.id)
    )
    return [dict(r._mapping) for r in rows]


def status_history(subject_type: str, subject_id: int) -> list[dict]:
    rows = db.session.execute(
        select(
            StatusChange.from_status,
            StatusChange.to_status,
            StatusChange.actor_id,
            StatusChange.at,
            StatusChange.reason,
        )
        .where(StatusChange.subject_type == subject_type, StatusChange.subject_id == subject_id)
        .order_by(StatusChange.id)
    )
    return [dict(r._mapping) for r in rows]


# -- purchase orders ------------------------------------------------------------------------------


def order_snapshot(order: PurchaseOrder) -> dict:
    return {
        "id": order.id,
        "status": order.status,
        "approval_status": order.approval_status,
        "steps": list(order.steps or []),
        "next_step": order.next_step,
        "waiting_role": order.waiting_role,
        "total": order.total,
        "currency": order.currency,
        "created_by": order.created_by,
    }


def _locked_order(session, order_id: int) -> PurchaseOrder:
    order = session.get(PurchaseOrder, order_id, with_for_update=True)
    if order is None:
        raise NotFound(f"No purchase order with id {order_id}.")
    return order


def require_order_approval(order_id: int, amount_base: Decimal, actor: Actor) -> list[str]:
    """Put the order through the approval bands for ``amount_base`` (its total in base currency).

    Joins the caller's transaction. Returns the steps; [] means no approval is needed and the
    order is 'approved' at once. Calling it again starts a new round: the decisions of the
    earlier round stay on record at negative steps (step − 100 × round), so the unique step
    keeps guarding the new round, which starts at step 0.
    """
    steps = approval_bands_for(amount_base)
    with transaction() as session:
        order = _locked_order(session, order_id)
        before = order_snapshot(order)
        session.execute(
            update(Approval)
            .where(Approval.subject_type == ORDER, Approval.subject_id == order_id)
            .values(step=Approval.step - ROUND_SHIFT)
        )
        order.steps, order.next_step = steps, 0
        order.approval_status = "pending" if steps else "approved"
        order.waiting_role = steps[0] if steps else None
        order.updated_at = clock.now()
        needs = " then ".join(steps) or "no approval"
        record_status_change(
            session,
            ORDER_APPROVAL,
            order_id,
            before["approval_status"],
            order.approval_status,
            actor.id,
            clock.now(),
            f"{amount_base} in base currency needs {needs}",
        )
        audit.record(
            actor,
            "purchase_order.approval_required",
            ORDER,
            order_id,
            before=before,
            after={**order_snapshot(order), "amount_base": amount_base},
        )
        if steps:
            _announce_order(order, f"{amount_base} in base currency")
    return list(steps)


def _announce_order(order: PurchaseOrder, amount: str) -> None:
    notifications.notify_roles(
        [order.waiting_role],
        f"Purchase order {order.id} waits for your approval ({order.waiting_role})",
        f"Purchase order {order.id} ({amount}) waits at step {order.next_step + 1} of "
        f"{len(order.steps)} for {order.waiting_role}. See GET /api/v1/approvals/inbox.",
        exclude=[order.created_by],
    )


def _open_order_step(order: PurchaseOrder) -> None:
    if order.approval_status != "pending" or order.status == "cancelled":
        raise InvalidTransition(
            f"Purchase order {order.id} is {order.status} with approval {order.approval_status}; "
            "only a pending approval of a live order can be decided.",
            extra={"approval_status": order.approval_status, "allowed": []},
        )


def _check_order_decider(session, actor: Actor, order, expected_step: int | None) -> None:
    ap.check_may_decide(
        actor_id=actor.id,
        actor_roles=actor.roles,
        raised_by=order.created_by,
        steps=order.steps,
        next_step=order.next_step,
        earlier_approvers=approvers_so_far(session, ORDER, order.id),
        subject="purchase order",
        expected_step=expected_step,
    )


@retrying
def approve_order(
    actor: Actor, order_id: int, *, expected_step: int | None = None, reason: str = ""
) -> dict:
    """Approve the order's current step; the last step makes its approval 'approved'."""
    with transaction() as session:
        order = _locked_order(session, order_id)
        _open_order_step(order)
        _check_order_decider(session, actor, order, expected_step)
        before = order_snapshot(order)
        step, role = order.next_step, order.waiting_role
        record_decision(session, ORDER, order_id, step, role, actor, "approved", reason)
        if step + 1 < len(order.steps):
            order.next_step, order.waiting_role = step + 1, order.steps[step + 1]
            _announce_order(order, f"{order.total} {order.currency}")
        else:
            order.approval_status, order.waiting_role = "approved", None
            record_status_change(
                session,
                ORDER_APPROVAL,
                order_id,
                "pending",
                "approved",
                actor.id,
                clock.now(),
                reason,
            )
            notifications.notify(
                [order.created_by],
                f"Purchase order {order.id} is approved",
                f"Purchase order {order.id} passed its last approval step; it can be sent.",
            )
        order.updated_at = clock.now()
        after = order_snapshot(order)
        audit.record(actor, "purchase_order.approve", ORDER, order_id, before=before, after=after)
    return after


@retrying
def reject_order(
    actor: Actor, order_id: int, *, reason: str, expected_step: int | None = None
) -> dict:
    """Reject the order at its current step; it cannot be sent (see ``require_order_approval``
    to put a changed order through approval again)."""
    reason = ap.require_reason(reason)
    with transaction() as session:
        order = _locked_order(session, order_id)
        _open_order_step(order)
        _check_order_decider(session, actor, order, expected_step)
        before = order_snapshot(order)
        record_decision(
            session, ORDER, order_id, order.next_step, order.waiting_role, actor, "rejected", reason
        )
        order.approval_status, order.waiting_role = "rejected", None
        order.updated_at = clock.now()
        record_status_change(
            session, ORDER_APPROVAL, order_id, "pending", "rejected", actor.id, clock.now(), reason
        )
        notifications.notify(
            [order.created_by],
            f"Purchase order {order.id} was rejected",
            f"Purchase order {order.id} was rejected by {actor.username}: {reason}",
        )
        after = order_snapshot(order)
        audit.record(actor, "purchase_order.reject", ORDER, order_id, before=before, after=after)
    return after


def get_order_approval(order_id: int) -> dict:
    order = db.session.get(PurchaseOrder, order_id)
    if order is None:
        raise NotFound(f"No purchase order with id {order_id}.")
    return {
        **order_snapshot(order),
        "decisions": decision_history(ORDER, order_id),
        "history": status_history(ORDER_APPROVAL, order_id),
    }
