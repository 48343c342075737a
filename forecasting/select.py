"""Choosing per series by its own rolling-origin backtest, with the class as a prior.

A few backtest origins on one short series rank models noisily, so each series' score is its own
scaled backtest error shrunk towards the mean of that error over its demand class. The candidates
are the single models and the equal-weight combinations of the class's best 2..k models (ranked by
the class mean); a combination wins a series only when it backtests better there."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SHRINK = 0.5  # weight of the class mean in a series' score
TOP_K = 3  # largest combination tried


@dataclass(frozen=True)
class Choice:
    """Per series (index unique_id): the chosen label, its members, and its backtest figures."""

    table: pd.DataFrame  # label, members (tuple), bt_mse, bt_mae, bt_mean
    order: list[str]  # single models, best first over the whole class (for series with no backtest)


def _errors(cv: pd.DataFrame, cols: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    err = cv[cols].sub(cv["y"], axis=0)
    g = cv["unique_id"]
    mse = (err**2).groupby(g, sort=True).mean()
    mae = err.abs().groupby(g, sort=True).mean()
    mean = cv[cols].clip(lower=0).groupby(g, sort=True).mean()
    return mse, mae, mean


def add_combinations(frame: pd.DataFrame, order: list[str], top_k: int = TOP_K) -> list[str]:
    """Adds columns 'A+B', 'A+B+C' ... (means of the best models in `order`) in place."""
    added = []
    for k in range(2, min(top_k, len(order)) + 1):
        label = "+".join(order[:k])
        frame[label] = frame[order[:k]].mean(axis=1)
        added.append(label)
    return added


def choose(cv: pd.DataFrame, models: list[str], scale: pd.Series, shrink: float = SHRINK) -> Choice:
    """cv: backtest of one demand class; scale: per-series in-sample naive MSE (index unique_id)."""
    cv = cv.copy()
    cv[models] = cv[models].clip(lower=0)  # we never forecast below zero, so score what we issue
    mse, _, _ = _errors(cv, models)
    s = scale.reindex(mse.index).to_numpy()[:, None]
    rel = np.sqrt(mse / s)
    order = list(rel.mean().sort_values(kind="stable").index)
    cols = models + add_combinations(cv, order)
    mse, mae, mean = _errors(cv, cols)
    rel = np.sqrt(mse / s)
    score = (1 - shrink) * rel + shrink * rel.mean()
    best = score.to_numpy().argmin(axis=1)
    idx = np.arange(len(best))
    labels = np.asarray(cols, dtype=object)[best]
    table = pd.DataFrame(
        {
            "label": labels,
            "bt_mse": mse.to_numpy()[idx, best],
            "bt_mae": mae.to_numpy()[idx, best],
            "bt_mean": mean.to_numpy()[idx, best],
        },
        index=mse.index,
    )
    return Choice(table=table, order=order)


def pick(fc: pd.DataFrame, labels: pd.Series, h: int) -> np.ndarray:
    """The mean path of each series' chosen label from the final forecasts `fc` (h rows a series,
    ordered as labels.index): combinations are the mean of their members."""
    wanted = sorted(set(labels))
    fc = fc.copy()
    for label in wanted:
        if label not in fc.columns:
            fc[label] = fc[label.split("+")].clip(lower=0).mean(axis=1)
    matrix = fc[wanted].clip(lower=0).to_numpy()
    col = pd.Index(wanted).get_indexer(labels.to_numpy())
    return matrix[np.arange(len(matrix)), np.repeat(col, h)]
