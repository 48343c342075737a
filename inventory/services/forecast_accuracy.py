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
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from inventory import clock
from inventory.db import accuracy_queries as aq
from inventory.db import demand_queries
from inventory.db import review_queries as rq
from inventory.db.replenishment_models import FORECAST_QUANTILES

SEASON_LENGTH = {"D": 7, "W": 52, "M": 12}
MEASURES = ("mase", "rmsse", "bias", "scaled_pinball", "cover_80", "cover_95")
QCOLS = aq.QUANTILE_COLUMNS
_Q = np.array(FORECAST_QUANTILES)
_LO80, _HI80 = QCOLS.index("q100"), QCOLS.index("q900")
_LO95, _HI95 = QCOLS.index("q025"), QCOLS.index("q975")


def _period_start(day: date, freq: str) -> date:
    if freq == "D":
        return day
    if freq == "W":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _chosen_forecasts(runs: list[dict], date_from, date_to, warehouse_id, freq) -> pd.DataFrame:
    """The forecast that counts for each item, warehouse and ended period (see the module)."""
    current = _period_start(clock.today(), freq)
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


def _series_errors(actual, forecast, quantiles, scale_abs, scale_sq) -> dict:
    error = forecast - actual
    diff = actual[:, None] - quantiles
    pinball = np.maximum(_Q * diff, (_Q - 1) * diff).mean(axis=1)
    inside = lambda lo, hi: (quantiles[:, lo] <= actual) & (actual <= quantiles[:, hi])  # noqa: E731
    return {
        "abs": np.abs(error) / scale_abs,
        "sq": error**2 / scale_sq,
        "err": error,
        "pinball": pinball / scale_abs,
        "in80": inside(_LO80, _HI80),
        "in95": inside(_LO95, _HI95),
    }


def _at_origin(y: np.ndarray, known: int, window: int, m: int):
    """Scale, squared scale and seasonal-difference spread from ``y[:known]`` (the last
    ``window`` periods of it); the lag used."""
    past = y[max(0, known - window) : known]
    lag = m if len(past) >= 2 * m else 1
    diffs = past[lag:] - past[:-lag] if len(past) > lag else np.array([])
    if len(diffs) == 0:
        return np.nan, np.nan, np.zeros(len(_Q)), lag
    scale_abs, scale_sq = np.abs(diffs).mean(), (diffs**2).mean()
    if scale_abs == 0:
        return np.nan, np.nan, np.zeros(len(_Q)), lag
    return scale_abs, scale_sq, np.quantile(diffs, _Q), lag


def _measure_series(rows: pd.DataFrame, y: np.ndarray, position: dict, freq, window) -> list:
    """Per row of one series: our errors and seasonal naive's, each scaled at its origin."""
    m = SEASON_LENGTH[freq]
    out = []
    for run_date, group in rows.groupby("run_date"):
        known = position.get(pd.Timestamp(_period_start(run_date, freq)), 0)
        scale_abs, scale_sq, spread, lag = _at_origin(y, known, window, m)
        at = np.array([position[pd.Timestamp(p)] for p in group["period"]])
        actual = y[at]
        steps = np.ceil((at - known + 1) / lag).astype(int)
        source = at - steps * lag
        naive = np.where(source >= 0, y[np.clip(source, 0, None)], np.nan)
        naive_q = np.maximum(naive[:, None] + spread, 0.0)
        ours = _series_errors(
            actual, group["mean"].to_numpy(), group[list(QCOLS)].to_numpy(), scale_abs, scale_sq
        )
        theirs = _series_errors(actual, naive, naive_q, scale_abs, scale_sq)
        out.append((ours, theirs, len(group)))
    return out


def _summary(parts: list[dict]) -> dict:
    joined = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    with np.errstate(invalid="ignore"):
        return {
            "mase": _finite(
                np.nanmean(joined["abs"]) if np.isfinite(joined["abs"]).any() else None
            ),
            "rmsse": _finite(
                np.sqrt(np.nanmean(joined["sq"])) if np.isfinite(joined["sq"]).any() else None
            ),
            "bias": _finite(
                np.nanmean(joined["err"]) if np.isfinite(joined["err"]).any() else None
            ),
            "scaled_pinball": _finite(
                np.nanmean(joined["pinball"]) if np.isfinite(joined["pinball"]).any() else None
            ),
            "cover_80": float(joined["in80"].mean()),
            "cover_95": float(joined["in95"].mean()),
        }


def _finite(value) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


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
    grid = sorted(history["period"].unique()) if not history.empty else []
    position = {pd.Timestamp(p): i for i, p in enumerate(grid)}
    series = {k: g["qty"].to_numpy(float) for k, g in history.groupby(["item_id", "warehouse_id"])}
    rows = []
    for (item, place), group in chosen.groupby(["item_id", "warehouse_id"]):
        y = series.get((item, place))
        group = group[[pd.Timestamp(p) in position for p in group["period"]]]
        if y is None or group.empty:
            continue
        measured = _measure_series(group, y, position, freq, window)
        last = group.iloc[-1]
        rows.append(
            {
                "item_id": int(item),
                "sku": last["sku"],
                "warehouse_id": int(place),
                "warehouse_code": last["warehouse_code"],
                "demand_class": last["demand_class"] or "new",
                "model": last["model"] or "",
                "series": 1,
                "periods": sum(n for _, _, n in measured),
                "forecast": _summary([ours for ours, _, _ in measured]),
                "seasonal_naive": _summary([theirs for _, theirs, _ in measured]),
                "_parts": measured,
            }
        )
    return rows


def _combine(rows: list[dict]) -> dict:
    """Series averaged (coverage: the share of all periods)."""
    if not rows:
        empty = dict.fromkeys(MEASURES)
        return {"series": 0, "periods": 0, "forecast": empty, "seasonal_naive": dict(empty)}
    out = {"series": len(rows), "periods": sum(r["periods"] for r in rows)}
    for side, index in (("forecast", 0), ("seasonal_naive", 1)):
        values = {}
        for measure in ("mase", "rmsse", "bias", "scaled_pinball"):
            found = [r[side][measure] for r in rows if r[side][measure] is not None]
            values[measure] = float(np.mean(found)) if found else None
        parts = [part[index] for r in rows for part in r["_parts"]]
        for measure, key in (("cover_80", "in80"), ("cover_95", "in95")):
            values[measure] = float(np.concatenate([p[key] for p in parts]).mean())
        out[side] = values
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
    return [
        {k: v for k, v in r.items() if k != "_parts"}
        for r in rows
        if demand_class is None or r["demand_class"] == demand_class
    ]
