"""An item's forecast as the API shows it: its demand history beside what the newest succeeded
reorder run forecast, per warehouse.

A read composed of several reads: the ledger's demand history, the run's stored series and
forecast. A warehouse the run did not forecast (no run yet, or stock there since) is classed on
the fly from the history shown (``forecasting.classify``: the class, no forecast) and marked
``in_run: false``; with no history at all it is ``new``.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

import forecasting
from inventory import clock
from inventory.db import demand_queries
from inventory.db import review_queries as rq
from inventory.db.replenishment_models import FORECAST_QUANTILES, quantile_column
from inventory.errors import NotFound, ValidationFailed

# The stored quantiles that bound the central 80% and 95% intervals.
INTERVALS = {"lo_80": 0.1, "hi_80": 0.9, "lo_95": 0.025, "hi_95": 0.975}


def _window(run: dict | None, settings: dict) -> dict:
    """The bucket, the kinds of demand and the days of history: the run's own, so its history
    and its forecast line up; the current settings when no run has succeeded yet."""
    parameters = (run or {}).get("parameters") or {}
    freq = parameters.get("freq", settings["freq"])
    kinds = parameters.get("demand_kinds", settings["demand_kinds"])
    end = clock.today()
    start = end - timedelta(days=int(settings["history_days"]) - 1)
    return {"freq": freq, "kinds": kinds, "start": start, "end": end}


def _history_points(frame: pd.DataFrame) -> list[dict]:
    return [
        {"period": p.date(), "qty": float(q), "stocked_out": bool(s)}
        for p, q, s in zip(frame["period"], frame["qty"], frame["stocked_out"], strict=True)
    ]


def _forecast_point(row: dict) -> dict:
    quantiles = {f"{q:g}": row[quantile_column(q)] for q in FORECAST_QUANTILES}
    point = {"period": row["period"], "mean": row["mean"], "quantiles": quantiles}
    point |= {name: quantiles[f"{q:g}"] for name, q in INTERVALS.items()}
    return point


def item_forecast(item_id: int, warehouse_id: int | None = None) -> dict:
    """History and the newest succeeded run's forecast of the item, per warehouse that holds
    either. With ``warehouse_id`` that warehouse alone; an item with no history there is class
    ``new`` with empty lists, not an error."""
    if not rq.item_exists(item_id):
        raise NotFound(f"No item with id {item_id}.")
    if warehouse_id is not None and not rq.warehouse_exists(warehouse_id):
        raise NotFound(f"No warehouse with id {warehouse_id}.")
    run = rq.latest_succeeded_run()
    window = _window(run, rq.settings())
    history = demand_queries.demand_history(
        freq=window["freq"],
        start=window["start"],
        end=window["end"],
        kinds=window["kinds"],
        item_ids=[item_id],
        warehouse_ids=None if warehouse_id is None else [warehouse_id],
    )
    series = (
        {s["warehouse_id"]: s for s in rq.item_series(run["id"], item_id, warehouse_id)}
        if run
        else {}
    )
    forecasts = rq.item_forecasts(run["id"], item_id, warehouse_id) if run else []
    places = (
        set(series)
        | set(history["warehouse_id"].astype(int))
        | {f["warehouse_id"] for f in forecasts}
    )
    if warehouse_id is not None:
        places.add(warehouse_id)
    return {
        "item_id": item_id,
        "run_id": run["id"] if run else None,
        "run_date": run["run_date"] if run else None,
        "freq": window["freq"],
        "series": [
            _one_place(place, series.get(place), history, forecasts, window["freq"])
            for place in sorted(places)
        ],
    }


def _class_now(shown: pd.DataFrame, freq: str) -> str:
    """The demand class of history the run did not see, as the run would class it."""
    if shown.empty:
        return "new"
    classes = forecasting.classify(shown[["item_id", "period", "qty", "stocked_out"]], freq)
    return str(classes["demand_class"].iloc[0])


def _one_place(place: int, found: dict | None, history, forecasts, freq: str) -> dict:
    shown = history[history["warehouse_id"] == place]
    return {
        "warehouse_id": place,
        "in_run": found is not None,
        "demand_class": found["demand_class"] if found else _class_now(shown, freq),
        "abc_class": found["abc_class"] if found else None,
        "model": found["model"] if found else "",
        "backtest_mase": found["backtest_mase"] if found else None,
        "backtest_rmsse": found["backtest_rmsse"] if found else None,
        "error": found["error"] if found else "",
        "history": _history_points(shown),
        "forecast": [_forecast_point(f) for f in forecasts if f["warehouse_id"] == place],
    }


def default_range(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The accuracy report's periods: a year up to today unless asked otherwise. A start after
    the (default) end is refused, as a reversed range given in full is by the query schema."""
    date_to = date_to or clock.today()
    if date_from is None:
        year_back = date_to.toordinal() - 365
        date_from = date.fromordinal(year_back) if year_back >= 1 else date.min
    if date_from > date_to:
        raise ValidationFailed(
            f"The range starts ({date_from}) after it ends ({date_to}).",
            errors={"date_from": ["Must not be after date_to (default: today)."]},
        )
    return date_from, date_to
