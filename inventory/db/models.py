"""Tables. The schema itself comes only from migrations; these mirror it (a test compares)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
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
from inventory.db.types import Money, Quantity, UnitCost, UtcDateTime

# SQLite only auto-numbers an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
BigId = BigInteger().with_variant(Integer, "sqlite")


def utc_column(nullable: bool = False):
    return mapped_column(UtcDateTime(), nullable=nullable)


class User(db.Model):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = utc_column()


class UserRole(db.Model):
    __tablename__ = "user_role"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class ApiToken(db.Model):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = utc_column()
    expires_at: Mapped[datetime] = utc_column()
    revoked_at: Mapped[datetime | None] = utc_column(nullable=True)


class LoginFailure(db.Model):
    __tablename__ = "login_failure"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = utc_column()
    __table_args__ = (
        Index("ix_login_failure_username_at", "username", "at"),
        Index("ix_login_failure_address_at", "address", "at"),
    )


class Item(db.Model):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100), default="", index=True)
    unit_of_measure: Mapped[str] = mapped_column(String(20))
    valuation_cost = mapped_column(UnitCost(), nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = utc_column()
    updated_at: Mapped[datetime] = utc_column()
    # moving_average | fifo (migration 0005); changes only while the item holds no stock
    valuation_method: Mapped[str] = mapped_column(String(20), server_default="moving_average")


# Codes are unique whatever their case (migration 0003): ``bolt-m8`` is ``BOLT-M8``.
Index("uq_item_sku_ci", func.lower(Item.sku), unique=True)


class Warehouse(db.Model):
    __tablename__ = "warehouse"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = utc_column()
    updated_at: Mapped[datetime] = utc_column()


Index("uq_warehouse_code_ci", func.lower(Warehouse.code), unique=True)


class StockDocument(db.Model):
    __tablename__ = "stock_document"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    to_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"), nullable=True)
    reference: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = utc_column()
    posted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    posted_at: Mapped[datetime | None] = utc_column(nullable=True)
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    cancelled_at: Mapped[datetime | None] = utc_column(nullable=True)
    # Issues only, optional (migration 0009): the cost centre the goods are charged to.
    cost_centre_id: Mapped[int | None] = mapped_column(ForeignKey("cost_centre.id"), nullable=True)
    __table_args__ = (Index("ix_stock_document_created_at", "created_at"),)


class StockDocumentLine(db.Model):
    __tablename__ = "stock_document_line"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("stock_document.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    quantity = mapped_column(Quantity(), nullable=False)
    unit_cost = mapped_column(UnitCost(), nullable=True)


class StockLedger(db.Model):
    """Append-only. Never updated or deleted; a PostgreSQL trigger refuses both."""

    __tablename__ = "stock_ledger"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("stock_document.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("stock_document_line.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    quantity = mapped_column(Quantity(), nullable=False)
    unit_cost = mapped_column(UnitCost(), nullable=False)
    value = mapped_column(Money(), nullable=False)
    balance_quantity = mapped_column(Quantity(), nullable=False)
    balance_value = mapped_column(Money(), nullable=False)
    reversal: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    posted_at: Mapped[datetime] = utc_column()
    __table_args__ = (
        # id last: the stock-out KPI's next-row probe breaks posted_at ties by it, index-only.
        Index("ix_stock_ledger_item_wh_posted", "item_id", "warehouse_id", "posted_at", "id"),
        Index("ix_stock_ledger_posted_at", "posted_at"),
        # Ageing walks each pair's inbound rows newest first (db/health_queries.py).
        Index(
            "ix_stock_ledger_inbound",
            "item_id",
            "warehouse_id",
            "posted_at",
            "id",
            postgresql_include=["quantity", "document_id"],
            postgresql_where=text("quantity > 0 AND NOT reversal"),
            sqlite_where=text("quantity > 0 AND NOT reversal"),
        ),
        # The stock-out KPI reads only the rows that leave a balance at zero (db/kpi_queries.py).
        Index(
            "ix_stock_ledger_zero",
            "posted_at",
            postgresql_include=["item_id", "warehouse_id", "id"],
            postgresql_where=text("balance_quantity = 0"),
            sqlite_where=text("balance_quantity = 0"),
        ),
    )


class StockBalance(db.Model):
    """A projection of the ledger, written in the same transaction as its entries."""

    __tablename__ = "stock_balance"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), primary_key=True)
    quantity = mapped_column(Quantity(), nullable=False, default=0)
    value = mapped_column(Money(), nullable=False, default=0)
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        Index("ix_stock_balance_warehouse", "warehouse_id", "item_id"),
    )


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_key"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = utc_column()


class AuditEvent(db.Model):
    """Append-only record of every write: who, when, what, before and after."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = utc_column()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    request_id: Mapped[str] = mapped_column(String(64), default="")
    __table_args__ = (
        Index("ix_audit_event_entity", "entity_type", "entity_id"),
        Index("ix_audit_event_at", "at"),
    )


class Stocktake(db.Model):
    __tablename__ = "stocktake"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    category: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    quantity_tolerance_pct = mapped_column(Money(), nullable=False)
    value_tolerance = mapped_column(Money(), nullable=False)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = utc_column()
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    approved_at: Mapped[datetime | None] = utc_column(nullable=True)
    posted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    posted_at: Mapped[datetime | None] = utc_column(nullable=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("stock_document.id"), nullable=True)
    # Where its write-offs are charged (its adjustment documents take it); optional.
    cost_centre_id: Mapped[int | None] = mapped_column(ForeignKey("cost_centre.id"), nullable=True)


class StocktakeLine(db.Model):
    __tablename__ = "stocktake_line"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktake.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    counted_quantity = mapped_column(Quantity(), nullable=True)
    book_quantity = mapped_column(Quantity(), nullable=True)
    book_unit_cost = mapped_column(UnitCost(), nullable=True)
    count_number: Mapped[int] = mapped_column(Integer, default=0)
    counted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    counted_at: Mapped[datetime | None] = utc_column(nullable=True)
    __table_args__ = (UniqueConstraint("stocktake_id", "item_id", name="uq_stocktake_line_item"),)


class JobRun(db.Model):
    __tablename__ = "job_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = utc_column()
    finished_at: Mapped[datetime | None] = utc_column(nullable=True)
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict | None] = mapped_column(JSON, nullable=True)
