"""Calibrating the predictive distribution's dispersion on the in-sample backtest.

The variance a series gets from its backtest errors (see core.forecast) sets the spread of its
negative binomial or gamma, but not whether the intervals drawn from it cover what they claim: the
distribution's shape, the pooling of intermittent variances and the noise of a variance estimated
from a few dozen errors all move coverage away from nominal. So each demand class gets, for each
requested level, a factor on its variance such that the intervals drawn around the chosen model's
rolling-origin backtest forecasts cover the backtest actuals at that level.

The backtest is honest about the variance estimate: the rows of one origin are drawn with the
variance estimated from the other origins (leave one origin out), so a series whose few errors
happened to be small is not credited with the narrow intervals those errors suggest. Only in-sample
backtests are used: nothing is fitted to what is being forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .quantiles import interval, path_variance, quantiles

LOWEST, HIGHEST = 1.0, 99.8  # range of levels searched
ITERATIONS = 10  # bisection steps: a tenth of a point
ORIGINS = int(__import__("os").environ.get("ORIG", "3"))
MIN_ROWS = 120  # a class with fewer backtest rows keeps the nominal levels
MAX_ROWS = 4000  # rows used per class (evenly spaced), to bound the time


def chosen_backtest(cv: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """[unique_id, cutoff, y, yhat]: the rolling-origin forecast of each series' chosen label
    (a combination is the mean of its members, each clipped at zero, as the final forecast)."""
    cv = cv[cv["unique_id"].isin(labels.index)]
    lab = labels.reindex(cv["unique_id"]).to_numpy()
    yhat = np.full(len(cv), np.nan)
    for label in pd.unique(lab):
        rows = lab == label
        yhat[rows] = cv.loc[rows, str(label).split("+")].clip(lower=0).mean(axis=1).to_numpy()
    return pd.DataFrame(
        {
            "unique_id": cv["unique_id"].to_numpy(),
            "cutoff": cv["cutoff"].to_numpy(),
            "y": cv["y"].to_numpy(dtype=float),
            "yhat": yhat,
        }  # fmt: skip
    )


def _leave_origin_out(b: pd.DataFrame, pooled: np.ndarray) -> np.ndarray:
    """Per row: the series' variance re-estimated without the row's origin, as a ratio to the
    all-origin estimate. Own-variance series: backtest MSE; pooled: backtest level (their variance
    is the class ratio times it)."""
    stat = np.where(pooled, b["yhat"].to_numpy(), (b["y"] - b["yhat"]).to_numpy() ** 2)
    key = [b["unique_id"], b["cutoff"]]
    s = pd.Series(stat, index=b.index)
    tot = s.groupby(b["unique_id"]).transform("sum").to_numpy()
    n = s.groupby(b["unique_id"]).transform("size").to_numpy()
    o_tot = s.groupby(key).transform("sum").to_numpy()
    o_n = s.groupby(key).transform("size").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = ((tot - o_tot) / (n - o_n)) / (tot / n)
    return np.where(np.isfinite(ratio), ratio, 1.0)


def _cover(y, mean, var, count, level) -> float:
    lo, hi = interval(mean, var, level, count)
    return float(np.mean((y >= lo) & (y <= hi)))


def _level(y, mean, var, count, nominal: float) -> float:
    """The level whose intervals cover `nominal`% of the backtest actuals: bisection, an
    interval's ends moving outwards as its level grows."""
    lo, hi = LOWEST, HIGHEST
    for _ in range(ITERATIONS):
        mid = (lo + hi) / 2
        if _cover(y, mean, var, count, mid) < nominal / 100:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def levels_table(bt, cls, level, var, count, pooled, levels) -> pd.DataFrame:
    """The level to draw per demand class (rows) for each nominal level (columns), from the
    backtest `bt` (chosen_backtest); `level`, `var`, `count`, `pooled` per series as core.forecast
    draws the distribution."""
    ids = bt["unique_id"]
    b = bt.assign(klass=cls.reindex(ids).to_numpy())
    b = b[np.isfinite(b["y"]) & np.isfinite(b["yhat"])].reset_index(drop=True)
    ids = b["unique_id"]
    lev = level.reindex(ids).to_numpy(dtype=float)
    v = var.reindex(ids).to_numpy(dtype=float)
    cnt = count.reindex(ids).to_numpy(dtype=bool)
    v = v * _leave_origin_out(b, pooled.reindex(ids).to_numpy(dtype=bool))
    mean = b["yhat"].to_numpy()
    pvar = path_variance(mean, lev, v, cnt)
    pvar = np.where(cnt, np.fmax(pvar, mean), pvar)
    last = b.groupby("unique_id")["cutoff"].rank(method="dense", ascending=False).to_numpy()
    ok = np.isfinite(pvar) & (last <= ORIGINS)
    out = {}
    for klass, rows in b[ok].groupby("klass", sort=True).groups.items():
        idx = np.asarray(rows)
        if len(idx) < MIN_ROWS:
            continue
        idx = idx[np.linspace(0, len(idx) - 1, min(len(idx), MAX_ROWS)).astype(int)]
        args = (b["y"].to_numpy()[idx], mean[idx], pvar[idx], cnt[idx])
        out[klass] = {float(lv): _level(*args, float(lv)) for lv in levels}
    return pd.DataFrame.from_dict(out, orient="index", columns=[float(lv) for lv in levels])


