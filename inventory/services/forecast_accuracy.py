"""Realised accuracy of the stored forecasts, once their periods have passed, beside seasonal
naive: per item and warehouse, per demand class and overall.

Which forecast counts: for each item, warehouse and period, the forecast of the newest succeeded
run made before the period began (its ``run_date`` on or before the period's first day), in the
bucket of the current settings. A period counts once it has ended.

The measures, per series (item and warehouse), over its measured periods, each scaled by the
in-sample error of seasonal naive on the history known at the forecast's origin (the periods
before the run's own period, within the settings' history window; lag 1 when that history is
shorter than two seasons): MASE (mean |error| / scale), RMSSE (root of mean error² / mean
squared scale), bias (mean forecast − actual, in units), scaled pinball loss (over the seven
stored quantiles, / scale) and the share of actuals inside the 80% and 95% intervals.
Seasonal naive forecasts each period with the same period a season earlier as known at the
origin, its quantiles from the spread of the in-sample seasonal differences (never below 0).
Classes and the overall row average the series' measures (coverage: the share of all periods).
The maths (scaled errors per origin, seasonal naive, the class means) is ``forecasting.metrics``;
this module picks the forecasts that count and the history known at each origin.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from forecasting import metrics
from inventory import clock
from inventory.db import accuracy_queries as aq
from inventory.db import demand_queries
from inventory.db import review_queries as rq
from inventory.db.replenishment_models import FORECAST_QUANTILES

SEASON_LENGTH = {"D": 7, "W": 52, "M": 12}
MEASURES = ("mase", "rmsse", "bias", "scaled_pinball", "cover_80", "cover_95")
QCOLS = aq.QUANTILE_COLUMNS


def _chosen_forecasts(runs: list[dict], date_from, date_to, warehouse_id, freq) -> pd.DataFrame:
    """The forecast that counts for each item, warehouse and ended period (see the module)."""
    current = demand_queries.period_start(clock.today(), freq)
    last = min(date_to, current - timedelta(days=1))
    frame = aq.stored_forecasts([r["id"] for r in runs], date_from, last, warehouse_id)
    if frame.empty:
        return frame
    made = {r["id"]: r["run_date"] for r in runs}
    frame["run_date"] = frame["run_id"].map(made)
    frame = frame[frame["run_date"] <= frame["period"]]
    frame = frame.sort_values("run_id").drop_duplicates(
        ["item_id", "warehouse_id", "period"], keep="last"
    )
    return frame.reset_index(drop=True)


def item_accuracy(
    date_from: date, date_to: date, warehouse_id: int | None = None
) -> tuple[list[dict], dict]:
    """One row per measured item and warehouse, and the report's frame (freq, season)."""
    settings = rq.settings()
    freq = settings["freq"]
    meta = {"freq": freq, "season_length": SEASON_LENGTH[freq]}
    runs = [r for r in aq.succeeded_runs() if (r["parameters"] or {}).get("freq", freq) == freq]
    chosen = _chosen_forecasts(runs, date_from, date_to, warehouse_id, freq) if runs else None
    if chosen is None or chosen.empty:
        return [], meta
    window = max(1, int(settings["history_days"]) // {"D": 1, "W": 7, "M": 30}[freq])
    start = min(chosen["run_date"]) - timedelta(days=int(settings["history_days"]))
    end = max(chosen["period"]) + timedelta(days=31)
    history = demand_queries.demand_history(
        freq=freq,
        start=start,
        end=min(end, clock.today()),
        kinds=settings["demand_kinds"],
        item_ids=sorted(set(chosen["item_id"])),
        warehouse_ids=None if warehouse_id is None else [warehouse_id],
    )
    return _rows(chosen, history, freq, window), meta


def _rows(chosen: pd.DataFrame, history: pd.DataFrame, freq: str, window: int) -> list[dict]:
    """Per series: ours and seasonal naive's measures, through ``forecasting.metrics``."""
    grid = sorted(history["period"].unique()) if not history.empty else []
    position = {pd.Timestamp(p): i for i, p in enumerate(grid)}
    series = {k: g.sort_values("period") for k, g in history.groupby(["item_id", "warehouse_id"])}
    chosen = chosen.assign(period=pd.to_datetime(chosen["period"]))
    chosen = chosen[chosen["period"].isin(position)]
    chosen = chosen[
        [k in series for k in zip(chosen["item_id"], chosen["warehouse_id"], strict=True)]
    ]
    if chosen.empty:
        return []
    chosen = chosen.sort_values(["run_id", "period"], kind="stable")
    key = chosen.groupby(["item_id", "warehouse_id"], sort=True).ngroup()
    origin = chosen["run_date"].map(lambda d: pd.Timestamp(demand_queries.period_start(d, freq)))
    known = origin.map(lambda p: position.get(p, 0))
    forecasts = pd.DataFrame(
        {
            "item_id": key,
            "origin": origin,
            "period": chosen["period"],
            "step": chosen["period"].map(position) - known + 1,
            "mean": chosen["mean"].astype(float),
            **{
                f"q{q:g}": chosen[c].astype(float)
                for q, c in zip(FORECAST_QUANTILES, QCOLS, strict=True)
            },
        }
    )
    pairs = pd.DataFrame(
        {"item": chosen["item_id"], "place": chosen["warehouse_id"], "key": key}
        | {"origin": origin, "known": known}
    ).drop_duplicates(["key", "origin"])
    known_then = pd.concat(
        series[(r.item, r.place)]
        .iloc[max(0, r.known - window) : r.known]
        .assign(item_id=r.key, origin=r.origin)
        for r in pairs.itertuples()
    )
    actuals = pd.concat(
        series[(r.item, r.place)].assign(item_id=r.key)
        for r in pairs.drop_duplicates("key").itertuples()
    )
    naive = metrics.seasonal_naive(
        known_then,
        forecasts[["item_id", "origin", "period", "step"]],
        SEASON_LENGTH[freq],
        FORECAST_QUANTILES,
        short_history_lag=1,
    )
    ours = _measured(actuals, forecasts, known_then, freq)
    theirs = _measured(actuals, naive, known_then, freq)
    last = chosen.assign(_key=key).drop_duplicates("_key", keep="last").set_index("_key")
    return [
        {
            "item_id": int(last.at[k, "item_id"]),
            "sku": last.at[k, "sku"],
            "warehouse_id": int(last.at[k, "warehouse_id"]),
            "warehouse_code": last.at[k, "warehouse_code"],
            "demand_class": last.at[k, "demand_class"] or "new",
            "model": last.at[k, "model"] or "",
            "series": 1,
            "periods": int(ours.at[k, "periods"]),
            "forecast": _figures(ours.loc[k]),
            "seasonal_naive": _figures(theirs.loc[k]),
        }
        for k in sorted(last.index)
    ]


def _measured(actuals, forecasts, known_then, freq) -> pd.DataFrame:
    """``metrics.accuracy`` per series, each period scaled at its origin; bias in units."""
    bounds = {"lo_80": "q0.1", "hi_80": "q0.9", "lo_95": "q0.025", "hi_95": "q0.975"}
    frame = forecasts.assign(**{b: forecasts[q] for b, q in bounds.items()})
    per = metrics.accuracy(
        actuals, frame, known_then, SEASON_LENGTH[freq], short_history_lag=1
    ).set_index("item_id")
    return per.assign(bias=per["mean_error"])


def _figures(row: pd.Series) -> dict:
    return {m: _finite(row[m]) for m in MEASURES}


def _finite(value) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def _combine(rows: list[dict]) -> dict:
    """Series averaged (coverage: the share of all periods)."""
    if not rows:
        empty = dict.fromkeys(MEASURES)
        return {"series": 0, "periods": 0, "forecast": empty, "seasonal_naive": dict(empty)}
    out = {"series": len(rows), "periods": sum(r["periods"] for r in rows)}
    for side in ("forecast", "seasonal_naive"):
        per = pd.DataFrame([{**r[side], "periods": r["periods"]} for r in rows], dtype=float)
        out[side] = _figures(metrics.summarize(per, pooled_coverage=True).iloc[0])
    return out


def report(date_from: date, date_to: date, warehouse_id: int | None = None) -> dict:
    rows, meta = item_accuracy(date_from, date_to, warehouse_id)
    classes = sorted({r["demand_class"] for r in rows})
    return {
        "date_from": date_from,
        "date_to": date_to,
        **meta,
        "overall": _combine(rows),
        "by_class": [
            {"demand_class": c, **_combine([r for r in rows if r["demand_class"] == c])}
            for c in classes
        ],
    }


def items(
    date_from: date, date_to: date, warehouse_id: int | None = None, demand_class=None
) -> list[dict]:
    rows, _ = item_accuracy(date_from, date_to, warehouse_id)
    return [r for r in rows if demand_class is None or r["demand_class"] == demand_class]
