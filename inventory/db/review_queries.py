"""Read models for reviewing reorder runs: the runs, a run's suggestions and exceptions with what
explains them, an item's stored forecast, the reorder settings and policies."""

from __future__ import annotations

from sqlalchemy import Select, and_, case, select

from inventory.db.base import db
from inventory.db.models import Item, Warehouse
from inventory.db.procurement_models import PurchaseRequestLine, Supplier
from inventory.db.queries import page
from inventory.db.replenishment_models import (
    FORECAST_QUANTILES,
    DemandForecast,
    ForecastSeries,
    ReorderException,
    ReorderPolicy,
    ReorderRun,
    ReorderSetting,
    ReorderSuggestion,
    quantile_column,
)
from inventory.domain.reorder_review import DEFAULT_SETTINGS, URGENCIES, RunStatus

SETTINGS_ID = 1
_RUN_LIST_COLUMNS = (
    ReorderRun.id,
    ReorderRun.run_date,
    ReorderRun.status,
    ReorderRun.parameters,
    ReorderRun.counts,
    ReorderRun.progress_done,
    ReorderRun.progress_total,
    ReorderRun.started_at,
    ReorderRun.finished_at,
    ReorderRun.started_by,
)


def _progress(row: dict) -> dict:
    done, total = row.pop("progress_done") or 0, row.pop("progress_total") or 0
    if total:
        percent = round(100.0 * done / total, 1)
    else:
        percent = 100.0 if row["status"] == RunStatus.SUCCEEDED else 0.0
    row["progress"] = {"done": done, "total": total, "percent": percent}
    return row


def runs(page_no: int, page_size: int, *, status: str | None = None) -> tuple[list[dict], int]:
    """One page of reorder runs, newest first, each with its progress."""
    query = select(*_RUN_LIST_COLUMNS).order_by(ReorderRun.id.desc())
    if status:
        query = query.where(ReorderRun.status == status)
    rows, total = page(query, page_no, page_size)
    return [_progress(row) for row in rows], total


def run(run_id: int) -> dict | None:
    """One run with its progress, counts and per-item errors."""
    found = db.session.execute(
        select(*_RUN_LIST_COLUMNS, ReorderRun.errors).where(ReorderRun.id == run_id)
    ).first()
    if found is None:
        return None
    row = _progress(dict(found._mapping))
    row["errors"] = row["errors"] or []
    return row


def run_exists(run_id: int) -> bool:
    return db.session.get(ReorderRun, run_id) is not None


def latest_succeeded_run() -> dict | None:
    """The newest run that succeeded: its id, day and parameters."""
    found = db.session.execute(
        select(ReorderRun.id, ReorderRun.run_date, ReorderRun.parameters)
        .where(ReorderRun.status == RunStatus.SUCCEEDED)
        .order_by(ReorderRun.id.desc())
        .limit(1)
    ).first()
    return dict(found._mapping) if found else None


def _series_join(model):
    # A run writes one series row per item and warehouse: the class, model and backtest error
    # that explain its suggestions and exceptions.
    return and_(
        ForecastSeries.run_id == model.run_id,
        ForecastSeries.item_id == model.item_id,
        ForecastSeries.warehouse_id == model.warehouse_id,
    )


def _suggestion_select() -> Select:
    s = ReorderSuggestion
    return (
        select(
            *s.__table__.c,
            Item.sku,
            Item.name.label("item_name"),
            Warehouse.code.label("warehouse_code"),
            Supplier.code.label("supplier_code"),
            Supplier.name.label("supplier_name"),
            ForecastSeries.backtest_mase,
            ForecastSeries.backtest_rmsse,
            PurchaseRequestLine.request_id,
        )
        .join(Item, Item.id == s.item_id)
        .join(Warehouse, Warehouse.id == s.warehouse_id)
        .outerjoin(Supplier, Supplier.id == s.supplier_id)
        .outerjoin(ForecastSeries, _series_join(s))
        .outerjoin(PurchaseRequestLine, PurchaseRequestLine.id == s.request_line_id)
    )


def suggestions(
    run_id: int,
    *,
    item_id: int | None = None,
    warehouse_id: int | None = None,
    supplier_id: int | None = None,
    demand_class: str | None = None,
    abc_class: str | None = None,
    urgency: str | None = None,
    status: str | None = None,
) -> Select:
    """A run's suggestions, most urgent first (then by order-by day), with item, warehouse and
    supplier codes, the series' backtest error and the request line an accepted one became."""
    s = ReorderSuggestion
    rank = case({u: i for i, u in enumerate(URGENCIES)}, value=s.urgency, else_=99)
    query = _suggestion_select().where(s.run_id == run_id)
    for column, value in (
        (s.item_id, item_id),
        (s.warehouse_id, warehouse_id),
        (s.supplier_id, supplier_id),
        (s.demand_class, demand_class),
        (s.abc_class, abc_class),
        (s.urgency, urgency),
        (s.status, status),
    ):
        if value is not None:
            query = query.where(column == value)
    return query.order_by(rank, s.order_by.asc().nulls_last(), s.id)


