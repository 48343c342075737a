"""The writers of a reorder run: start it, write one chunk's rows in bulk, finish it.

Rows go in as one executemany per table (``session.execute(insert(Model), rows)``), never one
ORM object per row. A chunk's writer first deletes what an earlier attempt at the same chunk
wrote (a Celery task redelivered after its worker died), so writing a chunk twice leaves it
written once, and progress counts each item-warehouse once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import and_, delete, func, insert, select, tuple_, update

from inventory import clock
from inventory.db.replenishment_models import (
    DemandForecast,
    ForecastSeries,
    ReorderException,
    ReorderRun,
    ReorderSuggestion,
)


def start_run(
    session, *, run_date, fingerprint: str, parameters: dict, total: int, actor_id: int | None
) -> int:
    """Insert the run as ``running``; the partial unique index refuses a second one
    (IntegrityError, raised at the flush)."""
    run = ReorderRun(
        run_date=run_date,
        status="running",
        fingerprint=fingerprint,
        parameters=parameters,
        progress_done=0,
        progress_total=total,
        started_at=clock.now(),
        started_by=actor_id,
    )
    session.add(run)
    session.flush()
    return run.id


def abandon_stale_runs(session, started_before, reason: str) -> list[int]:
    """Mark failed, with ``reason``, every run still ``running`` that started before
    ``started_before``; returns their ids."""
    stale = list(
        session.scalars(
            select(ReorderRun.id).where(
                ReorderRun.status == "running", ReorderRun.started_at < started_before
            )
        )
    )
    if stale:
        session.execute(
            update(ReorderRun)
            .where(ReorderRun.id.in_(stale))
            .values(
                status="failed",
                finished_at=clock.now(),
                errors=[{"item_id": None, "warehouse_id": None, "error": reason}],
            )
        )
    return stale


def _pair_filter(model, pairs: list[tuple[int, int]]):
    # item_id first narrows by the (run_id, item_id, warehouse_id) indexes
    items = sorted({i for i, _ in pairs}) or [-1]
    return and_(model.item_id.in_(items), tuple_(model.item_id, model.warehouse_id).in_(pairs))


def write_chunk(
    session,
    run_id: int,
    pairs: list[tuple[int, int]],
    *,
    series: list[dict],
    forecasts: pd.DataFrame | list[dict],
    suggestions: list[dict],
    exceptions: list[dict],
) -> int:
    """Replace the chunk's rows of run ``run_id`` and advance its progress by the pairs not
    written before; returns that number."""
    already = 0
    for model in (DemandForecast, ReorderSuggestion, ReorderException, ForecastSeries):
        result = session.execute(
            delete(model).where(model.run_id == run_id, _pair_filter(model, pairs))
        )
        if model is ForecastSeries:
            already = result.rowcount or 0
    for model, rows in (
        (ForecastSeries, series),
        (DemandForecast, forecasts),
        (ReorderSuggestion, suggestions),
        (ReorderException, exceptions),
    ):
        if isinstance(rows, pd.DataFrame):  # demand_forecast rows, column-wise
            if session.get_bind().dialect.name == "postgresql":
                _copy_forecasts(session, run_id, rows)
                continue
            rows = rows.to_dict("records")
        if rows:
            session.execute(insert(model), [{"run_id": run_id, **row} for row in rows])
    new = len(series) - already
    session.execute(
        update(ReorderRun)
        .where(ReorderRun.id == run_id)
        .values(progress_done=ReorderRun.progress_done + new)
    )
    return new


_FORECAST_COLUMNS = [c.name for c in DemandForecast.__table__.columns if c.name != "id"]


# PostgreSQL's binary COPY: the file header, and per row its field count then each field as its
# length and its big-endian value (int4 ids, date as int4 days since 2000-01-01, float8 figures).
_PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") * 2
_PGCOPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
_PG_EPOCH_DAYS = 10_957  # 2000-01-01 in days since 1970-01-01


def _copy_forecasts(session, run_id: int, frame: pd.DataFrame) -> None:
    """demand_forecast rows by one binary COPY of the frame: a chunk writes horizon x series of
    them (13,000 for 500 weekly series), where an executemany spends more time building
    statements than PostgreSQL spends storing the rows, and CSV spends it formatting floats.
    The rows are packed by numpy, all at once; the floats go as their exact bits."""
    if frame.empty:
        return
    session.flush()
    columns = [c for c in _FORECAST_COLUMNS if c != "run_id"]
    figures = columns[3:]  # after item_id, warehouse_id, period: mean and the quantiles
    specs = [("run_id", ">i4"), ("item_id", ">i4"), ("warehouse_id", ">i4"),
             ("period", ">i4"), *((name, ">f8") for name in figures)]  # fmt: skip
    fields = [("count", ">i2")]
    for name, kind in specs:
        fields += [(f"{name}_len", ">i4"), (name, kind)]
    rows = np.empty(len(frame), dtype=np.dtype(fields))
    rows["count"] = len(specs)
    for name, kind in specs:
        rows[f"{name}_len"] = np.dtype(kind).itemsize
    rows["run_id"] = run_id
    rows["item_id"] = frame["item_id"].to_numpy(np.int64)
    rows["warehouse_id"] = frame["warehouse_id"].to_numpy(np.int64)
    days = pd.to_datetime(frame["period"]).to_numpy("datetime64[D]").astype(np.int64)
    rows["period"] = days - _PG_EPOCH_DAYS
    for name in figures:
        rows[name] = frame[name].to_numpy(np.float64)
    connection = session.connection().connection.driver_connection
    sql = f"COPY demand_forecast (run_id, {', '.join(columns)}) FROM STDIN (FORMAT binary)"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(_PGCOPY_HEADER + rows.tobytes() + _PGCOPY_TRAILER)


def run_totals(session, run_id: int) -> tuple[dict, list[dict]]:
    """What the run wrote, counted in the database: ``(counts, errors)``."""

    def count(model, *where) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    series = ForecastSeries
    counts = {
        "series": count(series, series.run_id == run_id),
        "forecasts": count(DemandForecast, DemandForecast.run_id == run_id),
        "suggestions": count(ReorderSuggestion, ReorderSuggestion.run_id == run_id),
        "exceptions": count(ReorderException, ReorderException.run_id == run_id),
        "errors": count(series, series.run_id == run_id, series.error != ""),
    }
    by_class = session.execute(
        select(series.demand_class, func.count())
        .where(series.run_id == run_id, series.error == "")
        .group_by(series.demand_class)
    ).all()
    counts["classes"] = {name: n for name, n in sorted(by_class)}
    errors = [
        {"item_id": i, "warehouse_id": w, "error": e}
        for i, w, e in session.execute(
            select(series.item_id, series.warehouse_id, series.error)
            .where(series.run_id == run_id, series.error != "")
            .order_by(series.item_id, series.warehouse_id)
        )
    ]
    return counts, errors


def finish_run(session, run_id: int, *, status: str, counts: dict, errors: list) -> None:
    session.execute(
        update(ReorderRun)
        .where(ReorderRun.id == run_id)
        .values(status=status, counts=counts, errors=errors, finished_at=clock.now())
    )
