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

LOW, HIGH = 0.25, 4.0  # range of factors searched
ITERATIONS = 8  # bisection steps on log(factor): about 1% precision
MIN_ROWS = 120  # a class with fewer backtest rows keeps factor 1
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
        {"unique_id": cv["unique_id"].to_numpy(), "cutoff": cv["cutoff"].to_numpy(),
         "y": cv["y"].to_numpy(dtype=float), "yhat": yhat}  # fmt: skip
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


def _factor(y, mean, var, count, level) -> float:
    """The factor on `var` whose backtest coverage at `level` is nearest nominal: bisection on
    log(factor), coverage growing with the factor."""
    lo, hi = np.log(LOW), np.log(HIGH)
    for _ in range(ITERATIONS):
        mid = (lo + hi) / 2
        v = np.where(count, np.fmax(np.exp(mid) * var, mean), np.exp(mid) * var)
        if _cover(y, mean, v, count, level) < level / 100:
            lo = mid
        else:
            hi = mid
    return float(np.exp((lo + hi) / 2))


def factors(bt, cls, level, var, count, pooled, levels) -> pd.DataFrame:
    """Factor per demand class (rows) and level (columns) from the backtest `bt`
    (chosen_backtest); `level`, `var`, `count`, `pooled` per series as core.forecast draws it."""
    ids = bt["unique_id"]
    b = bt.assign(klass=cls.reindex(ids).to_numpy())
    b = b[np.isfinite(b["y"]) & np.isfinite(b["yhat"])].reset_index(drop=True)
    ids = b["unique_id"]
    lev = level.reindex(ids).to_numpy(dtype=float)
    v = var.reindex(ids).to_numpy(dtype=float)
    cnt = count.reindex(ids).to_numpy(dtype=bool)
    v = v * _leave_origin_out(b, pooled.reindex(ids).to_numpy(dtype=bool))
    pvar = path_variance(b["yhat"].to_numpy(), lev, v, cnt)
    ok = np.isfinite(pvar)
    out = {}
    for klass, rows in b[ok].groupby("klass", sort=True).groups.items():
        idx = np.asarray(rows)
        if len(idx) < MIN_ROWS:
            continue
        idx = idx[np.linspace(0, len(idx) - 1, min(len(idx), MAX_ROWS)).astype(int)]
        args = (b["y"].to_numpy()[idx], b["yhat"].to_numpy()[idx], pvar[idx], cnt[idx])
        out[klass] = {float(lv): _factor(*args, float(lv)) for lv in levels}
    return pd.DataFrame.from_dict(out, orient="index", columns=[float(lv) for lv in levels])


def factor_at(table: pd.DataFrame, classes: np.ndarray, level: float) -> np.ndarray:
    """Per row: its class's factor at `level`, interpolated linearly between the calibrated levels
    (the nearest beyond them); 1 for classes without a calibration."""
    out = np.ones(len(classes))
    if table.empty:
        return out
    cols = np.asarray(table.columns, float)
    order = np.argsort(cols)
    per = {k: np.interp(level, cols[order], row[order]) for k, row in zip(
        table.index, table.to_numpy(float), strict=True)}  # fmt: skip
    mapped = pd.Series(classes).map(per).to_numpy(dtype=float)
    return np.where(np.isfinite(mapped), mapped, out)


def draw(mean, pvar, count, classes, table, levels, probs):
    """Intervals {level: (lo, hi)} and quantiles (rows × sorted probs) with each row's variance
    times its class's factor: at the interval's level, and for quantile p at the level of the
    central interval p bounds (100·|2p − 1|). Quantiles non-decreasing along probs."""

    def scaled(lv: float) -> np.ndarray:
        v = pvar * factor_at(table, classes, lv)
        return np.where(count, np.fmax(v, mean), v)

    bounds = {lv: interval(mean, scaled(float(lv)), float(lv), count) for lv in levels}
    cols = [quantiles(mean, scaled(100 * abs(2 * p - 1)), [p], count)[:, 0] for p in sorted(probs)]
    qs = np.maximum.accumulate(np.column_stack(cols), axis=1) if cols else np.zeros((len(mean), 0))
    return bounds, qs


def calibrate_table(backtests, cls, level, var, count, pooled, levels) -> pd.DataFrame:
    """factors() over the groups' backtests (None where a group had none)."""
    frames = [b for b in backtests if b is not None and len(b)]
    if not frames:
        return pd.DataFrame(columns=[float(lv) for lv in levels], dtype=float)
    return factors(pd.concat(frames, ignore_index=True), cls, level, var, count, pooled, levels)
