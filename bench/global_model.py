"""The global model the accuracy bench scores beside the statsforecast models: one LightGBM
regressor (through mlforecast) fitted on all series of a file at once. It is not in
`forecasting/`: added to the per-series choice it did not backtest better (docs/forecasting.md,
"A global model"), so it stays here as the evaluated alternative.

The configuration is a method-level default for monthly demand, not tuned to any data set: each
series scaled by its own mean and spread (mlforecast's LocalStandardScaler), lags of the last
quarter and of the same month a year ago, the means of the last 3 and 12 months, the month of
the year; LightGBM's defaults apart from fewer, slower trees and single-threaded, seeded
training (same answers on every run); recursive over the horizon. LightGBM takes missing
features as they come, so short series keep their rows (`dropna=False`) instead of losing every
period before their first full year of lags. No expanding mean: each series is scaled by the
mean and spread of its whole training history, so the running mean of the scaled series tells
the trees where the rest of that history lies, which the forecast cannot know (with it,
hospital's RMSSE was 1.045, without 0.917).

Intervals are mlforecast's conformal ones (2 windows of the horizon), as statsforecast gives the
Croston family in the same bench; everything is clipped at zero."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from lightgbm import LGBMRegressor
from mlforecast import MLForecast
from mlforecast.lag_transforms import RollingMean
from mlforecast.target_transforms import LocalStandardScaler
from mlforecast.utils import PredictionIntervals

NAME = "LightGBM"
LAGS = (1, 2, 3, 12)
PARAMS = dict(
    n_estimators=200,
    learning_rate=0.05,
    num_leaves=31,
    min_child_samples=20,
    random_state=0,
    n_jobs=1,
    deterministic=True,
    force_row_wise=True,
    verbosity=-1,
)


def forecaster(season: int = 12) -> MLForecast:
    """Monthly (`MS`) series; lags 1-3 and `season`, rolling means over 3 and `season` months."""
    return MLForecast(
        models={NAME: LGBMRegressor(**PARAMS)},
        freq="MS",
        lags=sorted({lag for lag in LAGS if lag < season} | {season}),
        lag_transforms={
            1: [
                RollingMean(window_size=3, min_samples=1),
                RollingMean(window_size=season, min_samples=1),
            ]
        },
        date_features=["month"],
        target_transforms=[LocalStandardScaler()],
        num_threads=1,
    )


def predict(df: pd.DataFrame, h: int, levels: list[int], season: int = 12) -> pd.DataFrame:
    """df [unique_id, ds, y], monthly, no gaps. Returns [unique_id, ds, LightGBM,
    LightGBM-lo-<l>, LightGBM-hi-<l>...]: one global fit, `h` periods a series in unique_id
    order, nothing below zero."""
    mlf = forecaster(season)
    intervals = PredictionIntervals(n_windows=2, h=h)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlf.fit(df[["unique_id", "ds", "y"]], dropna=False, prediction_intervals=intervals)
        fc = mlf.predict(h=h, level=levels)
    cols = [c for c in fc.columns if c.startswith(NAME)]
    fc[cols] = np.clip(fc[cols].to_numpy(dtype=float), 0.0, None)
    return fc.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
