"""Replenishment tables: reorder settings and per-item policies, reorder runs with their stored
forecasts, per-series outcomes, suggestions and exceptions. The schema comes from migration
0004_replenishment.

Forecast figures are floats: they are estimates, not books. Suggested quantities and prices are
exact (``Quantity`` / ``UnitCost``) because they become purchase request lines.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from inventory.db.base import db
from inventory.db.models import BigId, utc_column
from inventory.db.types import Quantity, UnitCost

# The quantiles every stored forecast carries, and their column names (q0.025 -> q025).
FORECAST_QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.95, 0.975, 0.99)


def quantile_column(q: float) -> str:
    return "q" + f"{q:.3f}".split(".")[1]


class ReorderSetting(db.Model):
    """The defaults of every reorder run: one row (id 1), changed by an admin."""

    __tablename__ = "reorder_setting"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_level_a = mapped_column(UnitCost(), nullable=False)
    service_level_b = mapped_column(UnitCost(), nullable=False)
    service_level_c = mapped_column(UnitCost(), nullable=False)
    review_period_days: Mapped[int] = mapped_column(Integer)
    history_days: Mapped[int] = mapped_column(Integer)
    freq: Mapped[str] = mapped_column(String(1))  # D|W|M: the forecast's bucket
    horizon: Mapped[int] = mapped_column(Integer)  # periods forecast ahead
    # Which stock movements count as demand: kinds from inventory.domain.demand.
    demand_kinds: Mapped[list] = mapped_column(JSON)
    updated_at: Mapped[datetime | None] = utc_column(nullable=True)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)


class ReorderPolicy(db.Model):
    """Per item and warehouse overrides of the defaults; absent columns fall back to them."""

    __tablename__ = "reorder_policy"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), primary_key=True)
    service_level = mapped_column(UnitCost(), nullable=True)
    review_period_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lead_time_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # For items without enough history (class ``new``): reorder at min, fill up to max.
    min_quantity = mapped_column(Quantity(), nullable=True)
    max_quantity = mapped_column(Quantity(), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime | None] = utc_column(nullable=True)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)


class ReorderRun(db.Model):
    """One reorder run: its inputs, progress, counts and per-item errors.

    At most one run is ``running`` at a time: a partial unique index holds it on both databases,
    so a second start is refused even when two schedulers race.
    """

    __tablename__ = "reorder_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20))  # running|succeeded|failed
    fingerprint: Mapped[str] = mapped_column(String(64))  # same day + same inputs = same run
    parameters: Mapped[dict] = mapped_column(JSON)
    counts: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    errors: Mapped[list | None] = mapped_column(JSON, nullable=True)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = utc_column()
    finished_at: Mapped[datetime | None] = utc_column(nullable=True)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    __table_args__ = (
        Index(
            "uq_reorder_run_one_running",
            "status",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )


class ForecastSeries(db.Model):
    """What a run found for one item and warehouse: class, model, backtest error, or its error."""

    __tablename__ = "forecast_series"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reorder_run.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    demand_class: Mapped[str] = mapped_column(String(16))
    abc_class: Mapped[str] = mapped_column(String(1), default="C")
    model: Mapped[str] = mapped_column(String(64), default="")
    mean: Mapped[float | None] = mapped_column(Float, nullable=True)  # per period
    variance: Mapped[float | None] = mapped_column(Float, nullable=True)
    backtest_mase: Mapped[float | None] = mapped_column(Float, nullable=True)
    backtest_rmsse: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (
        Index("uq_forecast_series_run_item", "run_id", "item_id", "warehouse_id", unique=True),
        Index("ix_forecast_series_item", "item_id", "warehouse_id"),
    )


class DemandForecast(db.Model):
    """A run's forecast for one item, warehouse and future period, kept to measure accuracy."""

    __tablename__ = "demand_forecast"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reorder_run.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    period: Mapped[date] = mapped_column(Date)  # the period's first day
    mean: Mapped[float] = mapped_column(Float)
    q025: Mapped[float] = mapped_column(Float)
    q100: Mapped[float] = mapped_column(Float)
    q500: Mapped[float] = mapped_column(Float)
    q900: Mapped[float] = mapped_column(Float)
    q950: Mapped[float] = mapped_column(Float)
    q975: Mapped[float] = mapped_column(Float)
    q990: Mapped[float] = mapped_column(Float)
    __table_args__ = (
        Index("ix_demand_forecast_run_item", "run_id", "item_id", "warehouse_id", "period"),
        Index("ix_demand_forecast_item_period", "item_id", "warehouse_id", "period"),
    )


class ReorderSuggestion(db.Model):
    """What a run proposes to order, from whom and by when; reviewed by purchasing."""

    __tablename__ = "reorder_suggestion"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reorder_run.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), nullable=True)
    supplier_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("supplier_item.id"), nullable=True
    )
    quantity = mapped_column(Quantity(), nullable=False)
    unit_price = mapped_column(UnitCost(), nullable=True)  # base currency, for the request
    order_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    need_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    urgency: Mapped[str] = mapped_column(String(12))  # overdue|urgent|normal
    demand_class: Mapped[str] = mapped_column(String(16))
    abc_class: Mapped[str] = mapped_column(String(1))
    model: Mapped[str] = mapped_column(String(64), default="")
    explanation: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open|accepted|dismissed
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    decided_at: Mapped[datetime | None] = utc_column(nullable=True)
    dismiss_reason: Mapped[str] = mapped_column(Text, default="")
    request_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_request_line.id"), nullable=True
    )
    __table_args__ = (Index("ix_reorder_suggestion_item", "item_id", "warehouse_id"),)


class ReorderException(db.Model):
    """Something a run saw that needs a person: expedite, a late order line, overstock."""

    __tablename__ = "reorder_exception"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reorder_run.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    kind: Mapped[str] = mapped_column(String(20))  # expedite|late_order|overstock
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), nullable=True)
    po_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_order_line.id"), nullable=True
    )
    message: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSON)