def exceptions(
    run_id: int,
    *,
    warehouse_id: int | None = None,
    supplier_id: int | None = None,
    kind: str | None = None,
    demand_class: str | None = None,
    abc_class: str | None = None,
) -> Select:
    """A run's exceptions (expedite, late order, overstock) with the series' class."""
    e = ReorderException
    query = (
        select(
            *e.__table__.c,
            Item.sku,
            Item.name.label("item_name"),
            Warehouse.code.label("warehouse_code"),
            Supplier.code.label("supplier_code"),
            ForecastSeries.demand_class,
            ForecastSeries.abc_class,
        )
        .join(Item, Item.id == e.item_id)
        .join(Warehouse, Warehouse.id == e.warehouse_id)
        .outerjoin(Supplier, Supplier.id == e.supplier_id)
        .outerjoin(ForecastSeries, _series_join(e))
        .where(e.run_id == run_id)
    )
    for column, value in (
        (e.warehouse_id, warehouse_id),
        (e.supplier_id, supplier_id),
        (e.kind, kind),
        (ForecastSeries.demand_class, demand_class),
        (ForecastSeries.abc_class, abc_class),
    ):
        if value is not None:
            query = query.where(column == value)
    return query.order_by(e.kind, e.item_id, e.warehouse_id, e.id)


def suggestion_rows(suggestion_ids) -> list[dict]:
    """The named suggestions as the list shows them, in id order."""
    s = ReorderSuggestion
    query = _suggestion_select().where(s.id.in_(list(suggestion_ids))).order_by(s.id)
    return [dict(r._mapping) for r in db.session.execute(query)]


# --- an item's forecast ------------------------------------------------------------------------


def item_exists(item_id: int) -> bool:
    return db.session.get(Item, item_id) is not None


def warehouse_exists(warehouse_id: int) -> bool:
    return db.session.get(Warehouse, warehouse_id) is not None


def item_series(run_id: int, item_id: int, warehouse_id: int | None = None) -> list[dict]:
    """What the run found for the item per warehouse: class, model, backtest error."""
    query = select(
        ForecastSeries.warehouse_id,
        ForecastSeries.demand_class,
        ForecastSeries.abc_class,
        ForecastSeries.model,
        ForecastSeries.mean,
        ForecastSeries.variance,
        ForecastSeries.backtest_mase,
        ForecastSeries.backtest_rmsse,
        ForecastSeries.error,
    ).where(ForecastSeries.run_id == run_id, ForecastSeries.item_id == item_id)
    if warehouse_id is not None:
        query = query.where(ForecastSeries.warehouse_id == warehouse_id)
    return [dict(r._mapping) for r in db.session.execute(query.order_by("warehouse_id"))]


def item_forecasts(run_id: int, item_id: int, warehouse_id: int | None = None) -> list[dict]:
    """The run's stored forecast of the item, per warehouse and period; quantile columns keep
    their names (``q025`` … ``q990``)."""
    f = DemandForecast
    columns = [getattr(f, quantile_column(q)) for q in FORECAST_QUANTILES]
    query = select(f.warehouse_id, f.period, f.mean, *columns).where(
        f.run_id == run_id, f.item_id == item_id
    )
    if warehouse_id is not None:
        query = query.where(f.warehouse_id == warehouse_id)
    return [dict(r._mapping) for r in db.session.execute(query.order_by(f.warehouse_id, f.period))]


# --- settings and policies ---------------------------------------------------------------------

SETTING_FIELDS = (
    "service_level_a",
    "service_level_b",
    "service_level_c",
    "review_period_days",
    "history_days",
    "freq",
    "horizon",
    "demand_kinds",
)
POLICY_FIELDS = (
    "service_level",
    "review_period_days",
    "lead_time_days",
    "min_quantity",
    "max_quantity",
    "active",
)


def settings() -> dict:
    """The defaults of every run (the one settings row), for the run, the review and the
    reports alike."""
    row = db.session.get(ReorderSetting, SETTINGS_ID)
    if row is None:
        # the migration writes it; a hand-emptied table (tests on PostgreSQL truncate it) falls
        # back to the migration's values, copied so no caller can change the defaults
        kinds = list(DEFAULT_SETTINGS["demand_kinds"])
        return {**DEFAULT_SETTINGS, "demand_kinds": kinds, "updated_at": None, "updated_by": None}
    return {
        **{name: getattr(row, name) for name in SETTING_FIELDS},
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
    }


def policy(item_id: int, warehouse_id: int) -> dict | None:
    found = db.session.execute(
        select(*ReorderPolicy.__table__.c).where(
            ReorderPolicy.item_id == item_id, ReorderPolicy.warehouse_id == warehouse_id
        )
    ).first()
    return dict(found._mapping) if found else None


def policies(*, item_id: int | None = None, warehouse_id: int | None = None) -> Select:
    query = select(*ReorderPolicy.__table__.c)
    if item_id is not None:
        query = query.where(ReorderPolicy.item_id == item_id)
    if warehouse_id is not None:
        query = query.where(ReorderPolicy.warehouse_id == warehouse_id)
    return query.order_by(ReorderPolicy.item_id, ReorderPolicy.warehouse_id)
