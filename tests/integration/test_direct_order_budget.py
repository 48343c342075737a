"""A direct order with a cost centre is checked against its budget as a request approval is:
refused (409, nothing written) over a budget that refuses, flagged and audited over one that
flags, on creation and again when sent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest

from inventory.db.models import AuditEvent
from inventory.db.procurement_models import PurchaseOrder
from inventory.domain.approvals import OverBudget
from inventory.services import approvals, budgets, purchase_orders
from inventory.services.purchase_orders import OrderLineIn
from tests.integration.purchasing_helpers import Purchasing, count, status_changes


def _centre(buy, code, amount, action) -> int:
    centre = budgets.create_centre(buy.admin, code=code, name=code)["id"]
    budgets.create_budget(
        buy.admin,
        {
            "cost_centre_id": centre,
            "period": "now",
            "starts_on": buy.today - timedelta(days=5),
            "ends_on": buy.today + timedelta(days=5),
            "amount": D(amount),
            "over_budget_action": action,
        },
    )
    return centre


def _order(buy, make, centre, price):
    lines = [OrderLineIn(make.item(), D("1"), D(price))]
    return purchase_orders.create_order(
        buy.buyer, buy.supplier(), buy.warehouse, lines, buy.today, cost_centre_id=centre
    )


def test_over_a_refusing_budget_a_direct_order_is_a_409_and_nothing_is_written(make):
    buy = Purchasing(make)
    centre = _centre(buy, "STRICT", "100", "refuse")
    _order(buy, make, centre, "60")
    orders = count(PurchaseOrder)
    with pytest.raises(OverBudget) as refused:
        _order(buy, make, centre, "50")
    assert refused.value.extra == {
        "budget": "100.00",
        "committed": "60.00",
        "requested": "50.00",
        "over_by": "10.00",
    }
    assert count(PurchaseOrder) == orders


def test_over_a_flagging_budget_it_is_flagged_when_created_and_sent(make):
    buy = Purchasing(make)
    centre = _centre(buy, "LOOSE", "100", "flag")
    within = _order(buy, make, centre, "60")
    over = _order(buy, make, centre, "50")
    flagged = AuditEvent.action == "purchase_order.over_budget"
    assert count(AuditEvent, flagged, AuditEvent.entity_id == str(within)) == 0
    assert count(AuditEvent, flagged, AuditEvent.entity_id == str(over)) == 1
    if purchase_orders.get_order(over)["approval_status"] == "pending":
        approvals.approve_order(buy.approver, over)
    purchase_orders.send_order(buy.buyer, over, buy.today)
    assert count(AuditEvent, flagged, AuditEvent.entity_id == str(over)) == 2
    assert status_changes("purchase_order", over)[-1] == ("draft", "sent")
