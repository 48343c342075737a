"""Set-up shared by the request and approval tests: cost centre, budget, bands, requests, orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

from sqlalchemy import func, select

from inventory import clock
from inventory.db.base import db
from inventory.db.procurement_models import PurchaseOrder, Supplier
from inventory.domain.requests import RequestLineIn
from inventory.services import approvals, budgets, purchase_requests
from inventory.services.tx import transaction

# Every table requests and approvals write to (for "nothing was written").
APPROVAL_TABLES = (
    "purchase_request",
    "purchase_request_line",
    "status_change",
    "approval",
    "notification",
    "audit_event",
    "budget",
    "cost_centre",
    "approval_rule",
    "purchase_order",
)


class Procurement:
    """The issue's bands (below 10,000 one approver; from 10,000 approver then finance), one cost
    centre with a budget around today, and users for each part."""

    def __init__(self, make, *, budget="50000", action="refuse"):
        self.make = make
        self.admin = make.admin
        self.today = clock.now().date()
        self.centre = budgets.create_centre(self.admin, code="OPS", name="Operations")["id"]
        self.budget = self.add_budget(self.centre, budget, action)
        approvals.create_rule(
            self.admin,
            {"name": "small", "min_amount": D("0"), "max_amount": D("1000"), "steps": ["approver"]},
        )
        approvals.create_rule(
            self.admin,
            {
                "name": "medium",
                "min_amount": D("1000"),
                "max_amount": D("10000"),
                "steps": ["approver"],
            },
        )
        approvals.create_rule(
            self.admin,
            {"name": "large", "min_amount": D("10000"), "steps": ["approver", "finance"]},
        )
        self.buyer = make.user("purchasing")
        self.approver = make.user("approver")
        self.finance = make.user("finance")
        self.item = make.item()

    def add_budget(self, centre_id, amount, action="refuse", *, label="now", days=30) -> int:
        return budgets.create_budget(
            self.admin,
            {
                "cost_centre_id": centre_id,
                "period": label,
                "starts_on": self.today - timedelta(days=days),
                "ends_on": self.today + timedelta(days=days),
                "amount": D(amount),
                "over_budget_action": action,
            },
        )["id"]

    def request(self, total="100", *, buyer=None, centre=None, submit=True) -> int:
        """A one-line request for ``total`` (quantity 4 at total / 4)."""
        price = D(total) / 4
        request_id = purchase_requests.create(
            buyer or self.buyer,
            centre or self.centre,
            [RequestLineIn(self.item, D("4"), price)],
        )
        if submit:
            purchase_requests.submit(buyer or self.buyer, request_id)
        return request_id

    def order(self, *, created_by=None, total="2500") -> int:
        """A draft purchase order row (the suppliers' service is not under test here)."""
        warehouse = self.make.warehouse()
        with transaction() as session:
            now = clock.now()
            supplier = Supplier(
                code=f"S{warehouse}",
                name="Supplier",
                currency="EUR",
                payment_terms="",
                default_lead_time_days=7,
                status="active",
                contact_name="",
                email="",
                phone="",
                created_at=now,
                updated_at=now,
            )
            session.add(supplier)
            session.flush()
            order = PurchaseOrder(
                supplier_id=supplier.id,
                warehouse_id=warehouse,
                status="draft",
                currency="EUR",
                total=D(total),
                approval_status="not_required",
                next_step=0,
                created_by=(created_by or self.buyer).id,
                created_at=now,
                updated_at=now,
            )
            session.add(order)
            session.flush()
            return order.id


def count(model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0
