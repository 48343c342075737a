"""forecast(): classify, backtest, choose, forecast and attach a distribution, for all series at
once (one statsforecast call per model group, never a Python loop over items)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import models as M
from .calibrate import aggregation_scales, calibrated, chosen_backtest
from .classify import classify_filled
from .frames import PANDAS_FREQ, SEASON_LENGTH, check_freq, fill, from_tick
from .quantiles import path_variance
from .select import choose, pick

DEFAULT_QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.95, 0.975, 0.99)
DEFAULT_LEVELS = (80, 95)
MAX_HORIZON = 104
BACKTEST_WINDOWS = 3
# Classes whose variance comes from the class's ratio of backtest MSE to level (see forecast()).
POOLED_VARIANCE = ("intermittent", "lumpy")


@dataclass(frozen=True)
class ForecastResult:
    forecasts: pd.DataFrame  # item_id, period, mean, lo_<l>/hi_<l>..., q<p>..., model, demand_class
    series: pd.DataFrame  # item_id, demand_class, model, mean, variance, noise_variance,
    # level_variance, backtest_mase, backtest_rmsse, periods


def quantile_column(q: float) -> str:
    return f"q{q:g}"


def check_request(horizon: int, levels: Sequence[float], probs: Sequence[float]) -> None:
    if not isinstance(horizon, int | np.integer) or not 1 <= horizon <= MAX_HORIZON:
        raise ValueError(
            f"horizon must be a whole number from 1 to {MAX_HORIZON} (got {horizon!r})"
        )
    for level in levels:
        if not 0 < float(level) < 100:
            raise ValueError(f"each level must be between 0 and 100, exclusive (got {level!r})")
    for q in probs:
        if not 0 < float(q) < 1:
            raise ValueError(f"each quantile must be between 0 and 1, exclusive (got {q!r})")


def _scales(full: pd.DataFrame) -> pd.DataFrame:
    """In-sample one-step naive errors per series (the MASE/RMSSE scale) and whether it counts."""
    diff = full["y"].groupby(full["unique_id"], sort=True).diff()
    g = full["unique_id"]
    out = pd.DataFrame(
        {
            "naive_mse": (diff**2).groupby(g, sort=True).mean(),
            "naive_mae": diff.abs().groupby(g, sort=True).mean(),
            # Counted from what was sold: a stocked-out period's censored reading (a mean) is an
            # estimate, not a fraction of a unit, and must not turn a count series continuous.
            "count": ((full["y"] % 1 == 0) | full["stocked_out"]).groupby(g, sort=True).all(),
            "hist_mean": full["y"].groupby(g, sort=True).mean(),
            "hist_var": full["y"].groupby(g, sort=True).var(ddof=0),
        }
    )
    return out


def backtest_tiers(
    periods: pd.Series, horizon: int, season: int
) -> list[tuple[int, int, pd.Index]]:
    """[(backtest horizon, step, series)]: each series backtested at the longest horizon its
    history allows. The first tier forecasts min(horizon, season) periods from BACKTEST_WINDOWS
    origins half that apart; a series too short for it takes half the horizon, and so on down to
    one period, so a young series is still chosen on its own errors (not handed a fixed model)
    and its class still gets the rows its calibration needs. Every origin fits on at least
    max(h, M.MIN_FIT) periods. Series shorter than the one-period backtest are left out."""
    tiers = []
    left = periods
    h = max(1, min(horizon, season))
    while len(left):
        step = max(1, h // 2)
        need = h + step * (BACKTEST_WINDOWS - 1) + max(h, M.MIN_FIT)
        fit = left.index[left >= need]
        if len(fit):
            tiers.append((h, step, fit))
            left = left.drop(fit)
        if h == 1:
            break
        h = max(1, h // 2)
    return tiers


def _backtest_tier(tdf, refit, forward, h_bt, step, horizon, freq, n_jobs, carry):
    """(backtest, final forecasts of the costly models run forward or None) for one tier."""
    if carry and forward:
        cv = M.backtest(tdf, refit, [], h_bt, BACKTEST_WINDOWS, step, freq, n_jobs)
        fwd_cv, fwd_fc = M.fit_forward(
            tdf, forward, h_bt, BACKTEST_WINDOWS, step, horizon, freq, n_jobs
        )
        cv = cv.merge(fwd_cv, on=["unique_id", "ds", "cutoff"])
        cv = cv.sort_values(["unique_id", "cutoff", "ds"], kind="stable").reset_index(drop=True)
        return cv, fwd_fc
    return M.backtest(tdf, refit, forward, h_bt, BACKTEST_WINDOWS, step, freq, n_jobs), None


def _group(df, cls, refit, forward, horizon, season, freq, scales, n_jobs=1):
    """Backtest, choose and forecast one model group. Returns (labels and backtest figures, mean
    path, the chosen labels' backtest forecasts)."""
    cheap = M.names(refit)  # fit any length; the costly `forward` ones need M.MIN_FIT points
    names = cheap + M.names(forward)
    ids = pd.Index(sorted(df["unique_id"].unique()))
    periods = df.groupby("unique_id", sort=True).size()
    table = pd.DataFrame(index=ids, columns=["label", "bt_mse", "bt_mae", "bt_mean"], dtype=object)
    # Weekly (a season ETS cannot model): the costly models' final forecast runs their backtest
    # fit forward instead of refitting it on the whole history (M.fit_forward).
    carry = season > M.ETS_MAX_SEASON
    fwd_parts, chosen, default = [], [], {}
    scale = scales["naive_mse"].where(lambda s: s > 0, 1.0)
    for h_bt, step, tested in backtest_tiers(periods, horizon, season):
        tdf = df[df["unique_id"].isin(tested)]
        cv, fwd_fc = _backtest_tier(tdf, refit, forward, h_bt, step, horizon, freq, n_jobs, carry)
        if fwd_fc is not None:
            fwd_parts.append(fwd_fc)
        # Each tier chooses on its own: errors over different horizons are not one scale.
        klass = cls.reindex(tested)
        for k, members in klass.groupby(klass).groups.items():
            choice = choose(cv[cv["unique_id"].isin(members)], names, scale)
            table.loc[choice.table.index] = choice.table
            # For the series too short for any backtest: the class's best model that fits them.
            default.setdefault(k, next(m for m in choice.order if m in cheap))
        chosen.append(chosen_backtest(cv, table.loc[tested, "label"]))
    fwd_fc = None
    if fwd_parts:  # in unique_id order, as the final forecast's rows
        fwd_fc = pd.concat(fwd_parts, ignore_index=True)
        fwd_fc = fwd_fc.sort_values("unique_id", kind="stable").reset_index(drop=True)
    untested = table["label"].isna()
    table.loc[untested, "label"] = [default.get(c, names[0]) for c in cls.reindex(ids[untested])]
    # The costly models are fitted again only on the series whose choice uses them.
    fc = M.predict(df, refit, horizon, freq, n_jobs)
    for model in forward:
        name = repr(model)
        users = table.index[[name in str(label).split("+") for label in table["label"]]]
        fc[name] = np.nan
        if len(users) and fwd_fc is not None:
            carried = users[users.isin(fwd_fc["unique_id"])]
            rows = fwd_fc["unique_id"].isin(carried).to_numpy()
            fc.loc[fc["unique_id"].isin(carried), name] = fwd_fc.loc[rows, name].to_numpy()
            users = users.difference(carried)
        if len(users):
            part = M.predict(df[df["unique_id"].isin(users)], [model], horizon, freq, n_jobs)
            fc.loc[fc["unique_id"].isin(users), name] = part[name].to_numpy()
    return table, pick(fc, table["label"], horizon), (pd.concat(chosen) if chosen else None)


def forecast(
    history: pd.DataFrame,
    horizon: int,
    freq: str,
    levels: Sequence[float] = DEFAULT_LEVELS,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    season_length: int | None = None,
    n_jobs: int = 1,
) -> ForecastResult:
    """Forecast every series in `history` [item_id, period, qty(, stocked_out)] `horizon` periods
    past the last period in the frame. See docs/forecasting.md for the method. `n_jobs` > 1 lets
    statsforecast fit large groups in that many processes (same results; ignored inside a
    daemonic process such as a Celery prefork child)."""
    check_freq(freq)
    probs = tuple(float(q) for q in quantiles)
    check_request(horizon, levels, probs)
    full = fill(history, freq)
    classes = classify_filled(full, freq).set_index("item_id")
    cls = classes["demand_class"]
    season = int(season_length or SEASON_LENGTH[freq])
    scales = _scales(full)
    df = full[["unique_id", "ds", "y"]]
    ids = classes.index
    table = pd.DataFrame(index=ids, columns=["label", "bt_mse", "bt_mae", "bt_mean"], dtype=object)
    path = pd.Series(0.0, index=pd.MultiIndex.from_product([ids, range(horizon)]))
    pfreq = PANDAS_FREQ[freq]
    backtests = []

    refit_s, fwd_s = M.smooth_pool(season)
    groups = [
        (("smooth", "erratic"), refit_s, fwd_s),
        (("intermittent", "lumpy"), M.intermittent_pool(), []),
    ]
    for members, refit, forward in groups:
        gid = cls.index[cls.isin(members)]
        if len(gid):
            part = df[df["unique_id"].isin(gid)]
            t, mean, chosen = _group(
                part, cls, refit, forward, horizon, season, pfreq, scales, n_jobs
            )
            table.loc[t.index] = t
            path.loc[t.index] = mean
            backtests.append(chosen)
    new = cls.index[cls == "new"]
    if len(new):
        fc = M.predict(df[df["unique_id"].isin(new)], M.new_pool(), horizon, pfreq)
        table.loc[new, "label"] = "HistoricAverage"
        path.loc[new] = fc["HistoricAverage"].clip(lower=0).to_numpy()
    table.loc[cls.index[cls == "dead"], "label"] = "zero"

    # Variance per series at its backtest level. Intermittent and lumpy demand is compound-Poisson
    # like, its variance grows with its mean, and a few dozen backtest errors of a sparse series
    # say little about its tail: those take their class's median ratio of backtest MSE to level,
    # times their level. Smooth and erratic series take their own backtest MSE. A count series'
    # never below its mean (Poisson); series without a backtest use the class ratio.
    bt = table[["bt_mse", "bt_mean"]].astype(float)
    ratio = (bt["bt_mse"] / bt["bt_mean"]).replace(np.inf, np.nan)
    class_ratio = ratio.groupby(cls).median()
    level_h = path.groupby(level=0, sort=False).mean().reindex(ids)
    level = bt["bt_mean"].where(bt["bt_mean"] > 0, level_h)
    pooled = cls.map(class_ratio).fillna(1.0) * level
    own = bt["bt_mse"].where(~cls.isin(POOLED_VARIANCE))
    var = own.fillna(pooled)
    var = var.where(cls != "new", scales["hist_var"])
    level = level.where(cls != "new", scales["hist_mean"])
    # Not on continuous demand: there the floor would tie the spread to the unit (litres or
    # millilitres) the quantities happen to be in.
    var = np.fmax(var, level.where(scales["count"].reindex(ids).astype(bool), 0.0)).fillna(0.0)

    n = len(ids) * horizon
    mean = path.to_numpy()
    rep = lambda s: np.repeat(s.reindex(ids).to_numpy(), horizon)  # noqa: E731
    count = rep(scales["count"]).astype(bool)
    pvar = path_variance(mean, rep(level).astype(float), rep(var).astype(float), count)
    # Levels recalibrated per class so intervals cover what they claim (forecasting/calibrate.py).
    bounds, qs = calibrated(
        mean, pvar, count, backtests, cls, level, var, scales["hist_mean"], POOLED_VARIANCE,
        levels, sorted(probs),
    )  # fmt: skip
    col = {p: i for i, p in enumerate(sorted(probs))}

    last = int(full["tick"].max())
    periods = from_tick(np.tile(np.arange(last + 1, last + 1 + horizon), len(ids)), freq)
    out = pd.DataFrame({"item_id": np.repeat(ids.to_numpy(), horizon), "period": periods})
    out["mean"] = mean
    for lv in levels:
        out[f"lo_{lv:g}"], out[f"hi_{lv:g}"] = bounds[lv]
    for p in probs:
        out[quantile_column(p)] = qs[:, col[p]]
    out["model"] = rep(table["label"])
    out["demand_class"] = rep(cls)
    assert len(out) == n

    # Demand summed over several periods (a lead time): the per-period variance split into noise
    # and a level error held over the periods, scaled per class on the backtest errors summed
    # over each origin (calibrate.aggregation_scales). The per-period quantiles above are not
    # touched; these two columns are for the reorder policy.
    period_var = pvar.reshape(len(ids), horizon).mean(axis=1)
    scales_agg = aggregation_scales(backtests, cls, var)
    noise = cls.map(scales_agg["noise"]).fillna(1.0).to_numpy(dtype=float)
    level_share = cls.map(scales_agg["level"]).fillna(0.0).to_numpy(dtype=float)
    series = pd.DataFrame(
        {
            "item_id": ids.to_numpy(),
            "demand_class": cls.to_numpy(),
            "model": table["label"].to_numpy(),
            "mean": level_h.to_numpy(),
            "variance": period_var,
            "noise_variance": noise * period_var,
            "level_variance": level_share * period_var,
            "backtest_mase": (bt_float(table, "bt_mae") / scales["naive_mae"]).to_numpy(),
            "backtest_rmsse": np.sqrt(bt_float(table, "bt_mse") / scales["naive_mse"]).to_numpy(),
            "periods": classes["periods"].to_numpy(),
        }
    )
    series = series.replace([np.inf, -np.inf], np.nan)
    return ForecastResult(forecasts=out, series=series)


def bt_float(table: pd.DataFrame, col: str) -> pd.Series:
    return table[col].astype(float)
