"""Purchase orders through the same approval bands, and the inbox that shows what waits for whom."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from inventory.db import request_queries as rq
from inventory.db.base import db
from inventory.db.procurement_models import (
    Approval,
    ApprovalRule,
    Notification,
    PurchaseOrder,
    PurchaseRequest,
    StatusChange,
)
from inventory.db.queries import page
from inventory.domain.actors import Actor
from inventory.errors import Conflict, InvalidTransition, NotFound, PermissionDenied
from inventory.services import approvals, purchase_requests
from tests.api.helpers import writes_nothing
from tests.integration.approval_helpers import APPROVAL_TABLES, Procurement, count


@pytest.fixture
def p(backend, make) -> Procurement:
    return Procurement(make)


def _order(order_id: int) -> PurchaseOrder:
    db.session.rollback()
    return db.session.get(PurchaseOrder, order_id)


def _inbox(actor) -> list[tuple[str, int]]:
    rows, total = page(rq.inbox(actor.id, actor.roles), 1, 200)
    assert total == len(rows)
    return [(r["kind"], r["id"]) for r in rows]


def test_an_order_needing_two_steps_is_approved_by_two_people(p, make):
    order_id = p.order()
    assert approvals.require_order_approval(order_id, D("15000"), p.buyer) == [
        "approver",
        "finance",
    ]
    order = _order(order_id)
    assert (order.approval_status, order.next_step, order.waiting_role) == (
        "pending",
        0,
        "approver",
    )
    # The order's raiser, seen with the approver role too: still their own order.
    raiser = Actor(p.buyer.id, p.buyer.username, frozenset({"purchasing", "approver"}))
    with writes_nothing(APPROVAL_TABLES), pytest.raises(PermissionDenied, match="own purchase"):
        approvals.approve_order(raiser, order_id)
    approvals.approve_order(p.approver, order_id)
    assert _order(order_id).waiting_role == "finance"
    after = approvals.approve_order(p.finance, order_id, expected_step=1, reason="ok")
    assert after["approval_status"] == "approved" and after["waiting_role"] is None
    changes = db.session.execute(
        select(StatusChange.from_status, StatusChange.to_status).where(
            StatusChange.subject_type == "order_approval"
        )
    ).all()
    assert changes == [("not_required", "pending"), ("pending", "approved")]


def test_an_amount_in_a_band_without_steps_needs_no_approval(p):
    approvals.update_rule(
        p.admin,
        db.session.scalar(select(ApprovalRule.id).where(ApprovalRule.name == "small")),
        {"steps": []},
        lambda current: None,
    )
    order_id = p.order()
    assert approvals.require_order_approval(order_id, D("10"), p.buyer) == []
    assert (_order(order_id).approval_status, _order(order_id).waiting_role) == ("approved", None)
    assert count(Approval) == 0 and count(Notification) == 0


def test_a_rejected_order_stays_rejected_and_cannot_be_decided_again(p):
    order_id = p.order()
    approvals.require_order_approval(order_id, D("500"), p.buyer)
    approvals.reject_order(p.approver, order_id, reason="wrong supplier")
    assert _order(order_id).approval_status == "rejected"
    with writes_nothing(APPROVAL_TABLES), pytest.raises(InvalidTransition):
        approvals.approve_order(p.approver, order_id)
    with pytest.raises(NotFound):
        approvals.approve_order(p.approver, 99999)


def test_a_new_round_starts_at_step_zero_and_keeps_the_old_decisions(p, make):
    order_id = p.order()
    approvals.require_order_approval(order_id, D("500"), p.buyer)
    approvals.approve_order(p.approver, order_id)
    # The order grew past what was approved: it goes through approval again.
    approvals.require_order_approval(order_id, D("12000"), p.buyer)
    assert _order(order_id).approval_status == "pending"
    # The same approver may approve the new round: their earlier approval was of another amount.
    approvals.approve_order(p.approver, order_id)
    approvals.approve_order(p.finance, order_id)
    steps = db.session.scalars(
        select(Approval.step).where(Approval.subject_id == order_id).order_by(Approval.id)
    ).all()
    assert steps == [-100, 0, 1]
    assert _order(order_id).approval_status == "approved"


def test_approving_an_order_twice_is_a_conflict(p, make):
    order_id = p.order()
    approvals.require_order_approval(order_id, D("500"), p.buyer)
    approvals.approve_order(p.approver, order_id)
    with pytest.raises(InvalidTransition):
        approvals.approve_order(make.user("approver"), order_id)


def test_the_inbox_shows_what_waits_for_the_callers_roles(p, make):
    small = p.request("100")
    large = p.request("20000")
    own = p.request("50", buyer=make.user("purchasing", "approver"))
    draft = p.request("70", submit=False)
    order_id = p.order()
    approvals.require_order_approval(order_id, D("20000"), p.buyer)
    both = make.user("approver", "finance")

    approver_sees = _inbox(p.approver)
    assert set(approver_sees) == {
        ("purchase_request", small),
        ("purchase_request", large),
        ("purchase_request", own),
        ("purchase_order", order_id),
    }
    assert ("purchase_request", draft) not in approver_sees
    assert _inbox(p.finance) == []  # nothing has reached its step yet
    raiser = db.session.get(PurchaseRequest, own).requester_id
    assert ("purchase_request", own) not in _inbox(Actor(raiser, "x", frozenset({"approver"})))

    purchase_requests.approve(both, large)
    approvals.approve_order(p.approver, order_id)
    assert set(_inbox(p.finance)) == {("purchase_request", large), ("purchase_order", order_id)}
    # ``both`` approved the large request's first step, so its second is not theirs to decide.
    assert set(_inbox(both)) == {
        ("purchase_request", small),
        ("purchase_request", own),
        ("purchase_order", order_id),
    }
    purchase_requests.approve(p.approver, small)
    assert ("purchase_request", small) not in _inbox(both)
    assert _inbox(make.user("viewer")) == []


def test_a_stale_order_step_is_a_conflict(p, make):
    order_id = p.order()
    approvals.require_order_approval(order_id, D("12000"), p.buyer)
    late = make.user("finance")
    approvals.approve_order(p.approver, order_id, expected_step=0)
    with writes_nothing(APPROVAL_TABLES), pytest.raises(Conflict, match="Step 0"):
        approvals.approve_order(late, order_id, expected_step=0)
