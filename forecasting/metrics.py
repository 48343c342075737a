"""Forecast accuracy, per item and overall: frames in, frames out.

Scaled errors divide by the in-sample naive error of each item's history (one step, or one season
when `season_length` > 1), so items of any size average fairly (Hyndman & Koehler 2006; M5):

- mase: mean |actual − mean| / mean |naive error|
- rmsse: sqrt(mean (actual − mean)² / mean naive error²)
- bias: mean (mean − actual) / mean |naive error| (positive: forecasts run high)
- mean_error: mean (mean − actual), in units
- scaled_pinball: pinball loss averaged over the q<p> columns and periods / mean |naive error|
- cover_<l>: share of periods whose actual lies in [lo_<l>, hi_<l>]

Items whose history has no naive error (constant, or a single period) get NaN for the scaled
figures and drop out of the overall means.

Rolling origins: when `forecasts` and `history` carry an `origin` column, each forecast period is
scaled by the naive error of the history rows with its item and origin (the history as known when
that forecast was made), and an item's figures pool all its periods across origins. With
`short_history_lag`, a history shorter than two seasons is scaled with that lag instead."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

KEYS = ["item_id", "period"]


def _scale_keys(frame: pd.DataFrame) -> list[str]:
    return ["item_id", "origin"] if "origin" in frame.columns else ["item_id"]


def _differences(
    history: pd.DataFrame, keys: list[str], season_length: int, short_history_lag: int | None
) -> tuple[pd.DataFrame, pd.Series]:
    """History sorted by key and period, and each row's naive difference (at the lag its
    key's history allows); the lag per row."""
    h = history.sort_values(keys + ["period"], kind="stable").reset_index(drop=True)
    qty = h["qty"].astype(float)
    by = h.groupby(keys, sort=True)
    lag = pd.Series(season_length, index=h.index)
    if short_history_lag is not None:
        lag = lag.where(by["qty"].transform("size") >= 2 * season_length, short_history_lag)
    diff = qty - qty.groupby([h[k] for k in keys]).shift(season_length)
    if short_history_lag is not None and (lag != season_length).any():
        short = qty - qty.groupby([h[k] for k in keys]).shift(short_history_lag)
        diff = diff.where(lag == season_length, short)
    return h.assign(_diff=diff), lag


def _scale(
    history: pd.DataFrame, keys: list[str], season_length: int, short_history_lag: int | None
) -> pd.DataFrame:
    h, _ = _differences(history, keys, season_length, short_history_lag)
    by = h.assign(_abs=h["_diff"].abs(), _sq=h["_diff"] ** 2).groupby(keys, sort=True)
    scale = pd.DataFrame({"_scale_abs": by["_abs"].mean(), "_scale_sq": by["_sq"].mean()})
    return scale.replace(0.0, np.nan).reset_index()


def quantile_columns(frame: pd.DataFrame) -> dict[str, float]:
    return {c: float(c[1:]) for c in frame.columns if re.fullmatch(r"q[0-9.]+(e-?\d+)?", c)}


def accuracy(
    actuals: pd.DataFrame,
    forecasts: pd.DataFrame,
    history: pd.DataFrame,
    season_length: int = 1,
    *,
    short_history_lag: int | None = None,
) -> pd.DataFrame:
    """Per item: item_id, periods, mase, rmsse, bias, scaled_pinball, mean_error, cover_<l> for
    each level.

    actuals [item_id, period, qty]; forecasts [item_id, period, mean, q<p>..., lo_<l>/hi_<l>...];
    history [item_id, period, qty] with every period present (as the forecast saw it); both
    forecasts and history may carry `origin` (see the module). Only periods present in both
    actuals and forecasts are scored."""
    keys = _scale_keys(forecasts)
    m = forecasts.merge(actuals[KEYS + ["qty"]], on=KEYS, how="inner")
    m = m.merge(_scale(history, keys, season_length, short_history_lag), on=keys, how="left")
    y = m["qty"].astype(float)
    err = m["mean"].astype(float) - y
    s_abs, s_sq = m["_scale_abs"], m["_scale_sq"]
    g = m["item_id"]
    cols = {
        "periods": y.groupby(g, sort=True).size(),
        "mase": (err.abs() / s_abs).groupby(g, sort=True).mean(),
        "rmsse": np.sqrt((err**2 / s_sq).groupby(g, sort=True).mean()),
        "bias": (err / s_abs).groupby(g, sort=True).mean(),
    }
    qcols = quantile_columns(m)
    if qcols:
        losses = [
            np.fmax(p * (y - m[c]), (p - 1) * (y - m[c])).to_numpy() for c, p in qcols.items()
        ]
        cols["scaled_pinball"] = (np.mean(losses, axis=0) / s_abs).groupby(g, sort=True).mean()
    cols["mean_error"] = err.groupby(g, sort=True).mean()
    levels = [c[3:] for c in m.columns if c.startswith("lo_") and f"hi_{c[3:]}" in m.columns]
    for lv in levels:
        inside = (y >= m[f"lo_{lv}"]) & (y <= m[f"hi_{lv}"])
        cols[f"cover_{lv}"] = inside.astype(float).groupby(g, sort=True).mean()
    return pd.DataFrame(cols).rename_axis("item_id").reset_index()


