"""Purchase requests through approval, budgets and bands: the services on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from inventory.db.base import db
from inventory.db.models import AuditEvent
from inventory.db.procurement_models import (
    Approval,
    ApprovalRule,
    Notification,
    PurchaseRequest,
    StatusChange,
)
from inventory.domain.approvals import OverBudget
from inventory.domain.requests import RequestLineIn
from inventory.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from inventory.services import approvals, budgets, purchase_requests
from tests.api.helpers import writes_nothing
from tests.integration.approval_helpers import APPROVAL_TABLES, Procurement, count


@pytest.fixture
def p(backend, make) -> Procurement:
    return Procurement(make)


def _rule_id(name: str) -> int:
    return db.session.scalar(select(ApprovalRule.id).where(ApprovalRule.name == name))


def _request(request_id: int) -> PurchaseRequest:
    db.session.rollback()
    return db.session.get(PurchaseRequest, request_id)


def test_a_request_is_raised_as_a_draft_with_its_total(p):
    request_id = purchase_requests.create(
        p.buyer,
        p.centre,
        [
            RequestLineIn(p.item, D("3"), D("0.3333")),
            RequestLineIn(p.item, D("2.5"), D("1.005"), p.today, "spare"),
        ],
        "for the line",
    )
    found = purchase_requests.get(request_id)
    assert found["status"] == "draft" and found["requester_id"] == p.buyer.id
    assert found["total"] == D("3.51")  # 1.00 + 2.51
    assert [line["line_no"] for line in found["lines"]] == [1, 2]
    assert found["history"][0]["to_status"] == "draft"
    assert count(AuditEvent, AuditEvent.action == "purchase_request.create") == 1


def test_unknown_items_and_inactive_cost_centres_are_refused(p, make):
    with writes_nothing(APPROVAL_TABLES), pytest.raises(ValidationFailed) as refused:
        purchase_requests.create(p.buyer, p.centre, [RequestLineIn(99999, D("1"), D("1"))])
    assert "99999" in refused.value.errors["lines"]["0"]["item_id"][0]
    budgets.update_centre(p.admin, p.centre, {"active": False}, lambda current: None)
    with writes_nothing(APPROVAL_TABLES), pytest.raises(ValidationFailed) as refused:
        purchase_requests.create(p.buyer, p.centre, [RequestLineIn(p.item, D("1"), D("1"))])
    assert "inactive" in refused.value.detail


def test_submit_fixes_budget_steps_and_notifies_the_first_role(p, make):
    other_approver = make.user("approver")
    buyer_who_approves = make.user("purchasing", "approver")
    request_id = p.request("12000", buyer=buyer_who_approves)
    req = _request(request_id)
    assert req.status == "submitted" and req.total == D("12000.00")
    assert req.budget_id == p.budget
    assert req.steps == ["approver", "finance"] and req.next_step == 0
    assert req.waiting_role == "approver"
    told = set(db.session.scalars(select(Notification.user_id)))
    # Every approver but the requester (who may not approve their own request) is told.
    assert told == {p.approver.id, other_approver.id}
    changes = db.session.execute(
        select(StatusChange.from_status, StatusChange.to_status, StatusChange.actor_id).where(
            StatusChange.subject_id == request_id
        )
    ).all()
    assert changes == [
        (None, "draft", buyer_who_approves.id),
        ("draft", "submitted", req.requester_id),
    ]


def test_no_budget_period_today_is_a_422_that_writes_nothing(p):
    centre = budgets.create_centre(p.admin, code="LAB", name="Lab")["id"]
    # A budget that ended yesterday does not cover today.
    budgets.create_budget(
        p.admin,
        {
            "cost_centre_id": centre,
            "period": "past",
            "starts_on": p.today - timedelta(days=40),
            "ends_on": p.today - timedelta(days=1),
            "amount": D("100"),
        },
    )
    request_id = p.request(centre=centre, submit=False)
    with writes_nothing(APPROVAL_TABLES), pytest.raises(ValidationFailed) as refused:
        purchase_requests.submit(p.buyer, request_id)
    assert refused.value.detail == (
        f"There is no budget period for cost centre LAB on date {p.today}; "
        "add one at /api/v1/budgets."
    )
    assert _request(request_id).status == "draft"


def test_one_step_approval_approves_and_tells_the_requester(p):
    request_id = p.request("999.99")
    purchase_requests.approve(p.approver, request_id, reason="fine")
    req = _request(request_id)
    assert (req.status, req.waiting_role, req.over_budget) == ("approved", None, False)
    assert req.decided_at is not None
    decisions = approvals.decision_history("purchase_request", request_id)
    assert [(d["step"], d["role"], d["approver_id"], d["decision"]) for d in decisions] == [
        (0, "approver", p.approver.id, "approved")
    ]
    assert count(Notification, Notification.user_id == p.buyer.id) == 1
    history = purchase_requests.get(request_id)["history"]
    assert history[-1]["to_status"] == "approved" and history[-1]["reason"] == "fine"


def test_two_steps_take_two_people_in_order(p, make):
    both = make.user("approver", "finance")
    request_id = p.request("10000")
    with pytest.raises(PermissionDenied, match="step 0 for someone holding the role 'approver'"):
        purchase_requests.approve(p.finance, request_id)  # finance waits for the approver
    purchase_requests.approve(both, request_id)
    assert _request(request_id).waiting_role == "finance"
    with pytest.raises(PermissionDenied, match="earlier step"):
        purchase_requests.approve(both, request_id)
    with pytest.raises(Conflict, match="approved by someone else"):
        purchase_requests.approve(p.approver, request_id)  # approving twice
    purchase_requests.approve(p.finance, request_id)
    assert _request(request_id).status == "approved"
    assert count(Approval, Approval.subject_id == request_id) == 2


def test_nobody_approves_their_own_request(p, make):
    buyer_approver = make.user("purchasing", "approver")
    request_id = p.request(buyer=buyer_approver)
    with writes_nothing(APPROVAL_TABLES), pytest.raises(PermissionDenied) as refused:
        purchase_requests.approve(buyer_approver, request_id)
    assert "cannot approve your own request" in refused.value.detail


def test_approving_twice_is_a_conflict(p, make):
    request_id = p.request()
    second = make.user("approver")
    purchase_requests.approve(p.approver, request_id)
    with writes_nothing(APPROVAL_TABLES), pytest.raises(InvalidTransition) as refused:
        purchase_requests.approve(second, request_id)
    assert refused.value.extra["allowed"] == ["cancelled", "ordered"]


def test_a_stale_step_is_a_conflict_not_a_decision_on_the_next(p, make):
    request_id = p.request("20000")
    purchase_requests.approve(p.approver, request_id, expected_step=0)
    both = make.user("approver", "finance")
    with writes_nothing(APPROVAL_TABLES), pytest.raises(Conflict, match="Step 0"):
        purchase_requests.approve(both, request_id, expected_step=0)
    purchase_requests.approve(both, request_id, expected_step=1)
    assert _request(request_id).status == "approved"


def test_over_budget_is_refused_with_the_figures_and_writes_nothing(make, backend):
    p = Procurement(make, budget="1000")
    first, second = p.request("600"), p.request("500")
    purchase_requests.approve(p.approver, first)
    with writes_nothing(APPROVAL_TABLES), pytest.raises(OverBudget) as refused:
        purchase_requests.approve(p.approver, second)
    assert refused.value.extra == {
        "budget": "1000.00",
        "committed": "600.00",
        "requested": "500.00",
        "over_by": "100.00",
    }
    assert _request(second).status == "submitted"
    # Cancelling the approved request frees its money; now the second fits.
    purchase_requests.cancel(p.buyer, first, reason="not needed")
    purchase_requests.approve(p.approver, second)
    assert budgets.get_budget(p.budget)["committed"] == D("500.00")


def test_over_budget_with_flag_is_approved_and_flagged(make, backend):
    p = Procurement(make, budget="1000", action="flag")
    request_id = p.request("1200")
    purchase_requests.approve(p.approver, request_id)
    req = _request(request_id)
    assert req.status == "approved" and req.over_budget is True
    assert (
        "over budget by 200.00 (flagged)"
        in purchase_requests.get(request_id)["history"][-1]["reason"]
    )
    assert budgets.get_budget(p.budget)["available"] == D("-200.00")


def test_reject_needs_a_reason_and_ends_the_request(p):
    request_id = p.request()
    with writes_nothing(APPROVAL_TABLES), pytest.raises(ValidationFailed):
        purchase_requests.reject(p.approver, request_id, reason=" ")
    purchase_requests.reject(p.approver, request_id, reason="too dear")
    req = _request(request_id)
    assert (req.status, req.waiting_role) == ("rejected", None)
    with pytest.raises(InvalidTransition) as refused:
        purchase_requests.approve(p.approver, request_id)
    assert refused.value.extra["allowed"] == []
    with pytest.raises(InvalidTransition):
        purchase_requests.cancel(p.buyer, request_id)


def test_only_the_requester_or_an_admin_submits_and_cancels(p, make):
    request_id = p.request(submit=False)
    colleague = make.user("purchasing")
    with writes_nothing(APPROVAL_TABLES), pytest.raises(PermissionDenied):
        purchase_requests.submit(colleague, request_id)
    purchase_requests.submit(p.admin, request_id)
    with pytest.raises(PermissionDenied):
        purchase_requests.cancel(colleague, request_id)
    purchase_requests.cancel(p.admin, request_id, reason="duplicate")
    assert _request(request_id).status == "cancelled"


def test_ordered_and_closed_follow_the_table(p):
    request_id = p.request()
    with pytest.raises(InvalidTransition):
        purchase_requests.transition(p.buyer, request_id, "ordered")
    purchase_requests.approve(p.approver, request_id)
    purchase_requests.transition(p.buyer, request_id, "ordered", "PO 1")
    purchase_requests.transition(p.buyer, request_id, "closed")
    assert [h["to_status"] for h in purchase_requests.get(request_id)["history"]] == [
        "draft",
        "submitted",
        "approved",
        "ordered",
        "closed",
    ]
    # Closed requests stay committed to their budget.
    assert budgets.get_budget(p.budget)["committed"] == D("100.00")


def test_budget_periods_of_a_centre_do_not_overlap(p):
    base = {"cost_centre_id": p.centre, "amount": D("10"), "over_budget_action": "refuse"}
    ends = p.today + timedelta(days=30)
    with writes_nothing(APPROVAL_TABLES), pytest.raises(Conflict, match="overlaps budget"):
        budgets.create_budget(
            p.admin, {**base, "period": "next", "starts_on": ends, "ends_on": ends}
        )
    with pytest.raises(Conflict, match="already has a budget"):
        budgets.create_budget(
            p.admin, {**base, "period": "now", "starts_on": ends, "ends_on": ends}
        )
    with pytest.raises(ValidationFailed):
        budgets.create_budget(
            p.admin,
            {**base, "period": "x", "starts_on": ends, "ends_on": ends - timedelta(days=1)},
        )
    day_after = ends + timedelta(days=1)
    budgets.create_budget(
        p.admin, {**base, "period": "next", "starts_on": day_after, "ends_on": day_after}
    )


def test_approval_bands_do_not_overlap_and_can_be_replaced(p):
    assert approvals.approval_bands_for(D("999.99")) == ["approver"]
    assert approvals.approval_bands_for(D("10000")) == ["approver", "finance"]
    with writes_nothing(APPROVAL_TABLES), pytest.raises(Conflict, match="overlaps rule"):
        approvals.create_rule(
            p.admin, {"name": "x", "min_amount": D("500"), "max_amount": D("600"), "steps": []}
        )
    approvals.update_rule(p.admin, _rule_id("small"), {"active": False}, lambda current: None)
    approvals.create_rule(
        p.admin, {"name": "petty", "min_amount": D("0"), "max_amount": D("100"), "steps": []}
    )
    assert approvals.approval_bands_for(D("99.99")) == []
    assert approvals.approval_bands_for(D("100")) == ["approver"]  # the gap: the default


def test_a_band_without_steps_approves_at_submit_within_budget(p):
    approvals.update_rule(
        p.admin, _rule_id("small"), {"max_amount": D("100"), "steps": []}, lambda current: None
    )
    approvals.create_rule(
        p.admin,
        {"name": "between", "min_amount": D("100"), "max_amount": D("1000"), "steps": ["approver"]},
    )
    request_id = p.request("40")
    req = _request(request_id)
    assert (req.status, req.steps, req.waiting_role) == ("approved", [], None)
    assert purchase_requests.get(request_id)["history"][-1]["reason"] == (
        "no approval needed for this amount"
    )
