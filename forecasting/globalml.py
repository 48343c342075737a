"""A global model: one LightGBM regressor (through mlforecast) fitted on all series of a group at
once, on lags, rolling means and the calendar month of each series scaled to its own mean and
spread. Frames in, frames out, as models.py: a rolling-origin backtest with one fit per origin,
and a final forecast with one fit on the whole history.

The configuration is a method-level default for monthly demand, not tuned to any data set:
lags of the last quarter and of the same month a year ago, the means of the last 3 and 12 months,
the month of the year; LightGBM's own defaults apart from fewer,
slower trees and single-threaded, seeded training (same answers on every run). LightGBM takes
missing features as they come, so short series keep their rows (`dropna=False`) instead of
losing every period before their first full year of lags. No expanding mean: each series is
scaled by the mean and spread of its whole training history, so the running mean of the scaled
series tells the trees where the rest of that history lies, which the forecast cannot know (with
it, hospital's RMSSE was 1.045, without 0.917)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

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


def _forecaster(freq: str, season: int):
    # Imported here so that `import forecasting` does not load LightGBM for callers that never
    # reach the global model.
    from lightgbm import LGBMRegressor
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean
    from mlforecast.target_transforms import LocalStandardScaler

    lags = sorted({lag for lag in LAGS if lag < season} | ({season} if season > 1 else set()))
    return MLForecast(
        models={NAME: LGBMRegressor(**PARAMS)},
        freq=freq,
        lags=lags,
        lag_transforms={
            1: [
                RollingMean(window_size=3, min_samples=1),
                RollingMean(window_size=season, min_samples=1),
            ]
        },
        date_features=["month"] if freq == "MS" else [],
        target_transforms=[LocalStandardScaler()],
        num_threads=1,
    )


def _quiet(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call()


def backtest(df: pd.DataFrame, h: int, n_windows: int, step: int, freq: str, season: int):
    """[unique_id, ds, cutoff, y, LightGBM]: `n_windows` origins `step` periods apart, each one
    global fit on the history before it and `h` periods forecast recursively; never below 0."""
    mlf = _forecaster(freq, season)
    cv = _quiet(
        lambda: mlf.cross_validation(
            df=df[["unique_id", "ds", "y"]], n_windows=n_windows, h=h, step_size=step,
            dropna=False, refit=True,
        )
    )  # fmt: skip
    cv[NAME] = np.clip(cv[NAME].to_numpy(dtype=float), 0.0, None)
    cv = cv[["unique_id", "ds", "cutoff", "y", NAME]]
    return cv.sort_values(["unique_id", "cutoff", "ds"], kind="stable").reset_index(drop=True)


def predict(df: pd.DataFrame, h: int, freq: str, season: int) -> pd.DataFrame:
    """[unique_id, ds, LightGBM]: one global fit on the whole history, `h` periods a series in
    unique_id order; never below 0."""
    mlf = _forecaster(freq, season)
    _quiet(lambda: mlf.fit(df[["unique_id", "ds", "y"]], dropna=False))
    fc = _quiet(lambda: mlf.predict(h=h))
    fc[NAME] = np.clip(fc[NAME].to_numpy(dtype=float), 0.0, None)
    return fc.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
