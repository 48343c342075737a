"""Approvers at once, with real threads on PostgreSQL: one decision per step, and no budget is
ever over-committed.

Each thread runs in its own app context (its own session and connection) and calls the service,
as concurrent requests would. A barrier starts them together.
"""

from __future__ import annotations

import threading
import traceback
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from inventory.db.base import db
from inventory.db.procurement_models import Approval, PurchaseRequest
from inventory.domain.approvals import OverBudget
from inventory.errors import Conflict
from inventory.services import budgets, purchase_requests
from tests.conftest import Factory
from tests.integration.approval_helpers import Procurement

JOIN_TIMEOUT = 60
pytestmark = pytest.mark.postgres


def _race(pg_app, calls) -> list:
    """Run each ``(actor, request_id)`` approval in its own thread at once; return outcomes."""
    outcomes: list = [None] * len(calls)
    start = threading.Barrier(len(calls), timeout=JOIN_TIMEOUT)

    def run(i: int) -> None:
        actor, request_id = calls[i]
        with pg_app.app_context():
            try:
                start.wait()
                purchase_requests.approve(actor, request_id)
                outcomes[i] = "approved"
            except (Conflict, OverBudget) as refused:
                outcomes[i] = refused
            except Exception:  # anything else fails the test, with its traceback
                outcomes[i] = traceback.format_exc()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not [t for t in threads if t.is_alive()], "an approval hung"
    return outcomes


def test_two_approvers_approving_the_same_request_at_once_one_wins(pg_app):
    p = Procurement(Factory())
    rivals = [p.approver, p.make.user("approver")]
    request_ids = [p.request("100") for _ in range(5)]
    db.session.commit()
    for request_id in request_ids:
        outcomes = _race(pg_app, [(actor, request_id) for actor in rivals])
        assert outcomes.count("approved") == 1, outcomes
        (loser,) = [o for o in outcomes if o != "approved"]
        assert isinstance(loser, Conflict) and loser.status == 409, loser
        db.session.rollback()
        assert (
            db.session.scalar(
                select(func.count(Approval.id)).where(Approval.subject_id == request_id)
            )
            == 1
        )
        assert db.session.get(PurchaseRequest, request_id).status == "approved"


def test_approvers_racing_on_one_budget_never_over_commit_it(pg_app):
    # A budget of 1,000 and eight requests of 300: three fit (900), the other five must be
    # refused, however the eight final approvals interleave.
    p = Procurement(Factory(), budget="1000")
    approvers = [p.approver] + [p.make.user("approver") for _ in range(7)]
    request_ids = [p.request("300") for _ in approvers]
    db.session.commit()

    outcomes = _race(pg_app, list(zip(approvers, request_ids, strict=True)))

    assert [o for o in outcomes if isinstance(o, str) and o != "approved"] == []
    assert outcomes.count("approved") == 3, outcomes
    refused = [o for o in outcomes if isinstance(o, OverBudget)]
    assert len(refused) == 5
    # Each refusal names its figures; committed is what the winners before it had approved.
    assert {r.extra["requested"] for r in refused} == {"300.00"}
    assert {r.extra["committed"] for r in refused} == {"900.00"}
    db.session.rollback()
    assert budgets.get_budget(p.budget)["committed"] == D("900.00")
    statuses = db.session.scalars(
        select(PurchaseRequest.status).where(PurchaseRequest.id.in_(request_ids))
    ).all()
    assert sorted(statuses) == ["approved"] * 3 + ["submitted"] * 5