def level_at(table: pd.DataFrame, classes: np.ndarray, nominal: float) -> np.ndarray:
    """Per row: the level to draw for `nominal`: nominal plus its class's shift, the shift
    interpolated linearly between the calibrated levels (none at level 0, the nearest calibrated
    shift beyond the highest); `nominal` for classes without a calibration."""
    out = np.full(len(classes), float(nominal))
    if table.empty:
        return out
    cols = np.asarray(table.columns, float)
    order = np.argsort(cols)
    xs = np.concatenate([[0.0], cols[order]])
    per = {
        k: np.interp(nominal, xs, np.concatenate([[0.0], row[order] - cols[order]]))
        for k, row in zip(table.index, table.to_numpy(float), strict=True)
    }
    shift = pd.Series(classes).map(per).to_numpy(dtype=float)
    return np.clip(nominal + np.nan_to_num(shift, nan=0.0), 0.0, HIGHEST)


def draw(mean, var, count, classes, table, levels, probs):
    """Intervals {level: (lo, hi)} and quantiles (rows × sorted probs) drawn at each row's
    calibrated level: quantile p (≠ ½) as the end of the central interval it bounds, at level
    100·|2p − 1|. Quantiles non-decreasing along probs."""
    bounds = {}
    for lv in levels:
        drawn = level_at(table, classes, float(lv))
        bounds[lv] = _intervals(mean, var, drawn, count)
    cols = []
    for p in sorted(probs):
        drawn = level_at(table, classes, 100 * abs(2 * p - 1)) / 100
        q = (
            np.where(p < 0.5, (1 - drawn) / 2, (1 + drawn) / 2)
            if p != 0.5
            else np.full(len(mean), p)
        )
        cols.append(_quantile_rows(mean, var, q, count))
    qs = np.maximum.accumulate(np.column_stack(cols), axis=1) if cols else np.zeros((len(mean), 0))
    return bounds, qs


def _intervals(mean, var, drawn, count):
    """interval() with a level per row (grouped by distinct level: few of them)."""
    lo, hi = np.zeros(len(mean)), np.zeros(len(mean))
    for lv in np.unique(drawn):
        rows = drawn == lv
        lo[rows], hi[rows] = interval(mean[rows], var[rows], float(lv), count[rows])
    return lo, hi


def _quantile_rows(mean, var, q, count):
    out = np.zeros(len(mean))
    for p in np.unique(q):
        rows = q == p
        out[rows] = quantiles(mean[rows], var[rows], [float(p)], count[rows])[:, 0]
    return out


def calibrate_table(backtests, cls, level, var, count, pooled, levels) -> pd.DataFrame:
    """levels_table() over the groups' backtests (None where a group had none)."""
    frames = [b for b in backtests if b is not None and len(b)]
    if not frames:
        return pd.DataFrame(columns=[float(lv) for lv in levels], dtype=float)
    return levels_table(
        pd.concat(frames, ignore_index=True), cls, level, var, count, pooled, levels
    )
