"""Stock health tables: each item's kept ABC/XYZ class, and the cycle counts opened per day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inventory.db.base import db
from inventory.db.models import utc_column
from inventory.db.types import Fixed, Money, Quantity


class ItemClass(db.Model):
    """An item's ABC class (consumption value) and XYZ class (demand variability), as the
    ``classify-items`` job last computed them; reorder service levels and cycle counts read it."""

    __tablename__ = "item_class"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    abc_class: Mapped[str] = mapped_column(String(1))
    xyz_class: Mapped[str] = mapped_column(String(1))
    consumption_value = mapped_column(Money(), nullable=False)  # base currency, over the window
    annual_quantity = mapped_column(Quantity(), nullable=False)
    demand_cv = mapped_column(Fixed(4), nullable=True)  # None: no demand in the window
    computed_at: Mapped[datetime] = utc_column()


class CycleCount(db.Model):
    """One cycle count opened by the job for a warehouse on a day (at most one: the job is
    idempotent per day). ``stocktake_id`` is None when nothing was due or all was already open."""

    __tablename__ = "cycle_count"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    stocktake_id: Mapped[int | None] = mapped_column(ForeignKey("stocktake.id"), nullable=True)
    due_items: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = utc_column()
    __table_args__ = (UniqueConstraint("day", "warehouse_id", name="uq_cycle_count_day"),)
