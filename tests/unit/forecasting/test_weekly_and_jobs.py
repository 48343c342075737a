"""The weekly smooth pool and statsforecast's process pool (forecast(n_jobs=...))."""

import multiprocessing

import numpy as np
import pandas as pd
import pytest

import forecasting.models as M
from forecasting import forecast


def weekly(n_series: int, weeks: int = 130, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2023-01-02", periods=weeks, freq="W-MON")
    season = 1 + 0.3 * np.sin(2 * np.pi * np.arange(weeks) / 52)
    frames = [
        pd.DataFrame(
            {
                "item_id": f"s{k}",
                "period": periods,
                "qty": rng.poisson(rng.uniform(5, 40) * season).astype(float),
            }
        )  # fmt: skip
        for k in range(n_series)
    ]
    return pd.concat(frames, ignore_index=True)


def test_weekly_pool_is_the_light_one_and_monthly_keeps_the_full_search():
    _, weekly_costly = M.smooth_pool(52)
    _, monthly_costly = M.smooth_pool(12)
    assert M.names(weekly_costly) == ["AutoETS", "SeasonalNaive"]
    assert weekly_costly[0].model == "AZN"
    assert M.names(monthly_costly) == ["AutoETS", "AutoTheta", "SeasonalNaive"]
    assert monthly_costly[0].model == "ZZZ"


def test_two_processes_give_the_same_forecast_as_one(monkeypatch):
    monkeypatch.setattr(M, "PARALLEL_MIN_SERIES", 2)
    history = weekly(6)
    one = forecast(history, horizon=8, freq="W", n_jobs=1)
    two = forecast(history, horizon=8, freq="W", n_jobs=2)
    assert set(one.series["demand_class"]) == {"smooth"}
    pd.testing.assert_frame_equal(one.forecasts, two.forecasts)
    pd.testing.assert_frame_equal(one.series, two.series)


@pytest.mark.parametrize(
    ("n_jobs", "series", "daemon", "expected"),
    [(2, 500, False, 2), (1, 500, False, 1), (2, 10, False, 1), (2, 500, True, 1)],
)
def test_usable_jobs(monkeypatch, n_jobs, series, daemon, expected):
    monkeypatch.setattr(M.os, "cpu_count", lambda: 2)
    process = multiprocessing.current_process()
    monkeypatch.setattr(process, "_config", {**process._config, "daemon": daemon})
    assert M.usable_jobs(n_jobs, series) == expected


def test_fit_forward_backtest_is_statsforecasts_refit_false_and_final_runs_the_fit_forward():
    frame = weekly(4).rename(columns={"item_id": "unique_id", "period": "ds", "qty": "y"})
    _, costly = M.smooth_pool(52)
    ref = M.backtest(frame, [], costly, 26, 3, 13, "W-MON")
    bt, fc = M.fit_forward(frame, costly, 26, 3, 13, 8, "W-MON")
    assert len(bt) == len(ref) == 4 * 3 * 26
    both = ref.merge(bt, on=["unique_id", "ds", "cutoff"], suffixes=("", "_ff"))
    assert len(both) == len(ref)
    for name in M.names(costly):
        np.testing.assert_allclose(both[name + "_ff"], both[name], rtol=1e-9)
    # The final forecast: 8 periods a series, the fit at the first origin run on the whole history.
    assert list(fc["unique_id"]) == list(np.repeat(sorted(frame["unique_id"].unique()), 8))
    train = frame.groupby("unique_id").head(130 - 52)
    fitted = M.AutoETS(season_length=1, model="AZN").fit(
        train[train.unique_id == "s0"]["y"].to_numpy()
    )
    expect = fitted.forward(y=frame[frame.unique_id == "s0"]["y"].to_numpy(), h=8)["mean"]
    np.testing.assert_allclose(fc.loc[fc.unique_id == "s0", "AutoETS"], expect, rtol=1e-9)


def test_weekly_tiers_carry_each_series_its_own_forward_fit():
    # Horizon 26: the full backtest needs 78 weeks, so "a" (50 weeks) is backtested at 13 and
    # "b" (130) at 26, each tier's costly fits run forward. The tiers' final forecasts are put
    # back in series order: each mean path is what the series gets forecast alone. (Seed 6:
    # both choose AutoETS, so both tiers' forward fits are used.)
    history = weekly(2, weeks=130, seed=6).replace({"item_id": {"s0": "b", "s1": "a"}})
    history = history[(history["item_id"] == "b") | (history["period"] >= "2024-07-15")]
    assert history.groupby("item_id").size().to_dict() == {"a": 50, "b": 130}
    both = forecast(history, 26, "W")
    series = both.series.set_index("item_id")
    assert np.isfinite(series["backtest_rmsse"]).all()
    for item in ("a", "b"):
        alone = forecast(history[history["item_id"] == item], 26, "W").forecasts
        together = both.forecasts[both.forecasts["item_id"] == item]
        np.testing.assert_allclose(together["mean"].to_numpy(), alone["mean"].to_numpy())
        assert alone["model"].iloc[0] == together["model"].iloc[0]
        assert "AutoETS" in alone["model"].iloc[0]
