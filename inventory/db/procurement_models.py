"""Procurement tables: suppliers, requests, approvals, budgets, orders, receipts, inspection,
scores and the notification outbox. The schema comes from migration 0002_procurement."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from inventory.db.base import db
from inventory.db.models import BigId, utc_column
from inventory.db.types import Fixed, Money, Quantity, UnitCost, UtcDateTime

# Exchange rates: units of base currency per unit of the order's currency, 6 decimals.
Rate = lambda: Fixed(6)  # noqa: E731


class Supplier(db.Model):
    __tablename__ = "supplier"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    payment_terms: Mapped[str] = mapped_column(String(100), default="")
    default_lead_time_days: Mapped[int] = mapped_column(Integer, default=7)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active|on_hold|blocked
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    created_at: Mapped[datetime] = utc_column()
    updated_at: Mapped[datetime] = utc_column()


# Codes are unique whatever their case (migration 0003).
Index("uq_supplier_code_ci", func.lower(Supplier.code), unique=True)


class SupplierItem(db.Model):
    __tablename__ = "supplier_item"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    supplier_sku: Mapped[str] = mapped_column(String(64), default="")
    unit_price = mapped_column(UnitCost(), nullable=False)  # in the supplier's currency
    min_order_quantity = mapped_column(Quantity(), nullable=False, default=0)
    pack_size = mapped_column(Quantity(), nullable=False, default=0)  # 0: any quantity
    lead_time_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    preferred: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    __table_args__ = (UniqueConstraint("supplier_id", "item_id", name="uq_supplier_item_pair"),)


class SupplierPriceBreak(db.Model):
    __tablename__ = "supplier_price_break"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_item_id: Mapped[int] = mapped_column(ForeignKey("supplier_item.id"), index=True)
    min_quantity = mapped_column(Quantity(), nullable=False)
    unit_price = mapped_column(UnitCost(), nullable=False)
    __table_args__ = (
        UniqueConstraint("supplier_item_id", "min_quantity", name="uq_price_break_step"),
    )


class ExchangeRate(db.Model):
    """Base-currency units per unit of ``currency``, valid from ``valid_from``."""

    __tablename__ = "exchange_rate"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date] = mapped_column(Date)
    rate = mapped_column(Rate(), nullable=False)
    __table_args__ = (UniqueConstraint("currency", "valid_from", name="uq_exchange_rate_day"),)


class CostCentre(db.Model):
    __tablename__ = "cost_centre"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = utc_column()
    updated_at: Mapped[datetime] = utc_column()


Index("uq_cost_centre_code_ci", func.lower(CostCentre.code), unique=True)


class Budget(db.Model):
    __tablename__ = "budget"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cost_centre_id: Mapped[int] = mapped_column(ForeignKey("cost_centre.id"))
    period: Mapped[str] = mapped_column(String(20))  # a label, e.g. "2026-Q4"
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    amount = mapped_column(Money(), nullable=False)
    over_budget_action: Mapped[str] = mapped_column(String(10), default="refuse")  # or "flag"
    __table_args__ = (
        UniqueConstraint("cost_centre_id", "period", name="uq_budget_period"),
        Index("ix_budget_centre_dates", "cost_centre_id", "starts_on", "ends_on"),
    )


class ApprovalRule(db.Model):
    """An amount band [min_amount, max_amount) and the roles that approve in it, in order."""

    __tablename__ = "approval_rule"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    min_amount = mapped_column(Money(), nullable=False)
    max_amount = mapped_column(Money(), nullable=True)
    steps: Mapped[list] = mapped_column(JSON)  # e.g. ["approver", "finance"]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PurchaseRequest(db.Model):
    __tablename__ = "purchase_request"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    cost_centre_id: Mapped[int] = mapped_column(ForeignKey("cost_centre.id"))
    budget_id: Mapped[int | None] = mapped_column(ForeignKey("budget.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    total = mapped_column(Money(), nullable=False, default=0)  # estimated, base currency
    steps: Mapped[list | None] = mapped_column(JSON, nullable=True)  # roles, fixed at submit
    next_step: Mapped[int] = mapped_column(Integer, default=0)  # index into steps
    waiting_role: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    over_budget: Mapped[bool] = mapped_column(Boolean, default=False)
    # Flagged through over budget: budget − committed at that approval (NULL before 0011b).
    budget_left = mapped_column(Money(), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = utc_column()
    updated_at: Mapped[datetime] = utc_column()
    submitted_at: Mapped[datetime | None] = utc_column(nullable=True)
    decided_at: Mapped[datetime | None] = utc_column(nullable=True)


class PurchaseRequestLine(db.Model):
    __tablename__ = "purchase_request_line"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("purchase_request.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    quantity = mapped_column(Quantity(), nullable=False)
    needed_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    estimated_price = mapped_column(UnitCost(), nullable=False)
    note: Mapped[str] = mapped_column(Text, default="")
    ordered_quantity = mapped_column(Quantity(), nullable=False, default=0)


class StatusChange(db.Model):
    """Every transition of a request or an order: who, when, why."""

    __tablename__ = "status_change"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(20))  # purchase_request|purchase_order
    subject_id: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = utc_column()
    reason: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (Index("ix_status_change_subject", "subject_type", "subject_id"),)


class Approval(db.Model):
    """One decision on one step; the unique step makes a double approval impossible."""

    __tablename__ = "approval"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20))
    approver_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    decision: Mapped[str] = mapped_column(String(10))  # approved|rejected
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = utc_column()
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "step", name="uq_approval_step"),
    )


class Notification(db.Model):
    """The outbox: a job delivers these by e-mail when SMTP is configured."""

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = utc_column()
    sent_at: Mapped[datetime | None] = utc_column(nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class PurchaseOrder(db.Model):
    __tablename__ = "purchase_order"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    # Direct orders only (migration 0007): orders from requests take their requests' centres.
    cost_centre_id: Mapped[int | None] = mapped_column(
        ForeignKey("cost_centre.id"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(20), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    exchange_rate = mapped_column(Rate(), nullable=True)  # fixed when sent
    total = mapped_column(Money(), nullable=False, default=0)  # order currency
    # not_required | pending | approved | rejected
    approval_status: Mapped[str] = mapped_column(String(20), default="not_required")
    steps: Mapped[list | None] = mapped_column(JSON, nullable=True)
    next_step: Mapped[int] = mapped_column(Integer, default=0)
    waiting_role: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = utc_column()
    updated_at: Mapped[datetime] = utc_column()
    sent_at: Mapped[datetime | None] = utc_column(nullable=True)


class PurchaseOrderBudgetFlag(db.Model):
    """A direct order let through over a budget that flags (migration 0009), on creation or
    when sent: its amount in base currency, what the budget had left just before it (budget −
    committed without the order; negative when already overspent), who and when. Append-only."""

    __tablename__ = "purchase_order_budget_flag"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id"))
    stage: Mapped[str] = mapped_column(String(10))  # create | send
    amount = mapped_column(Money(), nullable=False)
    budget_left = mapped_column(Money(), nullable=False)
    actor_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class PurchaseOrderLine(db.Model):
    __tablename__ = "purchase_order_line"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    supplier_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("supplier_item.id"), nullable=True
    )
    request_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_request_line.id"), nullable=True, index=True
    )
    quantity = mapped_column(Quantity(), nullable=False)
    unit_price = mapped_column(UnitCost(), nullable=False)  # order currency
    promised_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    received_quantity = mapped_column(Quantity(), nullable=False, default=0)  # accepted, net
    cancelled_quantity = mapped_column(Quantity(), nullable=False, default=0)
    suggestion_reason: Mapped[str] = mapped_column(Text, default="")
    # The KPIs' OTIF read looks only at lines with a promise (migration 0011).
    __table_args__ = (
        Index(
            "ix_purchase_order_line_promised",
            "id",
            postgresql_where=text("promised_date IS NOT NULL"),
            sqlite_where=text("promised_date IS NOT NULL"),
        ),
    )


class GoodsReceipt(db.Model):
    __tablename__ = "goods_receipt"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    status: Mapped[str] = mapped_column(String(20))  # posted|cancelled
    stock_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("stock_document.id"), nullable=True
    )
    received_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    received_at: Mapped[datetime] = utc_column()
    cancelled_at: Mapped[datetime | None] = utc_column(nullable=True)
    __table_args__ = (
        Index("ix_goods_receipt_supplier_at", "supplier_id", "received_at"),
        Index("ix_goods_receipt_stock_document_id", "stock_document_id"),
    )


class GoodsReceiptLine(db.Model):
    __tablename__ = "goods_receipt_line"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("goods_receipt.id"), index=True)
    po_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    received = mapped_column(Quantity(), nullable=False)
    accepted = mapped_column(Quantity(), nullable=False)
    rejected = mapped_column(Quantity(), nullable=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    unit_price = mapped_column(UnitCost(), nullable=False)  # order currency, for scoring
    promised_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    ordered_at: Mapped[datetime | None] = utc_column(nullable=True)  # when the order was sent
    sample_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    defects_found: Mapped[int | None] = mapped_column(Integer, nullable=True)
    inspection_result: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # The stock document line the accepted quantity became (None when nothing was accepted):
    # the spend and variance reports reach the receipt's ledger rows through it.
    stock_document_line_id: Mapped[int | None] = mapped_column(
        BigId,
        ForeignKey("stock_document_line.id", name="fk_goods_receipt_line_stock_document_line_id"),
        nullable=True,
    )
    # The KPIs' OTIF read looks only at lines with a promise (migration 0011).
    __table_args__ = (
        Index(
            "ix_goods_receipt_line_promised",
            "receipt_id",
            "po_line_id",
            postgresql_where=text("promised_date IS NOT NULL"),
            sqlite_where=text("promised_date IS NOT NULL"),
        ),
    )


class SupplierReturn(db.Model):
    __tablename__ = "supplier_return"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    po_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id"))
    quantity = mapped_column(Quantity(), nullable=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    stock_document_id: Mapped[int] = mapped_column(ForeignKey("stock_document.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = utc_column()


class InspectionPlan(db.Model):
    """How an item (or one supplier's item) is inspected: none, full, or ISO 2859-1 sampling."""

    __tablename__ = "inspection_plan"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    supplier_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("supplier_item.id"), nullable=True
    )
    mode: Mapped[str] = mapped_column(String(10))  # none|full|sampling
    aql = mapped_column(UnitCost(), nullable=True)  # e.g. 1.0, 2.5
    __table_args__ = (
        UniqueConstraint("item_id", "supplier_item_id", name="uq_inspection_plan_target"),
    )


class InspectionState(db.Model):
    """ISO 2859-1 switching state per supplier and item."""

    __tablename__ = "inspection_state"
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    severity: Mapped[str] = mapped_column(String(12), default="normal")  # normal|tightened
    recent: Mapped[str] = mapped_column(String(20), default="")  # lot results, "A"/"R", newest last


class SupplierScore(db.Model):
    """The latest computed score per supplier (written by the rescore-suppliers job)."""

    __tablename__ = "supplier_score"
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), primary_key=True)
    computed_at: Mapped[datetime] = utc_column()
    score = mapped_column(Money(), nullable=False)
    grade: Mapped[str] = mapped_column(String(2))
    deliveries: Mapped[int] = mapped_column(Integer)
    parts: Mapped[dict] = mapped_column(JSON)
    trend: Mapped[list] = mapped_column(JSON)
