"""Calibrating the predictive distribution so its intervals cover what they claim.

Two corrections, by how a class's variance is made (core.forecast):

- Own-variance classes (smooth, erratic): a series' variance is its chosen model's backtest MSE,
  a few dozen errors from three origins, and the choice picked the model whose errors happened to
  be small. Intervals drawn from it cover less than nominal. So the level to draw is recalibrated
  per class on the backtest itself, honestly: each origin's rows are drawn with the variance
  estimated from the other origins (leave one origin out), and the level drawn for nominal l is
  the one whose intervals then cover l of the backtest actuals. Quantiles move with it (quantile
  p is drawn at the recalibrated level of the central interval it bounds).
- Pooled classes (intermittent, lumpy): the variance is a class ratio times the series' level,
  already pooled; their intervals are counts on mostly-zero series, and an interval's probability
  jumps by whole counts: [0, 0] alone holds P(0), above l on the sparsest series. So the level
  drawn is the one at which the class's intervals hold l of their own distributions' probability
  on average: the class's coverage is nominal, the series' cannot all be. Their quantiles are left
  as the distributions give them (the pinball loss scores those; the intervals are a set).

Only in-sample backtests and the forecasts' own distributions are used: nothing is fitted to what
is being forecast. Classes with fewer than MIN_ROWS rows keep the nominal levels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .quantiles import interval, interval_mass, path_variance, quantiles

LOWEST, HIGHEST = 1.0, 99.8  # range of levels searched
ITERATIONS = 10  # bisection steps: a tenth of a point
MIN_ROWS = 120
MAX_ROWS = 4000  # rows used per class (evenly spaced), to bound the time
SPARSE = "sparse"  # the sparse count classes, calibrated as one group


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


def _leave_origin_out(b: pd.DataFrame) -> np.ndarray:
    """Per row: the series' backtest MSE without the row's origin, as a ratio to its MSE over all
    origins (1 where a series has one origin or no error)."""
    sq = pd.Series((b["y"] - b["yhat"]).to_numpy() ** 2, index=b.index)
    by_series = sq.groupby(b["unique_id"])
    by_origin = sq.groupby([b["unique_id"], b["cutoff"]])
    tot, n = by_series.transform("sum").to_numpy(), by_series.transform("size").to_numpy()
    o_tot, o_n = by_origin.transform("sum").to_numpy(), by_origin.transform("size").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = ((tot - o_tot) / (n - o_n)) / (tot / n)
    return np.where(np.isfinite(ratio), ratio, 1.0)


def _search(covered, nominal: float) -> float:
    """Bisection for the level whose `covered(level)` is `nominal`% (covered grows with it)."""
    lo, hi = LOWEST, HIGHEST
    for _ in range(ITERATIONS):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if covered(mid) < nominal / 100 else (lo, mid)
    return (lo + hi) / 2


def _sample(rows: np.ndarray) -> np.ndarray:
    return rows[np.linspace(0, len(rows) - 1, min(len(rows), MAX_ROWS)).astype(int)]


def backtest_levels(bt, cls, level, var, count, which, levels) -> pd.DataFrame:
    """Level to draw per class in `which` (rows) and nominal level (columns): the one whose
    intervals, drawn around the backtest forecasts with leave-one-origin-out variances, cover the
    nominal share of the backtest actuals. `level`, `var`, `count` per series as core draws."""
    b = bt[bt["unique_id"].map(cls).isin(which).to_numpy()]
    b = b[np.isfinite(b["y"]) & np.isfinite(b["yhat"])].reset_index(drop=True)
    ids = b["unique_id"]
    cnt = count.reindex(ids).to_numpy(dtype=bool)
    v = var.reindex(ids).to_numpy(dtype=float) * _leave_origin_out(b)
    y, mean = b["y"].to_numpy(), b["yhat"].to_numpy()
    pvar = path_variance(mean, level.reindex(ids).to_numpy(dtype=float), v, cnt)
    pvar = np.where(cnt, np.fmax(pvar, mean), pvar)
    klass = cls.reindex(ids).to_numpy()
    out = {}
    for k in which:
        rows = np.flatnonzero((klass == k) & np.isfinite(pvar))
        if len(rows) < MIN_ROWS:
            continue
        r = _sample(rows)

        def covered(lv, r=r):
            lo, hi = interval(mean[r], pvar[r], lv, cnt[r])
            return np.mean((y[r] >= lo) & (y[r] <= hi))

        out[k] = {float(lv): _search(covered, float(lv)) for lv in levels}
    return pd.DataFrame.from_dict(out, orient="index", columns=[float(lv) for lv in levels])


def mass_levels(mean, var, count, classes, which, levels) -> pd.DataFrame:
    """Level to draw per class in `which` and nominal level: the one at which the class's
    intervals hold the nominal probability of their own distributions on average."""
    out = {}
    for k in which:
        rows = np.flatnonzero((classes == k) & (mean > 0))
        if len(rows) < MIN_ROWS:
            continue
        r = _sample(rows)

        def held(lv, r=r):
            _, _, mass = interval_mass(mean[r], var[r], lv, count[r])
            return np.mean(np.where(count[r], mass, lv / 100))

        out[k] = {float(lv): _search(held, float(lv)) for lv in levels}
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
    # Drawn levels never decrease with the nominal level, so intervals stay nested.
    drawn = np.maximum.accumulate(table.to_numpy(float)[:, order], axis=1)
    per = {
        k: np.interp(nominal, xs, np.concatenate([[0.0], row - cols[order]]))
        for k, row in zip(table.index, drawn, strict=True)
    }
    shift = pd.Series(classes).map(per).to_numpy(dtype=float)
    return np.clip(nominal + np.nan_to_num(shift, nan=0.0), 0.0, HIGHEST)


def _by_value(values: np.ndarray, fn, n: int) -> np.ndarray:
    """fn(rows, value) for each distinct value (a few: one per class), assembled per row."""
    out = np.zeros(n)
    for v in np.unique(values):
        rows = values == v
        out[rows] = fn(rows, float(v))
    return out


def draw(mean, var, count, classes, interval_table, quantile_table, levels, probs):
    """Intervals {level: (lo, hi)} drawn at each row's recalibrated level (`interval_table`), and
    quantiles (rows × sorted probs) with quantile p ≠ ½ drawn as the end of the central interval
    of level 100·|2p − 1| recalibrated by `quantile_table`. Quantiles non-decreasing along probs."""
    n = len(mean)
    bounds = {}
    for lv in levels:
        drawn = level_at(interval_table, classes, float(lv))
        lo_hi = {}
        for d in np.unique(drawn):
            rows = drawn == d
            lo_hi[d] = (rows, interval(mean[rows], var[rows], float(d), count[rows]))
        lo, hi = np.zeros(n), np.zeros(n)
        for rows, (a, b) in lo_hi.values():
            lo[rows], hi[rows] = a, b
        bounds[lv] = (lo, hi)
    cols = []
    for p in sorted(probs):
        drawn = level_at(quantile_table, classes, 100 * abs(2 * p - 1)) / 100
        q = (1 - drawn) / 2 if p < 0.5 else (1 + drawn) / 2
        q = np.full(n, p) if p == 0.5 else q

        def one(rows, prob):
            return quantiles(mean[rows], var[rows], [prob], count[rows])[:, 0]

        cols.append(_by_value(q, one, n))
    qs = np.maximum.accumulate(np.column_stack(cols), axis=1) if cols else np.zeros((n, 0))
    return bounds, qs


def calibrated(mean, var, count, backtests, cls, level, series_var, rate, pooled, levels, probs):
    """(intervals, quantiles) for the forecast rows (mean, var, count; series in cls.index order,
    len(mean) / len(cls) rows each), recalibrated as the module docstring says. `backtests`: the
    groups' chosen_backtest frames (None where a group had none); `level`, `series_var`: per
    series, the level and variance the rows' variance was drawn from; `rate`: per series, its
    long-run mean per period (the distribution of a dead count series); `pooled`: the pooled
    classes."""
    per = len(mean) // max(len(cls), 1)
    classes = np.repeat(cls.to_numpy(), per)
    present = set(cls.unique())
    # A dead count series is forecast zero, its median, but a part unused for a year is sometimes
    # asked for again: its intervals and quantiles come from a Poisson at its long-run rate.
    dead = (classes == "dead") & count & (np.repeat(rate.reindex(cls.index).to_numpy(), per) > 0)
    mean = np.where(dead, np.repeat(rate.reindex(cls.index).to_numpy(float), per), mean)
    var = np.where(dead, mean, var)
    own = [k for k in ("smooth", "erratic") if k in present and k not in pooled]
    frames = [b for b in backtests if b is not None and len(b)]
    table = pd.DataFrame(columns=[float(lv) for lv in levels], dtype=float)
    if frames and own:
        bt = pd.concat(frames, ignore_index=True)
        count_s = pd.Series(np.asarray(count).reshape(len(cls), -1)[:, 0], index=cls.index)
        table = backtest_levels(bt, cls, level, series_var, count_s, own, levels)
    # The sparse count classes are calibrated as one group.
    sparse = [*pooled, "dead"]
    group = np.where(np.isin(classes, sparse), SPARSE, classes)
    mass = mass_levels(mean, var, count, group, [SPARSE], levels)
    both = pd.concat([t for t in (table, mass) if not t.empty]) if len(table) + len(mass) else table
    bounds, qs = draw(mean, var, count, group, both, table, levels, probs)
    if dead.any():
        # Its forecast, zero, stays its median and inside every interval: the Poisson speaks
        # for the upper side only (a dead part at 20 a month would otherwise read "4 to 15").
        for lv in bounds:
            bounds[lv][0][dead] = 0.0
        qs[np.ix_(dead, np.asarray(probs) <= 0.5)] = 0.0
    return bounds, qs


MIN_ORIGINS = 30  # (series, origin) pairs a class needs for its aggregation scales


def aggregation_scales(backtests, cls: pd.Series, var: pd.Series) -> pd.DataFrame:
    """Per demand class, how the per-period variance ``var`` (per series, as core draws it)
    carries over to demand summed over several periods, from the rolling-origin backtest
    errors summed over each origin's periods (pooled over the class's series and origins).

    The model: a forecast's error in period j of an origin is ``e_j = d + n_j``, a level error
    ``d`` held over the origin's periods (variance ``c``) plus noise ``n_j`` independent from
    period to period (variance ``v - c``), so over ``k`` periods the error has variance
    ``k (v - c) + k**2 c``. For each (series, origin) with ``h`` periods, ``S1 = sum e_j**2``
    has expectation ``h v`` and ``S2 = (sum e_j)**2`` has ``h v + h (h - 1) c``; with each
    series' ``v`` and ``c`` taken as ``noise`` and ``level`` times its ``var``:
    ``noise + level = sum S1 / sum h var`` and ``level = sum (S2 - S1) / sum h (h - 1) var``,
    the sums over the class's (series, origin) pairs (a ratio of sums: fill rate and stock are
    sums over series, so the pooled, not the typical, error sets them). ``level`` is kept in
    ``[0, noise + level]`` (a correlation lies in [0, 1]; a negative one is read as none).

    Returns a frame indexed by class with columns ``noise`` and ``level`` (multipliers of
    ``var``); classes with fewer than ``MIN_ORIGINS`` pairs, or none, are absent (callers take
    noise 1, level 0: periods independent at the drawn variance)."""
    frames = [b for b in backtests if b is not None and len(b)]
    if not frames:
        return pd.DataFrame(columns=["noise", "level"], dtype=float)
    b = pd.concat(frames, ignore_index=True)
    b = b[np.isfinite(b["y"]) & np.isfinite(b["yhat"])]
    err = (b["y"] - b["yhat"]).to_numpy()
    pair = pd.MultiIndex.from_arrays([b["unique_id"].to_numpy(), b["cutoff"].to_numpy()])
    per = pd.DataFrame({"e": err, "e2": err**2}, index=pair).groupby(level=[0, 1], sort=False)
    sums = per.agg(s=("e", "sum"), s1=("e2", "sum"), h=("e", "size"))
    ids = sums.index.get_level_values(0)
    v = var.reindex(ids).to_numpy(dtype=float)
    klass = cls.reindex(ids).to_numpy()
    h = sums["h"].to_numpy(dtype=float)
    s1 = sums["s1"].to_numpy()
    cross = sums["s"].to_numpy() ** 2 - s1
    ok = np.isfinite(v) & (v > 0)
    table = pd.DataFrame(
        {"klass": klass[ok], "s1": s1[ok], "hv": h[ok] * v[ok], "cross": cross[ok],
         "hhv": h[ok] * (h[ok] - 1) * v[ok], "n": 1}
    ).groupby("klass").sum()  # fmt: skip
    table = table[(table["n"] >= MIN_ORIGINS) & (table["hv"] > 0)]
    total = table["s1"] / table["hv"]
    level = (table["cross"] / table["hhv"].where(table["hhv"] > 0)).fillna(0.0)
    level = level.clip(lower=0.0).clip(upper=total)
    return pd.DataFrame({"noise": total - level, "level": level}).astype(float)
