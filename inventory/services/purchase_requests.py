"""Purchase requests: raise, edit while a draft, submit into approval, approve or reject step by
step (with the budget check on the last step), cancel, and the later moves to ordered and closed.

The rules live in ``inventory.domain.requests`` (states, totals) and
``inventory.domain.approvals`` (bands, budget, separation of duties).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date

from sqlalchemy import delete, select

from inventory import clock
from inventory.db import request_queries as rq
from inventory.db.models import Item
from inventory.db.procurement_models import (
    Budget,
    CostCentre,
    PurchaseRequest,
    PurchaseRequestLine,
)
from inventory.db.status_writes import record_status_change
from inventory.domain import approvals as ap
from inventory.domain import numbers as n
from inventory.domain import requests as rr
from inventory.domain.actors import Actor, Role
from inventory.domain.requests import RequestLineIn, RequestStatus
from inventory.errors import NotFound, PermissionDenied, ValidationFailed
from inventory.services import approvals, audit, budgets, notifications
from inventory.services.tx import retrying, transaction

SUBJECT = "purchase_request"
INBOX = "GET /api/v1/approvals/inbox"


def get(request_id: int) -> dict:
    found = rq.purchase_request(request_id)
    if found is None:
        raise NotFound(f"No purchase request with id {request_id}.")
    found["decisions"] = approvals.decision_history(SUBJECT, request_id)
    found["history"] = approvals.status_history(SUBJECT, request_id)
    return found


def _snapshot(req: PurchaseRequest) -> dict:
    return {
        "status": req.status,
        "total": req.total,
        "budget_id": req.budget_id,
        "steps": list(req.steps or []),
        "next_step": req.next_step,
        "waiting_role": req.waiting_role,
        "over_budget": req.over_budget,
    }


@retrying
def create(actor: Actor, cost_centre_id: int, lines: list[RequestLineIn], note: str = "") -> int:
    """Raise a draft request; the caller is its requester."""
    rr.validate_lines(lines)
    with transaction() as session:
        _check_cost_centre(session, cost_centre_id)
        _check_items(session, lines)
        now = clock.now()
        req = PurchaseRequest(
            requester_id=actor.id,
            cost_centre_id=cost_centre_id,
            status=RequestStatus.DRAFT.value,
            total=rr.request_total((x.quantity, x.estimated_price) for x in lines),
            next_step=0,
            over_budget=False,
            note=note,
            created_at=now,
            updated_at=now,
        )
        session.add(req)
        session.flush()
        _write_lines(session, req.id, lines)
        record_status_change(session, SUBJECT, req.id, None, req.status, actor.id, clock.now())
        audit.record(
            actor,
            "purchase_request.create",
            SUBJECT,
            req.id,
            after={
                **_snapshot(req),
                "cost_centre_id": cost_centre_id,
                "lines": [asdict(x) for x in lines],
            },
        )
        return req.id


def _check_cost_centre(session, cost_centre_id: int) -> None:
    centre = session.get(CostCentre, cost_centre_id)
    if centre is None or not centre.active:
        state = "unknown" if centre is None else f"inactive ({centre.code})"
        raise ValidationFailed(
            f"The request is charged to an {state} cost centre.",
            errors={"cost_centre_id": [f"Cost centre {cost_centre_id} is {state}."]},
        )


def _check_items(session, lines: list[RequestLineIn]) -> None:
    wanted = {line.item_id for line in lines}
    active = set(session.scalars(select(Item.id).where(Item.id.in_(wanted), Item.active)))
    bad = {
        str(i): {"item_id": [f"No active item with id {line.item_id}."]}
        for i, line in enumerate(lines)
        if line.item_id not in active
    }
    if bad:
        raise ValidationFailed(
            "Some lines name items that are unknown or deactivated.", errors={"lines": bad}
        )


def _write_lines(session, request_id: int, lines: list[RequestLineIn]) -> None:
    session.add_all(
        PurchaseRequestLine(
            request_id=request_id,
            line_no=i,
            item_id=x.item_id,
            quantity=x.quantity,
            needed_by=x.needed_by,
            estimated_price=x.estimated_price,
            note=x.note,
            ordered_quantity=0,
        )
        for i, x in enumerate(lines, start=1)
    )


def _draft_contents(session, req: PurchaseRequest) -> dict:
    """What an edit may change, for the audit's before and after."""
    lines = session.scalars(
        select(PurchaseRequestLine)
        .where(PurchaseRequestLine.request_id == req.id)
        .order_by(PurchaseRequestLine.line_no)
    )
    return {
        "cost_centre_id": req.cost_centre_id,
        "note": req.note,
        "total": req.total,
        "lines": [
            {
                "item_id": x.item_id,
                "quantity": x.quantity,
                "estimated_price": x.estimated_price,
                "needed_by": x.needed_by,
                "note": x.note,
            }
            for x in lines
        ],
    }


