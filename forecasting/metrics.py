"""Forecast accuracy, per item and overall: frames in, frames out.

Scaled errors divide by the in-sample naive error of each item's history (one step, or one season
when `season_length` > 1), so items of any size average fairly (Hyndman & Koehler 2006; M5):

- mase: mean |actual − mean| / mean |naive error|
- rmsse: sqrt(mean (actual − mean)² / mean naive error²)
- bias: mean (mean − actual) / mean |naive error| (positive: forecasts run high)
- scaled_pinball: pinball loss averaged over the q<p> columns and periods / mean |naive error|
- cover_<l>: share of periods whose actual lies in [lo_<l>, hi_<l>]

Items whose history has no naive error (constant, or a single period) get NaN for the scaled
figures and drop out of the overall means."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

KEYS = ["item_id", "period"]


def _scale(history: pd.DataFrame, season_length: int) -> pd.DataFrame:
    h = history.sort_values(KEYS, kind="stable")
    diff = h["qty"].astype(float).groupby(h["item_id"], sort=True).diff(season_length)
    g = h["item_id"]
    return pd.DataFrame(
        {
            "mae": diff.abs().groupby(g, sort=True).mean(),
            "mse": (diff**2).groupby(g, sort=True).mean(),
        }
    ).replace(0.0, np.nan)


def quantile_columns(frame: pd.DataFrame) -> dict[str, float]:
    return {c: float(c[1:]) for c in frame.columns if re.fullmatch(r"q[0-9.]+(e-?\d+)?", c)}


def accuracy(
    actuals: pd.DataFrame,
    forecasts: pd.DataFrame,
    history: pd.DataFrame,
    season_length: int = 1,
) -> pd.DataFrame:
    """Per item: item_id, periods, mase, rmsse, bias, scaled_pinball, cover_<l> for each level.

    actuals [item_id, period, qty]; forecasts [item_id, period, mean, q<p>..., lo_<l>/hi_<l>...];
    history [item_id, period, qty] with every period present (as the forecast saw it). Only
    periods present in both actuals and forecasts are scored."""
    m = forecasts.merge(actuals[KEYS + ["qty"]], on=KEYS, how="inner")
    y = m["qty"].astype(float)
    err = m["mean"].astype(float) - y
    g = m["item_id"]
    cols = {
        "periods": y.groupby(g, sort=True).size(),
        "_mae": err.abs().groupby(g, sort=True).mean(),
        "_mse": (err**2).groupby(g, sort=True).mean(),
        "_me": err.groupby(g, sort=True).mean(),
    }
    qcols = quantile_columns(m)
    if qcols:
        losses = [
            np.fmax(p * (y - m[c]), (p - 1) * (y - m[c])).to_numpy() for c, p in qcols.items()
        ]
        cols["_pinball"] = pd.Series(np.mean(losses, axis=0)).groupby(g.to_numpy()).mean()
    levels = [c[3:] for c in m.columns if c.startswith("lo_") and f"hi_{c[3:]}" in m.columns]
    for lv in levels:
        inside = (y >= m[f"lo_{lv}"]) & (y <= m[f"hi_{lv}"])
        cols[f"cover_{lv}"] = inside.astype(float).groupby(g, sort=True).mean()
    per = pd.DataFrame(cols)
    scale = _scale(history, season_length).reindex(per.index)
    per["mase"] = per.pop("_mae") / scale["mae"]
    per["rmsse"] = np.sqrt(per.pop("_mse") / scale["mse"])
    per["bias"] = per.pop("_me") / scale["mae"]
    if "_pinball" in per:
        per["scaled_pinball"] = per.pop("_pinball") / scale["mae"]
    first = ["periods", "mase", "rmsse", "bias", "scaled_pinball"]
    order = [c for c in first if c in per] + [c for c in per if c not in first]
    return per[order].rename_axis("item_id").reset_index()


def summarize(per_item: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Means of the per-item figures (items with NaN skipped), overall or by a column."""
    figures = [
        c for c in per_item.select_dtypes("number").columns if c not in ("item_id", "periods", by)
    ]
    if by is None:
        return per_item[figures].mean().to_frame().T.assign(items=len(per_item))
    out = per_item.groupby(by)[figures].mean()
    return out.assign(items=per_item.groupby(by).size()).reset_index()
