"""Set-up for the supplier and purchase-order tests: suppliers with offers, exchange rates and
approved requests, all made through the services as a real caller would."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from sqlalchemy import func, select

from inventory import clock
from inventory.db.base import db
from inventory.db.procurement_models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequestLine,
    StatusChange,
)
from inventory.domain.requests import RequestLineIn
from inventory.services import budgets, purchase_requests, supplier_items, suppliers
from inventory.services.tx import transaction

# Every table the supplier and order services write to (for "nothing was written").
PURCHASING_TABLES = (
    "supplier",
    "supplier_item",
    "supplier_price_break",
    "exchange_rate",
    "purchase_order",
    "purchase_order_line",
    "purchase_request",
    "purchase_request_line",
    "status_change",
    "approval",
    "notification",
    "audit_event",
)


class Purchasing:
    """A buyer, an approver, a warehouse, and a cost centre with a budget around today. With no
    approval rules, every amount needs one ``approver`` (the approvals' default band)."""

    def __init__(self, make):
        self.make = make
        self.admin = make.admin
        self.today = clock.now().date()
        self.buyer = make.user("purchasing")
        self.approver = make.user("approver")
        self.warehouse = make.warehouse()
        self.centre = budgets.create_centre(self.admin, code="OPS", name="Operations")["id"]
        budgets.create_budget(
            self.admin,
            {
                "cost_centre_id": self.centre,
                "period": "now",
                "starts_on": self.today - timedelta(days=60),
                "ends_on": self.today + timedelta(days=60),
                "amount": D("1000000"),
                "over_budget_action": "refuse",
            },
        )
        self._n = 0

    def supplier(self, code: str | None = None, **values) -> int:
        self._n += 1
        return suppliers.create_supplier(
            self.admin,
            {
                "code": code or f"SUP{self._n}",
                "name": f"Supplier {code or self._n}",
                "currency": "EUR",
                "default_lead_time_days": 7,
                **values,
            },
        )

    def offer(self, supplier_id: int, item_id: int, price: str, breaks=(), **values) -> int:
        return supplier_items.create_supplier_item(
            self.admin,
            supplier_id,
            {
                "item_id": item_id,
                "unit_price": D(price),
                "price_breaks": [{"min_quantity": D(q), "unit_price": D(p)} for q, p in breaks],
                **{k: D(v) if isinstance(v, str) else v for k, v in values.items()},
            },
        )

    def rate(self, currency: str, valid_from: date, rate: str) -> None:
        suppliers.create_exchange_rate(self.admin, currency, valid_from, D(rate))

    def approved_request(self, *lines) -> tuple[int, list[int]]:
        """A request with ``(item_id, quantity, estimated_price[, needed_by])`` lines, submitted
        and approved; returns its id and its line ids in order."""
        request_id = purchase_requests.create(
            self.buyer,
            self.centre,
            [RequestLineIn(x[0], D(x[1]), D(x[2]), x[3] if len(x) > 3 else None) for x in lines],
        )
        purchase_requests.submit(self.buyer, request_id)
        purchase_requests.approve(self.approver, request_id)
        return request_id, request_line_ids(request_id)


def request_line_ids(request_id: int) -> list[int]:
    with transaction() as session:
        return list(
            session.scalars(
                select(PurchaseRequestLine.id)
                .where(PurchaseRequestLine.request_id == request_id)
                .order_by(PurchaseRequestLine.line_no)
            )
        )


def mark_received(order_id: int, received: dict[int, str]) -> None:
    """Stand in for a receipt: set received quantities by line number and the order's status."""
    with transaction() as session:
        order = session.get(PurchaseOrder, order_id)
        lines = session.scalars(
            select(PurchaseOrderLine).where(PurchaseOrderLine.order_id == order_id)
        ).all()
        for line in lines:
            if line.line_no in received:
                line.received_quantity = D(received[line.line_no])
        done = all(x.received_quantity >= x.quantity for x in lines)
        order.status = "received" if done else "partially_received"


def status_changes(subject_type: str, subject_id: int) -> list[tuple]:
    db.session.rollback()
    return [
        (row.from_status, row.to_status)
        for row in db.session.scalars(
            select(StatusChange)
            .where(StatusChange.subject_type == subject_type, StatusChange.subject_id == subject_id)
            .order_by(StatusChange.id)
        )
    ]


def count(model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0