@retrying
def edit(
    actor: Actor, request_id: int, changes: dict, check_current: Callable[[dict], None]
) -> int:
    """Change a draft's ``cost_centre_id``, ``note`` and/or ``lines`` (the whole new list,
    replacing the old lines), if ``check_current`` accepts the request as it is now (the
    If-Match); by the requester or an admin."""
    lines: list[RequestLineIn] | None = changes.get("lines")
    if lines is not None:
        rr.validate_lines(lines)
    with transaction() as session:
        req = _locked(session, request_id)
        _own_or_admin(actor, req, "edit")
        # The state before the ETag: a request submitted since your read is a 409 that says
        # why, not a 412 that only says to read again.
        rr.check_editable(req.status, req.id)
        check_current(get(request_id))
        before = _draft_contents(session, req)
        if "cost_centre_id" in changes:
            _check_cost_centre(session, changes["cost_centre_id"])
            req.cost_centre_id = changes["cost_centre_id"]
        if "note" in changes:
            req.note = changes["note"]
        if lines is not None:
            _check_items(session, lines)
            session.execute(
                delete(PurchaseRequestLine).where(PurchaseRequestLine.request_id == req.id)
            )
            _write_lines(session, req.id, lines)
            req.total = rr.request_total((x.quantity, x.estimated_price) for x in lines)
        req.updated_at = clock.now()
        session.flush()
        audit.record(
            actor,
            "purchase_request.edit",
            SUBJECT,
            req.id,
            before=before,
            after=_draft_contents(session, req),
        )
        return req.id


def _locked(session, request_id: int) -> PurchaseRequest:
    req = session.get(PurchaseRequest, request_id, with_for_update=True)
    if req is None:
        raise NotFound(f"No purchase request with id {request_id}.")
    return req


def _own_or_admin(actor: Actor, req: PurchaseRequest, action: str) -> None:
    if actor.id != req.requester_id and Role.ADMIN.value not in actor.roles:
        raise PermissionDenied(
            f"Only the requester (user {req.requester_id}) or an admin may {action} "
            f"purchase request {req.id}."
        )


def _move(session, req: PurchaseRequest, target: RequestStatus, actor: Actor, reason="") -> None:
    rr.check_request_transition(req.status, target)
    record_status_change(
        session, SUBJECT, req.id, req.status, target, actor.id, clock.now(), reason
    )
    req.status = target.value
    req.updated_at = clock.now()


def _announce(req: PurchaseRequest) -> None:
    notifications.notify_roles(
        [req.waiting_role],
        f"Purchase request {req.id} waits for your approval ({req.waiting_role})",
        f"Purchase request {req.id} for {req.total} waits at step {req.next_step + 1} of "
        f"{len(req.steps)} for {req.waiting_role}. See {INBOX}.",
        exclude=[req.requester_id],
    )


@retrying
def submit(actor: Actor, request_id: int, *, today: date | None = None) -> int:
    """Send a draft into approval: total it, find its budget period, fix its approval steps."""
    today = today or clock.now().date()
    with transaction() as session:
        req = _locked(session, request_id)
        _own_or_admin(actor, req, "submit")
        rr.check_request_transition(req.status, RequestStatus.SUBMITTED)
        before = _snapshot(req)
        lines = session.execute(
            select(PurchaseRequestLine.quantity, PurchaseRequestLine.estimated_price).where(
                PurchaseRequestLine.request_id == req.id
            )
        ).all()
        req.total = rr.request_total((q, p) for q, p in lines)
        centre = session.get(CostCentre, req.cost_centre_id)
        if not centre.active:
            raise ValidationFailed(
                f"Cost centre {centre.code} is inactive; nothing new is charged to it.",
                errors={"cost_centre_id": [f"Cost centre {centre.code} is inactive."]},
            )
        req.budget_id = budgets.budget_on(session, centre, today).id
        steps = approvals.approval_bands_for(req.total)
        req.steps, req.next_step = steps, 0
        req.waiting_role = steps[0] if steps else None
        req.submitted_at = clock.now()
        _move(session, req, RequestStatus.SUBMITTED, actor)
        if not steps:
            # The band needs nobody's approval; the budget still has its say.
            _final_approval(session, req, actor, "no approval needed for this amount")
        else:
            _announce(req)
        audit.record(
            actor, "purchase_request.submit", SUBJECT, req.id, before=before, after=_snapshot(req)
        )
        return req.id


def _final_approval(session, req: PurchaseRequest, actor: Actor, reason: str) -> None:
    # Lock the budget row before summing what it has committed: two final approvals against one
    # budget take turns here, so the second sees the first's total and neither over-commits.
    budget = session.get(Budget, req.budget_id, with_for_update=True)
    figures = ap.BudgetFigures(
        budget=budget.amount,
        committed=budgets.committed_spend(session, budget.id),
        requested=req.total,
    )
    what = f"purchase request {req.id} against budget {budget.period} (id {budget.id})"
    req.over_budget = ap.check_budget(figures, budget.over_budget_action, what)
    if req.over_budget:
        # Kept for the exceptions report: later approvals change what the budget has left.
        req.budget_left = n.value(figures.budget - figures.committed)
        flag = f"over budget by {figures.as_dict()['over_by']} (flagged)"
        reason = f"{reason}; {flag}" if reason else flag
    req.waiting_role = None
    req.decided_at = clock.now()
    _move(session, req, RequestStatus.APPROVED, actor, reason)
    notifications.notify(
        [req.requester_id],
        f"Purchase request {req.id} is approved",
        f"Purchase request {req.id} for {req.total} is approved"
        + (" over budget (flagged for finance)." if req.over_budget else "."),
    )


