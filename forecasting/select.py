"""Choosing per series by its own rolling-origin backtest, with the class as a prior.

A few backtest origins on one short series rank models noisily, so each series' score is its own
scaled backtest error shrunk towards the mean of that error over its demand class (¾ the class:
at ½ a series' own three origins picked models that did worse held out; docs/forecasting.md).
The candidates are the single models and equal-weight combinations of up to TOP_K models, grown
greedily from the class's best model by what backtests best over the class; a combination wins a
series only when it backtests better there."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SHRINK = 0.75  # weight of the class mean in a series' score
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


def _class_rel(
    y: np.ndarray, forecast: np.ndarray, codes: np.ndarray, rows: np.ndarray, s: np.ndarray
) -> float:
    """The class mean of the series' scaled backtest RMSE of `forecast` (codes: each row's series
    in unique_id order, the order of `s`; rows: each series' row count)."""
    mse = np.bincount(codes, weights=(forecast - y) ** 2) / rows
    rel = np.sqrt(mse / s[:, 0])
    rel = rel[np.isfinite(rel)]  # over the series the combination can forecast
    return float(rel.mean()) if len(rel) else np.inf


def add_combinations(
    frame: pd.DataFrame, order: list[str], s: np.ndarray, top_k: int = TOP_K
) -> list[str]:
    """Adds columns 'A+B', 'A+B+C' ... in place: equal-weight means grown greedily from the best
    single model, each step adding the model whose mean with those already in backtests best over
    the class (`s`: per series in unique_id order, the scale of rel). Not simply the best k:
    two near-identical models (IMAPA and ADIDA on smooth series) rank next to each other and
    their mean adds nothing, while a different model with a worse score of its own often
    corrects the leader's errors."""
    added = []
    codes, _ = pd.factorize(frame["unique_id"], sort=True)
    rows = np.bincount(codes)
    y = frame["y"].to_numpy(dtype=float)
    members = [order[0]]
    total = frame[order[0]].to_numpy(dtype=float).copy()
    for _ in range(1, min(top_k, len(order))):
        k = len(members) + 1
        scores = {
            m: _class_rel(y, (total + frame[m].to_numpy(dtype=float)) / k, codes, rows, s)
            for m in order
            if m not in members
        }
        best = min(scores, key=scores.get)
        members.append(best)
        total += frame[best].to_numpy(dtype=float)
        label = "+".join(members)
        frame[label] = total / k
        added.append(label)
    return added


def choose(cv: pd.DataFrame, models: list[str], scale: pd.Series, shrink: float = SHRINK) -> Choice:
    """cv: backtest of one demand class; scale: per-series in-sample naive MSE (index unique_id)."""
    cv = cv.copy()
    cv[models] = cv[models].clip(lower=0)  # we never forecast below zero, so score what we issue
    mse, _, _ = _errors(cv, models)
    s = scale.reindex(mse.index).to_numpy()[:, None]
    rel = np.sqrt(mse / s)
    # Models that cannot forecast every series of the class (seasonal naive on series younger
    # than a season) rank after those that can, so no combination is built on a gap.
    ranks = pd.DataFrame({"gap": rel.isna().any(), "mean": rel.mean()})
    order = list(ranks.sort_values(["gap", "mean"], kind="stable").index)
    cols = models + add_combinations(cv, order, s)
    mse, mae, mean = _errors(cv, cols)
    rel = np.sqrt(mse / s)
    score = (1 - shrink) * rel + shrink * rel.mean()
    # A model that cannot forecast a series (seasonal naive before a full season) is no
    # candidate for it.
    best = np.nan_to_num(score.to_numpy(dtype=float), nan=np.inf).argmin(axis=1)
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
