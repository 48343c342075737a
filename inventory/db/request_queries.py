"""Read models for cost centres, budgets, approval rules, purchase requests and the approval
inbox, straight from SQL."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)

from inventory.db.base import db
from inventory.db.procurement_models import (
    Approval,
    ApprovalRule,
    Budget,
    CostCentre,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
)
from inventory.db.queries import _sorted
from inventory.domain.approvals import APPROVING_ROLES
from inventory.domain.pricing import BASE_CURRENCY
from inventory.domain.requests import COMMITTED_STATUSES, LineProgress, RequestStatus

CENTRE_SORTS = {"id": CostCentre.id, "code": CostCentre.code, "name": CostCentre.name}
REQUEST_SORTS = {
    "id": PurchaseRequest.id,
    "created_at": PurchaseRequest.created_at,
    "submitted_at": PurchaseRequest.submitted_at,
    "total": PurchaseRequest.total,
}


def cost_centres(*, active: bool | None = None, sort: str | None = None) -> Select:
    query = select(*CostCentre.__table__.c)
    if active is not None:
        query = query.where(CostCentre.active.is_(active))
    return _sorted(query, CENTRE_SORTS, sort, "code")


def _committed_by_budget():
    return (
        select(
            PurchaseRequest.budget_id.label("budget_id"),
            func.sum(PurchaseRequest.total).label("committed"),
        )
        .where(PurchaseRequest.status.in_([s.value for s in COMMITTED_STATUSES]))
        .group_by(PurchaseRequest.budget_id)
        .subquery()
    )


def budgets(*, cost_centre_id: int | None = None, active_on=None) -> Select:
    """Budgets with their committed spend and what is left, newest period first per centre."""
    spent = _committed_by_budget()
    committed = func.coalesce(spent.c.committed, 0)
    query = select(
        *Budget.__table__.c,
        committed.label("committed"),
        # Both sides are integer cents, so the difference is too; say so, to read it back exact.
        type_coerce(Budget.amount - committed, Budget.amount.type).label("available"),
    ).outerjoin(spent, spent.c.budget_id == Budget.id)
    if cost_centre_id is not None:
        query = query.where(Budget.cost_centre_id == cost_centre_id)
    if active_on is not None:
        query = query.where(Budget.starts_on <= active_on, Budget.ends_on >= active_on)
    return query.order_by(Budget.cost_centre_id, Budget.starts_on.desc(), Budget.id)


def approval_rules(*, active: bool | None = None) -> Select:
    query = select(*ApprovalRule.__table__.c)
    if active is not None:
        query = query.where(ApprovalRule.active.is_(active))
    return query.order_by(ApprovalRule.min_amount, ApprovalRule.id)


def _request_columns():
    lines = (
        select(func.count(PurchaseRequestLine.id))
        .where(PurchaseRequestLine.request_id == PurchaseRequest.id)
        .scalar_subquery()
    )
    return [*PurchaseRequest.__table__.c, lines.label("line_count")]


def purchase_requests(
    *,
    status: str | None = None,
    cost_centre_id: int | None = None,
    requester_id: int | None = None,
    waiting_role: str | None = None,
    sort: str | None = None,
) -> Select:
    query = select(*_request_columns())
    if status is not None:
        query = query.where(PurchaseRequest.status == status)
    if cost_centre_id is not None:
        query = query.where(PurchaseRequest.cost_centre_id == cost_centre_id)
    if requester_id is not None:
        query = query.where(PurchaseRequest.requester_id == requester_id)
    if waiting_role is not None:
        query = query.where(PurchaseRequest.waiting_role == waiting_role)
    return _sorted(query, REQUEST_SORTS, sort, "-id")


def purchase_request(request_id: int) -> dict | None:
    row = db.session.execute(
        select(*_request_columns()).where(PurchaseRequest.id == request_id)
    ).first()
    if row is None:
        return None
    found = dict(row._mapping)
    found["lines"] = [
        dict(r._mapping)
        for r in db.session.execute(
            select(*PurchaseRequestLine.__table__.c)
            .where(PurchaseRequestLine.request_id == request_id)
            .order_by(PurchaseRequestLine.line_no)
        )
    ]
    return found


def _not_approved_by(actor_id: int, subject_type: str, subject_id, next_step):
    # Whoever approved an earlier step of this round may not decide a later one (see
    # domain.approvals), so it is not waiting for them. At step 0 there is no earlier step, and
    # most of what waits is there, so the lookup runs only for the few at later steps.
    return or_(
        next_step == 0,
        ~exists().where(
            Approval.subject_type == subject_type,
            Approval.subject_id == subject_id,
            Approval.approver_id == actor_id,
            Approval.step >= 0,
        ),
    )


def inbox(actor_id: int, roles: Iterable[str]) -> Select:
    """Requests and orders waiting for one of ``roles``, not raised by the caller and not already
    approved by them at an earlier step; oldest wait first.

    Set-based: each side is an index lookup on ``waiting_role`` (only rows that wait have one),
    so the cost follows what waits, not how many requests and orders there have ever been.
    """
    roles = sorted(set(roles) & set(APPROVING_ROLES))
    requests = select(
        literal("purchase_request", String).label("kind"),
        PurchaseRequest.id.label("id"),
        PurchaseRequest.waiting_role.label("waiting_role"),
        PurchaseRequest.next_step.label("step"),
        PurchaseRequest.total.label("amount"),
        literal(BASE_CURRENCY, String).label("currency"),
        PurchaseRequest.requester_id.label("raised_by"),
        PurchaseRequest.updated_at.label("waiting_since"),
        PurchaseRequest.cost_centre_id.label("cost_centre_id"),
        null().cast(Integer).label("supplier_id"),
        PurchaseRequest.over_budget.label("over_budget"),
    ).where(
        PurchaseRequest.waiting_role.in_(roles) if roles else false(),
        PurchaseRequest.status == RequestStatus.SUBMITTED.value,
        PurchaseRequest.requester_id != actor_id,
        _not_approved_by(
            actor_id, "purchase_request", PurchaseRequest.id, PurchaseRequest.next_step
        ),
    )
    orders = select(
        literal("purchase_order", String).label("kind"),
        PurchaseOrder.id,
        PurchaseOrder.waiting_role,
        PurchaseOrder.next_step,
        PurchaseOrder.total,
        PurchaseOrder.currency,
        PurchaseOrder.created_by,
        PurchaseOrder.updated_at,
        null().cast(Integer),
        PurchaseOrder.supplier_id,
        literal(False),
    ).where(
        PurchaseOrder.waiting_role.in_(roles) if roles else false(),
        and_(PurchaseOrder.approval_status == "pending", PurchaseOrder.status != "cancelled"),
        PurchaseOrder.created_by != actor_id,
        _not_approved_by(actor_id, "purchase_order", PurchaseOrder.id, PurchaseOrder.next_step),
    )
    waiting = union_all(requests, orders).subquery("waiting")
    return select(*waiting.c).order_by(waiting.c.waiting_since, waiting.c.kind, waiting.c.id)


def line_progress(session, request_ids: list[int]) -> dict[int, list[LineProgress]]:
    """Per request, its lines as ordering left them, with the states of the orders carrying
    each (read as committed: the caller holds the requests' locks)."""
    lines = session.execute(
        select(
            PurchaseRequestLine.id,
            PurchaseRequestLine.request_id,
            PurchaseRequestLine.quantity,
            PurchaseRequestLine.ordered_quantity,
        ).where(PurchaseRequestLine.request_id.in_(request_ids))
    ).all()
    statuses: dict[int, set[str]] = {}
    for line_id, status in session.execute(
        select(PurchaseOrderLine.request_line_id, PurchaseOrder.status)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrderLine.request_line_id.in_([x.id for x in lines]))
    ):
        statuses.setdefault(line_id, set()).add(status)
    progress: dict[int, list[LineProgress]] = {}
    for x in lines:
        progress.setdefault(x.request_id, []).append(
            LineProgress(x.quantity, x.ordered_quantity, frozenset(statuses.get(x.id, ())))
        )
    return progress


def received_for(session, request_id: int) -> Decimal:
    """What arrived, in all, on the order lines that carry the request's lines."""
    return session.scalar(
        select(func.coalesce(func.sum(PurchaseOrderLine.received_quantity), 0))
        .join(PurchaseRequestLine, PurchaseRequestLine.id == PurchaseOrderLine.request_line_id)
        .where(PurchaseRequestLine.request_id == request_id)
    )
