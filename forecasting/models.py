"""The statsforecast models each demand class may choose from, and the two calls that run them on
all series of a group at once: a rolling-origin backtest and the final forecast.

Nothing here re-implements a model: every number comes from statsforecast 2.1.1."""

from __future__ import annotations

import os
import warnings

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


def intermittent_pool() -> list:
    """For intermittent and lumpy series: the Croston family and temporal aggregation. Fixed TSB
    smoothing (0.1, 0.1), the values the intermittent-demand literature uses as a default."""
    return [CrostonClassic(), CrostonSBA(), TSB(alpha_d=0.1, alpha_p=0.1), ADIDA(), IMAPA()]


def smooth_pool(season_length: int) -> tuple[list, list]:
    """For smooth and erratic series: (models refitted at every backtest origin, models fitted once
    and run forward over later origins). The second set are the costly fits."""
    ets_season = season_length if season_length <= ETS_MAX_SEASON else 1
    costly = [AutoETS(season_length=ets_season), AutoTheta(season_length=season_length)]
    if season_length > 1:
        costly.append(SeasonalNaive(season_length=season_length))
    return [IMAPA(), ADIDA(), TSB(alpha_d=0.1, alpha_p=0.1)], costly


def new_pool() -> list:
    return [HistoricAverage()]


def names(models: list) -> list[str]:
    return [repr(m) for m in models]


def _sf(models: list, freq: str) -> StatsForecast:
    return StatsForecast(models=models, freq=freq, n_jobs=1)


def _quiet(call):
    # statsmodels' seasonality test and ETS on flat series warn about 0/0; the fits stay valid.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return call()


def backtest(
    df: pd.DataFrame, refit: list, forward: list, h: int, n_windows: int, step: int, freq: str
) -> pd.DataFrame:
    """[unique_id, ds, cutoff, y, <model>...]: rolling-origin forecasts, `n_windows` origins `step`
    periods apart, each forecasting `h` periods."""
    kw = dict(h=h, n_windows=n_windows, step_size=step)
    frames = []
    if refit:
        frames.append(_quiet(lambda: _sf(refit, freq).cross_validation(df=df, refit=True, **kw)))
    if forward:
        frames.append(_quiet(lambda: _sf(forward, freq).cross_validation(df=df, refit=False, **kw)))
    out = frames[0]
    for extra in frames[1:]:
        out = out.merge(extra.drop(columns="y"), on=["unique_id", "ds", "cutoff"])
    return out.sort_values(["unique_id", "cutoff", "ds"], kind="stable").reset_index(drop=True)


def predict(df: pd.DataFrame, models: list, h: int, freq: str) -> pd.DataFrame:
    """[unique_id, ds, <model>...]: the final forecast of every model for every series."""
    out = _quiet(lambda: _sf(models, freq).forecast(df=df, h=h))
    return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