def seasonal_naive(
    history: pd.DataFrame,
    targets: pd.DataFrame,
    season_length: int = 1,
    quantiles: tuple[float, ...] = (),
    *,
    short_history_lag: int | None = None,
) -> pd.DataFrame:
    """Seasonal naive forecasts from each item's history (per item and origin when both frames
    carry `origin`): step h repeats the last known value of the same position in the season,
    its q<p> columns add the p-quantile of the history's seasonal differences (0 when it has
    none), never below zero.

    targets [item_id, (origin,) period, step] with step 1 the period right after the history;
    returns targets with `mean` and one `q<p>` column per quantile. NaN mean where the history
    does not reach back far enough."""
    keys = _scale_keys(targets)
    h, lag = _differences(history, keys, season_length, short_history_lag)
    h = h.assign(_lag=lag, _pos=h.groupby(keys, sort=False).cumcount())
    ends = h.groupby(keys, sort=True).agg(_n=("_pos", "size"), _lag=("_lag", "first"))
    out = targets.merge(ends.reset_index(), on=keys, how="left")
    step = out["step"].astype(int)
    source = out["_n"] - 1 + step - np.ceil(step / out["_lag"]) * out["_lag"]
    values = h.set_index(keys + ["_pos"])["qty"].astype(float)
    at = pd.MultiIndex.from_frame(out[keys].assign(_pos=source.fillna(-1).astype(int)))
    mean = values.reindex(at).to_numpy()
    out["mean"] = np.where(source >= 0, mean, np.nan)
    if quantiles:
        diffs = h.dropna(subset=["_diff"])
        spread = diffs.groupby(keys, sort=True)["_diff"].quantile(list(quantiles)).unstack()
        where = pd.MultiIndex.from_frame(out[keys]) if len(keys) > 1 else pd.Index(out[keys[0]])
        spread = spread.reindex(where) if not diffs.empty else pd.DataFrame(index=where)
        for q in quantiles:
            add = spread[q].fillna(0.0).to_numpy() if q in spread.columns else 0.0
            out[f"q{q:g}"] = np.maximum(out["mean"].to_numpy() + add, 0.0)
    return out.drop(columns=["_n", "_lag"])


def summarize(
    per_item: pd.DataFrame, by: str | None = None, *, pooled_coverage: bool = False
) -> pd.DataFrame:
    """Means of the per-item figures (items with NaN skipped), overall or by a column. With
    `pooled_coverage`, cover_<l> is the share of all periods (items weighted by their periods)
    rather than the mean of the items' shares."""
    figures = [
        c for c in per_item.select_dtypes("number").columns if c not in ("item_id", "periods", by)
    ]
    groups = per_item[by] if by is not None else pd.Series(0, index=per_item.index)
    out = per_item.groupby(groups)[figures].mean().assign(items=groups.groupby(groups).size())
    if pooled_coverage:
        periods = per_item["periods"].groupby(groups).sum()
        for c in (c for c in figures if c.startswith("cover_")):
            out[c] = (per_item[c] * per_item["periods"]).groupby(groups).sum() / periods
    return out.reset_index(drop=True) if by is None else out.rename_axis(by).reset_index()
