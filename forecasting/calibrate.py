"""Calibrating the predictive distribution's dispersion on the in-sample backtest.

The variance a series gets from its backtest errors (see core.forecast) sets the spread of its
negative binomial or gamma, but not whether the intervals it draws cover what they claim: the
distribution's shape, the pooling of intermittent variances and the growth of errors with the step
ahead all move coverage away from nominal. So each demand class gets one factor on its variance,
and each step ahead a factor on top (errors of smooth series grow with the step), chosen so that
the intervals, redrawn around the chosen model's rolling-origin backtest forecasts, cover the
backtest actuals at the requested levels. Only in-sample backtests are used: nothing is fitted to
what is being forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .quantiles import interval, path_variance

# Factors searched (geometric); a class or step with fewer backtest rows than MIN_ROWS keeps 1.
GRID = np.geomspace(0.25, 4.0, 33)
MIN_ROWS = 120


def chosen_backtest(cv: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """[unique_id, step, y, yhat]: the rolling-origin forecast of each series' chosen label
    (a combination is the mean of its members, each clipped at zero, as the final forecast)."""
    cv = cv[cv["unique_id"].isin(labels.index)]
    lab = labels.reindex(cv["unique_id"]).to_numpy()
    yhat = np.full(len(cv), np.nan)
    for label in pd.unique(lab):
        rows = lab == label
        members = str(label).split("+")
        yhat[rows] = cv.loc[rows, members].clip(lower=0).mean(axis=1).to_numpy()
    step = cv.groupby(["unique_id", "cutoff"], sort=False).cumcount().to_numpy()
    return pd.DataFrame(
        {"unique_id": cv["unique_id"].to_numpy(), "step": step, "y": cv["y"].to_numpy(),
         "yhat": yhat}  # fmt: skip
    )


def _coverage(y, mean, var, count, levels) -> np.ndarray:
    """Share of y inside each level's interval (levels,)."""
    out = []
    for lv in levels:
        lo, hi = interval(mean, var, float(lv), count)
        out.append(np.mean((y >= lo) & (y <= hi)))
    return np.asarray(out)


def _best_factor(y, mean, var, count, levels) -> float:
    """The grid factor on `var` whose worst coverage miss over `levels` is smallest (nearest 1 on
    ties). Vectorised over the grid: all factors are drawn in one call per level."""
    k = len(GRID)
    yy, mm = np.tile(y, k), np.tile(mean, k)
    cc = np.tile(count, k)
    vv = np.fmax(np.repeat(GRID, len(y)) * np.tile(var, k), np.where(cc, mm, 0.0))
    miss = np.zeros(k)
    for lv in levels:
        lo, hi = interval(mm, vv, float(lv), cc)
        cover = ((yy >= lo) & (yy <= hi)).reshape(k, len(y)).mean(axis=1)
        miss = np.fmax(miss, abs(cover - lv / 100))
    best = np.flatnonzero(miss <= miss.min() + 1e-9)
    return float(GRID[best[np.argmin(abs(np.log(GRID[best])))]])


def factors(
    bt: pd.DataFrame,
    cls: pd.Series,
    level: pd.Series,
    var: pd.Series,
    count: pd.Series,
    levels,
) -> tuple[pd.Series, pd.DataFrame]:
    """(factor per class, factor per class and step). `bt` from chosen_backtest; `level`, `var`
    and `count` per series as core.forecast draws the distribution. The class factor is searched
    first over all steps, then each step's factor on top of it."""
    ids = bt["unique_id"]
    b = bt.assign(
        klass=cls.reindex(ids).to_numpy(),
        level=level.reindex(ids).to_numpy(dtype=float),
        var=var.reindex(ids).to_numpy(dtype=float),
        count=count.reindex(ids).to_numpy(dtype=bool),
    )
    b = b[np.isfinite(b["y"]) & np.isfinite(b["yhat"]) & np.isfinite(b["var"])]
    b = b.assign(pvar=path_variance(b["yhat"].to_numpy(), b["level"].to_numpy(),
                                     b["var"].to_numpy(), b["count"].to_numpy()))  # fmt: skip
    per_class, per_step = {}, {}
    for klass, part in b.groupby("klass", sort=True):
        f = 1.0
        if len(part) >= MIN_ROWS:
            f = _best_factor(*_arrays(part, 1.0), levels)
        per_class[klass] = f
        for step, rows in part.groupby("step", sort=True):
            g = 1.0
            if len(rows) >= MIN_ROWS:
                g = _best_factor(*_arrays(rows, f), levels)
            per_step[(klass, step)] = g
    steps = pd.Series(per_step, dtype=float)
    steps.index = steps.index.set_names(["demand_class", "step"])
    return pd.Series(per_class, dtype=float), steps


def _arrays(part: pd.DataFrame, f: float):
    return (part["y"].to_numpy(), part["yhat"].to_numpy(), f * part["pvar"].to_numpy(),
            part["count"].to_numpy())  # fmt: skip


def calibrated(pvar, mean, count, backtests, cls, level, var, series_count, levels, horizon):
    """The per-period variance `pvar` (series × horizon, flattened in cls.index order) times its
    class's and step's factor; steps past the backtest's horizon take its last step's factor.
    Never below the mean for counts (the negative binomial's floor)."""
    frames = [b for b in backtests if b is not None and len(b)]
    if not frames:
        return pvar
    per_class, per_step = factors(pd.concat(frames), cls, level, var, series_count, levels)
    klass = np.repeat(cls.to_numpy(), horizon)
    step = np.tile(np.arange(horizon), len(cls))
    f = pd.Series(klass).map(per_class).fillna(1.0).to_numpy()
    if len(per_step):
        last = per_step.groupby(level=0).apply(lambda s: s.iloc[-1])
        key = pd.MultiIndex.from_arrays([klass, step])
        g = per_step.reindex(key).to_numpy()
        g = np.where(np.isnan(g), pd.Series(klass).map(last).to_numpy(dtype=float), g)
        f = f * np.nan_to_num(g, nan=1.0)
    out = pvar * f
    return np.where(count, np.fmax(out, mean), out)