def _check_decider(session, actor: Actor, req: PurchaseRequest, expected_step) -> None:
    if req.status != RequestStatus.SUBMITTED.value:
        # Approved, rejected or cancelled meanwhile (or never submitted): the table says what is
        # possible from here.
        rr.check_request_transition(req.status, RequestStatus.APPROVED)
    ap.check_may_decide(
        actor_id=actor.id,
        actor_roles=actor.roles,
        raised_by=req.requester_id,
        steps=req.steps,
        next_step=req.next_step,
        earlier_approvers=approvals.approvers_so_far(session, SUBJECT, req.id),
        subject="request",
        expected_step=expected_step,
    )


@retrying
def approve(
    actor: Actor, request_id: int, *, expected_step: int | None = None, reason: str = ""
) -> int:
    """Approve the request's current step; the last step checks the budget and approves it."""
    with transaction() as session:
        req = _locked(session, request_id)
        _check_decider(session, actor, req, expected_step)
        before = _snapshot(req)
        step, role = req.next_step, req.waiting_role
        approvals.record_decision(session, SUBJECT, req.id, step, role, actor, "approved", reason)
        if step + 1 < len(req.steps):
            req.next_step, req.waiting_role = step + 1, req.steps[step + 1]
            req.updated_at = clock.now()
            _announce(req)
        else:
            _final_approval(session, req, actor, reason)
        audit.record(
            actor,
            "purchase_request.approve",
            SUBJECT,
            req.id,
            before=before,
            after={**_snapshot(req), "step": step, "role": role},
        )
        return req.id


@retrying
def reject(actor: Actor, request_id: int, *, reason: str, expected_step: int | None = None) -> int:
    reason = ap.require_reason(reason)
    with transaction() as session:
        req = _locked(session, request_id)
        if req.status != RequestStatus.SUBMITTED.value:
            rr.check_request_transition(req.status, RequestStatus.REJECTED)
        _check_decider(session, actor, req, expected_step)
        before = _snapshot(req)
        approvals.record_decision(
            session, SUBJECT, req.id, req.next_step, req.waiting_role, actor, "rejected", reason
        )
        req.waiting_role = None
        req.decided_at = clock.now()
        _move(session, req, RequestStatus.REJECTED, actor, reason)
        notifications.notify(
            [req.requester_id],
            f"Purchase request {req.id} was rejected",
            f"Purchase request {req.id} was rejected by {actor.username}: {reason}",
        )
        audit.record(
            actor, "purchase_request.reject", SUBJECT, req.id, before=before, after=_snapshot(req)
        )
        return req.id


@retrying
def cancel(actor: Actor, request_id: int, *, reason: str = "") -> int:
    """Withdraw a draft, submitted or approved request; an approved one frees its budget.

    An ``ordered`` request whose orders have all ended (cancelled, say, before anything came)
    may be cancelled too, dropping what it still needs: it ends ``cancelled`` when nothing of it
    arrived, ``closed`` when some did (``inventory.domain.requests.after_dropping``)."""
    with transaction() as session:
        req = _locked(session, request_id)
        _own_or_admin(actor, req, "cancel")
        before = _snapshot(req)
        target = RequestStatus.CANCELLED
        if req.status == RequestStatus.ORDERED:
            # The request's lock keeps new orders of it out (ordering locks requests first).
            target = rr.after_dropping(
                req.id,
                rq.line_progress(session, [req.id]).get(req.id, []),
                rq.received_for(session, req.id),
            )
        _move(session, req, target, actor, reason)
        req.waiting_role = None
        audit.record(
            actor, "purchase_request.cancel", SUBJECT, req.id, before=before, after=_snapshot(req)
        )
        return req.id


def transition(
    actor: Actor,
    request_id: int,
    target: RequestStatus | str,
    reason: str = "",
    *,
    action: str | None = None,
) -> None:
    """Move a request to ``ordered`` or ``closed`` (purchase orders call this, joining their
    transaction); checked against the table, recorded and audited like every move (as
    ``action``, by default ``purchase_request.<target>``)."""
    target = RequestStatus(target)
    if target not in (RequestStatus.ORDERED, RequestStatus.CLOSED):
        raise ValueError(f"use the request's own service function to make it {target}")
    with transaction() as session:
        req = _locked(session, request_id)
        before = _snapshot(req)
        _move(session, req, target, actor, reason)
        audit.record(
            actor,
            action or f"purchase_request.{target}",
            SUBJECT,
            req.id,
            before=before,
            after=_snapshot(req),
        )
