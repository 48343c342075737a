"""The small book the finance report and page tests read: 6 BOLT received at 2.00, an order for
cost centre CC1 of 10 at 2.00 (rate 1.1: 22.00 base), 4 received against it at 2.20, 5 issued."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from inventory import clock
from inventory.db.base import db
from inventory.db.procurement_models import PurchaseOrder
from inventory.domain.receiving import ReceiptLineIn
from inventory.services import budgets, receipts
from tests.integration import receipt_helpers as rh


def seed_book(make) -> dict:
    w = make.warehouse("W")
    bolt = make.item("BOLT", category="bolts")
    make.receive(w, bolt, "6", "2.00")
    centre = budgets.create_centre(make.admin, code="CC1", name="Centre 1")["id"]
    today = clock.now().date()
    budgets.create_budget(
        make.admin,
        {
            "cost_centre_id": centre,
            "period": "this year",
            "starts_on": date(today.year, 1, 1),
            "ends_on": date(today.year, 12, 31),
            "amount": Decimal("100.00"),
        },
    )
    order = rh.order(make, [(bolt, "10", "2.00")], warehouse_id=w, rate="1.1")
    db.session.get(PurchaseOrder, order.id).cost_centre_id = centre
    db.session.commit()
    line = order.lines[0]
    receipts.receive(
        make.admin, order.id, [ReceiptLineIn(line, Decimal(4), Decimal(4), Decimal(0))]
    )
    make.document("issue", w, [(bolt, "5", None)])
    return {"w": w, "bolt": bolt, "centre": centre, "order": order, "supplier": order.supplier_id}
