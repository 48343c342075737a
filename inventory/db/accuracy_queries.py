"""Reads for the forecast accuracy report: the runs whose forecasts count, and their stored
forecasts of periods in a range, as a frame."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import and_, select

from inventory.db.base import db
from inventory.db.models import Item, Warehouse
from inventory.db.replenishment_models import (
    FORECAST_QUANTILES,
    DemandForecast,
    ForecastSeries,
    ReorderRun,
    quantile_column,
)
from inventory.domain.reorder_review import RunStatus

QUANTILE_COLUMNS = tuple(quantile_column(q) for q in FORECAST_QUANTILES)


def succeeded_runs() -> list[dict]:
    """Every succeeded run: id, day and parameters (a handful a day at most)."""
    rows = db.session.execute(
        select(ReorderRun.id, ReorderRun.run_date, ReorderRun.parameters)
        .where(ReorderRun.status == RunStatus.SUCCEEDED)
        .order_by(ReorderRun.id)
    )
    return [dict(r._mapping) for r in rows]


def stored_forecasts(
    run_ids: list[int], date_from: date, date_to: date, warehouse_id: int | None = None
) -> pd.DataFrame:
    """``[run_id, item_id, warehouse_id, period, mean, q025 … q990, demand_class, model, sku,
    warehouse_code]`` for periods from ``date_from`` to ``date_to`` of the given runs."""
    f = DemandForecast
    query = (
        select(
            f.run_id,
            f.item_id,
            f.warehouse_id,
            f.period,
            f.mean,
            *[getattr(f, c) for c in QUANTILE_COLUMNS],
            ForecastSeries.demand_class,
            ForecastSeries.model,
            Item.sku,
            Warehouse.code.label("warehouse_code"),
        )
        .join(Item, Item.id == f.item_id)
        .join(Warehouse, Warehouse.id == f.warehouse_id)
        .outerjoin(
            ForecastSeries,
            and_(
                ForecastSeries.run_id == f.run_id,
                ForecastSeries.item_id == f.item_id,
                ForecastSeries.warehouse_id == f.warehouse_id,
            ),
        )
        .where(f.run_id.in_(run_ids), f.period >= date_from, f.period <= date_to)
    )
    if warehouse_id is not None:
        query = query.where(f.warehouse_id == warehouse_id)
    rows = db.session.execute(query).all()
    columns = ["run_id", "item_id", "warehouse_id", "period", "mean", *QUANTILE_COLUMNS]
    columns += ["demand_class", "model", "sku", "warehouse_code"]
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)
