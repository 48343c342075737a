"""Valuation tables (migration 0005): FIFO cost layers and what consumed them, closed periods
and their snapshots. The schema itself comes only from migrations; these mirror it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from inventory.db.base import db
from inventory.db.models import BigId, utc_column
from inventory.db.types import Money, Quantity, UnitCost


class FifoLayer(db.Model):
    """Stock of a FIFO item that came in together at one cost. ``quantity`` and ``value`` are as
    it came in (never change); ``remaining_*`` is a projection of its consumptions, written in
    the same transaction under the balance row's lock."""

    __tablename__ = "fifo_layer"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("stock_ledger.id"), index=True)
    posted_at: Mapped[datetime] = utc_column()
    received_at: Mapped[datetime] = utc_column()  # first came in (kept across transfers)
    quantity = mapped_column(Quantity(), nullable=False)
    value = mapped_column(Money(), nullable=False)
    unit_cost = mapped_column(UnitCost(), nullable=False)
    remaining_quantity = mapped_column(Quantity(), nullable=False)
    remaining_value = mapped_column(Money(), nullable=False)
    __table_args__ = (
        CheckConstraint("remaining_quantity >= 0", name="remaining_not_negative"),
        Index("ix_fifo_layer_item_wh", "item_id", "warehouse_id", "id"),
    )


class FifoConsumption(db.Model):
    """Append-only: a ledger entry took ``quantity`` (positive) from a layer, or a reversal gave
    it back (negative), for ``value``."""

    __tablename__ = "fifo_consumption"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("stock_ledger.id"), index=True)
    layer_id: Mapped[int] = mapped_column(ForeignKey("fifo_layer.id"), index=True)
    quantity = mapped_column(Quantity(), nullable=False)
    value = mapped_column(Money(), nullable=False)
    posted_at: Mapped[datetime] = utc_column()


class AccountingPeriod(db.Model):
    """A closed month (``YYYY-MM``): postings dated up to ``ends_at`` are refused."""

    __tablename__ = "accounting_period"
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    starts_at: Mapped[datetime] = utc_column()
    ends_at: Mapped[datetime] = utc_column()  # exclusive: the next month's first moment
    closed_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    closed_at: Mapped[datetime] = utc_column()


class PeriodBalance(db.Model):
    """Quantity and value per item and warehouse at the end of a closed period."""

    __tablename__ = "period_balance"
    period: Mapped[str] = mapped_column(
        ForeignKey("accounting_period.period", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), primary_key=True)
    quantity = mapped_column(Quantity(), nullable=False)
    value = mapped_column(Money(), nullable=False)


class PeriodLayer(db.Model):
    """What was left of each FIFO layer at the end of a closed period."""

    __tablename__ = "period_layer"
    period: Mapped[str] = mapped_column(
        ForeignKey("accounting_period.period", ondelete="CASCADE"), primary_key=True
    )
    layer_id: Mapped[int] = mapped_column(ForeignKey("fifo_layer.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer)
    warehouse_id: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = utc_column()
    unit_cost = mapped_column(UnitCost(), nullable=False)
    remaining_quantity = mapped_column(Quantity(), nullable=False)
    remaining_value = mapped_column(Money(), nullable=False)
