"""The statsforecast models each demand class may choose from, and the two calls that run them on
all series of a group at once: a rolling-origin backtest and the final forecast.

Nothing here re-implements a model: every number comes from statsforecast 2.1.1."""

from __future__ import annotations

import multiprocessing
import os
import warnings

import numpy as np
import pandas as pd

os.environ.setdefault("NIXTLA_ID_AS_COL", "1")

from statsforecast import StatsForecast  # noqa: E402
from statsforecast.models import (  # noqa: E402
    ADIDA,
    IMAPA,
    TSB,
    AutoETS,
    AutoTheta,
    CrostonClassic,
    CrostonSBA,
    HistoricAverage,
    SeasonalNaive,
)

# AutoETS refuses seasons longer than this (statsforecast's limit for seasonal ETS).
ETS_MAX_SEASON = 24
# AutoETS refuses fewer points than this ("tiny datasets"): the shortest history a backtest
# origin may fit on. The refitted pools' models (Croston family, ADIDA, IMAPA, TSB) fit any length.
MIN_FIT = 7


def intermittent_pool() -> list:
    """For intermittent and lumpy series: the Croston family and temporal aggregation. Fixed TSB
    smoothing (0.1, 0.1), the values the intermittent-demand literature uses as a default."""
    return [CrostonClassic(), CrostonSBA(), TSB(alpha_d=0.1, alpha_p=0.1), ADIDA(), IMAPA()]


def smooth_pool(season_length: int) -> tuple[list, list]:
    """For smooth and erratic series: (models refitted at every backtest origin, models fitted once
    and run forward over later origins). The second set are the costly fits.

    Seasons longer than ETS_MAX_SEASON (52 weeks) take a lighter set: ETS cannot model the
    season there, so its search keeps additive errors (ANN, AAN, AAdN; the multiplicative-error
    twins give near-identical point forecasts), and the seasonal candidate is seasonal naive
    alone. Theta(52), tried there before, won 1 of 445 smooth series on the reorder bench's
    weekly series and cost about a quarter of the forecast; without it RMSSE, MASE and coverage
    were unchanged to the fourth decimal (docs/forecasting.md, "Weekly speed")."""
    if season_length > ETS_MAX_SEASON:
        costly = [AutoETS(season_length=1, model="AZN")]
    else:
        costly = [AutoETS(season_length=season_length), AutoTheta(season_length=season_length)]
    if season_length > 1:
        costly.append(SeasonalNaive(season_length=season_length))
    return [IMAPA(), ADIDA(), TSB(alpha_d=0.1, alpha_p=0.1)], costly


def new_pool() -> list:
    return [HistoricAverage()]


def names(models: list) -> list[str]:
    return [repr(m) for m in models]


# Below this many series a process pool costs more than it saves.
PARALLEL_MIN_SERIES = 200


def usable_jobs(n_jobs: int, n_series: int) -> int:
    """Processes statsforecast may use: 1 for small groups and inside a daemonic process (a
    Celery prefork child may not have children; its siblings already use the other cores)."""
    if n_jobs <= 1 or n_series < PARALLEL_MIN_SERIES or multiprocessing.current_process().daemon:
        return 1
    return min(n_jobs, os.cpu_count() or 1)


def _sf(models: list, freq: str, df: pd.DataFrame, n_jobs: int = 1) -> StatsForecast:
    jobs = usable_jobs(n_jobs, df["unique_id"].nunique()) if n_jobs > 1 else 1
    return StatsForecast(models=models, freq=freq, n_jobs=jobs)


def _quiet(call):
    # statsmodels' seasonality test and ETS on flat series warn about 0/0; the fits stay valid.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return call()


def backtest(
    df: pd.DataFrame,
    refit: list,
    forward: list,
    h: int,
    n_windows: int,
    step: int,
    freq: str,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """[unique_id, ds, cutoff, y, <model>...]: rolling-origin forecasts, `n_windows` origins `step`
    periods apart, each forecasting `h` periods."""
    kw = dict(h=h, n_windows=n_windows, step_size=step)
    frames = []
    if refit:
        frames.append(
            _quiet(lambda: _sf(refit, freq, df, n_jobs).cross_validation(df=df, refit=True, **kw))
        )
    if forward:
        frames.append(
            _quiet(
                lambda: _sf(forward, freq, df, n_jobs).cross_validation(df=df, refit=False, **kw)
            )
        )
    out = frames[0]
    for extra in frames[1:]:
        out = out.merge(extra.drop(columns="y"), on=["unique_id", "ds", "cutoff"])
    return out.sort_values(["unique_id", "cutoff", "ds"], kind="stable").reset_index(drop=True)


def predict(df: pd.DataFrame, models: list, h: int, freq: str, n_jobs: int = 1) -> pd.DataFrame:
    """[unique_id, ds, <model>...]: the final forecast of every model for every series."""
    out = _quiet(lambda: _sf(models, freq, df, n_jobs).forecast(df=df, h=h))
    return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def fit_forward(
    df: pd.DataFrame,
    models: list,
    h: int,
    n_windows: int,
    step: int,
    horizon: int,
    freq: str,
    n_jobs: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The costly models fitted once per series, at the first backtest origin, and run forward
    (`forward`: the fitted parameters on the longer history) over the later origins and to the end
    of the history. Returns (backtest [unique_id, ds, cutoff, <model>...] as `backtest` gives with
    refit=False, final forecast [unique_id, <model>...] `horizon` rows a series in unique_id order).

    The same numbers as statsforecast's cross_validation(refit=False) for the backtest; the final
    forecast skips the refit on the whole history, which cost as much as the backtest fit (on the
    reorder bench's weekly series the parameters from all but the last year forecast as well: see
    docs/performance.md)."""
    df = df.sort_values(["unique_id", "ds"], kind="stable")
    uid = df["unique_id"].to_numpy()
    ids, start, length = np.unique(uid, return_index=True, return_counts=True)
    test = h + step * (n_windows - 1)
    pos = np.arange(len(df)) - np.repeat(start, length)
    train = df[pos < np.repeat(length - test, length)]
    sf = _sf(models, freq, train, n_jobs)
    _quiet(lambda: sf.fit(df=train))
    order = pd.Index(sf.uids).get_indexer(ids)
    y_all, ds_all = df["y"].to_numpy(dtype=float), df["ds"].to_numpy()
    names_ = names(models)
    cv = np.empty((len(ids), n_windows, h, len(models)))
    final = np.empty((len(ids), horizon, len(models)))
    cut_pos = np.empty((len(ids), n_windows), dtype=int)

    def run():
        for i, (s, n) in enumerate(zip(start, length, strict=True)):
            y = y_all[s : s + n]
            for j in range(len(models)):
                fitted = sf.fitted_[order[i], j]
                for w in range(n_windows):
                    c = n - test + w * step
                    cut_pos[i, w] = s + c
                    cv[i, w, :, j] = fitted.forward(y=y[:c], h=h)["mean"]
                final[i, :, j] = fitted.forward(y=y, h=horizon)["mean"]

    _quiet(run)
    rows = (cut_pos[:, :, None] + np.arange(h)).ravel()
    bt = pd.DataFrame(
        {
            "unique_id": uid[rows],
            "ds": ds_all[rows],
            "cutoff": np.repeat(ds_all[cut_pos.ravel() - 1], h),
        }
    )
    bt[names_] = cv.reshape(-1, len(models))
    fc = pd.DataFrame(final.reshape(-1, len(models)), columns=names_)
    fc.insert(0, "unique_id", np.repeat(ids, horizon))
    return bt, fc
