"""Direct orders let through over a budget that flags are recorded (amount, budget left at the
time, who, when) and listed by the exceptions report beside the requests approved over budget;
on SQLite and PostgreSQL. Edges: an order exactly at the budget is not flagged, one cent over
is; a refusing budget writes no flag; an order flagged when created and again when sent is
listed twice, once per event."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest

from inventory import clock
from inventory.db import control_queries
from inventory.db.base import db
from inventory.db.procurement_models import PurchaseOrderBudgetFlag
from inventory.domain.approvals import OverBudget
from inventory.services import approvals, budgets, purchase_orders
from inventory.services.purchase_orders import OrderLineIn
from tests.integration.purchasing_helpers import Purchasing, count


def _centre(buy, code, amount, action) -> int:
    centre = budgets.create_centre(buy.admin, code=code, name=code)["id"]
    budgets.create_budget(
        buy.admin,
        {
            "cost_centre_id": centre,
            "period": f"{code}-now",
            "starts_on": buy.today - timedelta(days=5),
            "ends_on": buy.today + timedelta(days=5),
            "amount": D(amount),
            "over_budget_action": action,
        },
    )
    return centre


def _order(buy, make, centre, price, actor=None) -> int:
    lines = [OrderLineIn(make.item(), D("1"), D(price))]
    return purchase_orders.create_order(
        actor or buy.buyer, buy.supplier(), buy.warehouse, lines, buy.today, cost_centre_id=centre
    )


def _send(buy, order_id, actor=None) -> None:
    if purchase_orders.get_order(order_id)["approval_status"] == "pending":
        approvals.approve_order(buy.approver, order_id)
    purchase_orders.send_order(actor or buy.buyer, order_id, buy.today)


def _over_budget(**filters) -> list[dict]:
    now = clock.now()
    return control_queries.exceptions(
        since=now - timedelta(days=1), until=now + timedelta(days=1), kind="over_budget", **filters
    )


def _orders(rows) -> list[dict]:
    return [r for r in rows if r["reference"].startswith("purchase_order:")]


def test_exactly_at_the_budget_is_no_flag_and_one_cent_over_is(backend, make):
    buy = Purchasing(make)
    centre = _centre(buy, "EDGE", "100.00", "flag")
    at_budget = _order(buy, make, centre, "100.00")
    assert count(PurchaseOrderBudgetFlag) == 0
    assert _orders(_over_budget()) == []

    # The budget is used up: one cent more is over by exactly that cent.
    over = _order(buy, make, centre, "0.01")
    (flag,) = db.session.query(PurchaseOrderBudgetFlag).all()
    assert (flag.order_id, flag.stage, flag.amount, flag.budget_left, flag.actor_id) == (
        over, "create", D("0.01"), D("0.00"), buy.buyer.id
    )  # fmt: skip
    (row,) = _orders(_over_budget())
    assert row["reference"] == f"purchase_order:{over}"
    assert (row["value"], row["budget_left"], row["actor_id"]) == (
        D("0.01"), D("0.00"), buy.buyer.id
    )  # fmt: skip
    assert row["cost_centre_id"] == centre and row["warehouse_id"] == buy.warehouse
    assert row["at"] == flag.at and row["at"].tzinfo is not None
    assert "over by 0.01" in row["detail"] and "(now draft)" in row["detail"]
    assert at_budget != over


def test_one_cent_over_an_unused_budget_shows_what_was_left(backend, make):
    buy = Purchasing(make)
    centre = _centre(buy, "CENT", "100.00", "flag")
    over = _order(buy, make, centre, "100.01")
    (row,) = _orders(_over_budget())
    assert (row["reference"], row["value"], row["budget_left"]) == (
        f"purchase_order:{over}", D("100.01"), D("100.00")
    )  # fmt: skip


def test_flagged_when_created_and_when_sent_is_listed_per_event(backend, make):
    buy = Purchasing(make)
    centre = _centre(buy, "LOOSE", "100", "flag")
    _order(buy, make, centre, "60")
    over = _order(buy, make, centre, "50")
    sender = make.user("purchasing")
    _send(buy, over, actor=sender)
    rows = _orders(_over_budget())
    assert [(r["actor_id"], r["value"], r["budget_left"]) for r in rows] == [
        # newest first: sent, then created; the order of 60 is committed both times
        (sender.id, D("50.00"), D("40.00")),
        (buy.buyer.id, D("50.00"), D("40.00")),
    ]
    assert "sent over budget" in rows[0]["detail"] and "(now sent)" in rows[0]["detail"]
    assert "created over budget" in rows[1]["detail"]
    assert rows[0]["at"] >= rows[1]["at"]


def test_a_refusing_budget_writes_no_flag(backend, make):
    buy = Purchasing(make)
    centre = _centre(buy, "STRICT", "100", "refuse")
    with pytest.raises(OverBudget):
        _order(buy, make, centre, "100.01")
    assert count(PurchaseOrderBudgetFlag) == 0
    assert _over_budget() == []


def test_no_cost_centre_no_check_and_no_flag(backend, make):
    buy = Purchasing(make)
    _order(buy, make, None, "999999")
    assert count(PurchaseOrderBudgetFlag) == 0


def test_filters_by_cost_centre_and_warehouse(backend, make):
    buy = Purchasing(make)
    loose = _centre(buy, "LOOSE", "10", "flag")
    other = _centre(buy, "OTHER", "10", "flag")
    first = _order(buy, make, loose, "11")
    second = _order(buy, make, other, "12")
    assert [r["reference"] for r in _orders(_over_budget(cost_centre_id=loose))] == [
        f"purchase_order:{first}"
    ]
    assert {r["reference"] for r in _orders(_over_budget(warehouse_id=buy.warehouse))} == {
        f"purchase_order:{first}",
        f"purchase_order:{second}",
    }
    assert _over_budget(warehouse_id=make.warehouse()) == []
    # A cost centre filter keeps only the kinds that belong to a centre.
    assert {r["kind"] for r in control_queries.exceptions(
        since=clock.now() - timedelta(days=1),
        until=clock.now() + timedelta(days=1),
        cost_centre_id=loose,
    )} == {"over_budget"}  # fmt: skip


def test_outside_the_range_is_not_listed(backend, make):
    buy = Purchasing(make)
    centre = _centre(buy, "LOOSE", "10", "flag")
    _order(buy, make, centre, "11")
    later = clock.now() + timedelta(seconds=1)
    assert (
        control_queries.exceptions(since=later, until=later + timedelta(days=1), kind="over_budget")
        == []
    )
