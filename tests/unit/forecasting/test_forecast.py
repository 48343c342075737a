"""forecast(): the frame contract, hand-checked model values, classes `new` and `dead`, refusals."""

import numpy as np
import pandas as pd
import pytest

from forecasting import DEFAULT_QUANTILES, MAX_HORIZON, forecast
from forecasting.frames import fill
from forecasting.models import intermittent_pool, predict
from tests.unit.forecasting.conftest import monthly

QCOLS = [f"q{q:g}" for q in DEFAULT_QUANTILES]


def test_croston_sba_tsb_on_a_short_series_match_hand_values():
    # y = 0 0 4 0 2. Sizes 4, 2 and intervals 3, 2, smoothed with alpha 0.1 from the first value:
    # size 4 + 0.1(2 − 4) = 3.8, interval 3 + 0.1(2 − 3) = 2.9. Croston 3.8/2.9, SBA × 0.95.
    # TSB: probability 0,0,.1,.09,.181 (alpha_p .1 from 0) × size 3.8 = 0.6878.
    full = fill(monthly({"a": [0, 0, 4, 0, 2]}), "M")
    got = predict(full[["unique_id", "ds", "y"]], intermittent_pool(), 2, "MS").iloc[0]
    assert got["CrostonClassic"] == pytest.approx(3.8 / 2.9)
    assert got["CrostonSBA"] == pytest.approx(0.95 * 3.8 / 2.9)
    assert got["TSB"] == pytest.approx(0.181 * 3.8)


def test_frame_contract_one_row_per_item_and_period():
    rng = np.random.default_rng(1)
    history = monthly(
        {
            "smooth": rng.poisson(20, 36),
            "sparse": rng.poisson(0.4, 36),
            "young": [3, 1, 2],
            "dead": [4, 1] + [0] * 34,
        }
    )
    history.loc[history["item_id"] == "young", "period"] += pd.DateOffset(months=33)
    result = forecast(history, 6, "M")
    fc = result.forecasts
    assert list(fc.columns) == (
        ["item_id", "period", "mean", "lo_80", "hi_80", "lo_95", "hi_95"]
        + QCOLS
        + ["model", "demand_class"]
    )
    assert len(fc) == 4 * 6
    assert fc["period"].min() == pd.Timestamp("2023-01-01")
    assert fc.groupby("item_id")["period"].nunique().eq(6).all()
    by_item = fc.groupby("item_id").first()
    assert by_item.loc["dead", "model"] == "zero"
    # Dead: forecast zero (its median), but the intervals and upper quantiles come from a Poisson
    # at its long-run rate 5/36: P(0) = exp(-5/36) = 0.870, P(<= 1) = 0.991.
    dead = fc[fc["item_id"] == "dead"]
    assert (dead[["mean", "lo_80", "lo_95", "q0.025", "q0.1", "q0.5"]] == 0).all().all()
    assert (dead[["hi_95", "q0.9", "q0.95", "q0.975", "q0.99"]] == 1).all().all()
    assert by_item.loc["young", "demand_class"] == "new"
    assert by_item.loc["young", "mean"] == pytest.approx(2.0)
    assert by_item.loc["smooth", "mean"] == pytest.approx(20, rel=0.25)
    assert (np.diff(fc[QCOLS].to_numpy(), axis=1) >= 0).all()
    assert (fc["lo_95"] <= fc["lo_80"]).all() and (fc["hi_80"] <= fc["hi_95"]).all()
    series = result.series.set_index("item_id")
    assert set(series.columns) >= {"demand_class", "model", "mean", "variance", "backtest_rmsse"}
    assert series.loc["smooth", "variance"] >= series.loc["smooth", "mean"] * 0.5
    # Lead-time split of the variance: never negative; too few backtests (a class of one series)
    # keep the per-period variance as noise and no level error; a new series has no backtest.
    assert (series[["noise_variance", "level_variance"]] >= 0).all().all()
    young = series.loc["young"]
    assert (young["noise_variance"], young["level_variance"]) == (young["variance"], 0.0)
    assert np.isnan(series.loc["young", "backtest_rmsse"])
    assert series.loc["smooth", "backtest_rmsse"] > 0


def test_a_dead_series_once_busy_keeps_its_zero_forecast_inside_its_intervals():
    # 20 a month for a year, then a year of none: long-run rate 10. Its Poisson(10) used to give
    # every quantile and lower bound (q0.5 = 10, lo_95 = 4) above its forecast of 0.
    fc = forecast(monthly({"gone": [20] * 12 + [0] * 12}), 2, "M").forecasts
    assert (fc["demand_class"] == "dead").all() and (fc["mean"] == 0).all()
    assert (fc[["lo_80", "lo_95", "q0.025", "q0.1", "q0.5"]] == 0).all().all()
    # The upper side still says it may come back: Poisson(10)'s 0.99 quantile is 18.
    assert (fc["q0.99"] == 18).all() and (fc["hi_95"] >= 15).all()


@pytest.mark.parametrize("unit", [1e-3, 1e3])
def test_continuous_demand_keeps_its_spread_in_any_unit(unit):
    # Litres or millilitres: a continuous series' quantiles scale with it. The Poisson floor
    # (variance >= mean) is a count's; on 0.015 units a month it made q0.5 1e-19.
    rng = np.random.default_rng(3)
    values = np.round(rng.uniform(10.0, 20.0, 36), 4) + 0.0001
    base = forecast(monthly({"a": values}), 3, "M").forecasts
    scaled = forecast(monthly({"a": values * unit}), 3, "M").forecasts
    cols = ["mean", "lo_80", "hi_80", "lo_95", "hi_95"] + QCOLS
    # (the model fits themselves move a little with the scale: a fraction of a percent)
    assert np.allclose(scaled[cols].to_numpy() / unit, base[cols].to_numpy(), rtol=0.02)
    assert (base["lo_80"] > 5).all() and (base["q0.5"] > 10).all()


def test_all_zero_history_forecasts_zero():
    result = forecast(monthly({"z": [0] * 30}), 4, "M")
    assert (result.forecasts[["mean", "lo_80", "hi_95"] + QCOLS] == 0).all().all()


def test_stocked_out_periods_are_not_read_as_zero_demand():
    values = [6, 5, 7, 6, 0, 0, 0, 6, 5, 7, 6, 6] * 2
    plain = monthly({"a": values})
    flagged = plain.assign(stocked_out=plain["qty"] == 0)
    assert (
        forecast(flagged, 3, "M").forecasts["mean"].iloc[0]
        > forecast(plain, 3, "M").forecasts["mean"].iloc[0]
    )
    filled = fill(flagged, "M")
    assert filled.loc[filled["stocked_out"], "y"].round(4).unique().tolist() == [6.0]


def test_a_stocked_out_period_keeps_a_count_series_a_count():
    # Sparse whole-unit sales with one stocked-out month: the censored reading is the in-stock
    # mean (a fraction), but demand is still counted in units, so intervals and quantiles are
    # whole units and the 80% interval of a mostly-zero series starts at 0. (The reading once
    # made the series continuous: a gamma whose interval started above 0, so every month
    # without demand fell below it.)
    rng = np.random.default_rng(7)
    values = rng.poisson(0.6, 36) * rng.integers(1, 4, 36)
    plain = monthly({"a": values, "b": rng.poisson(0.5, 36)})
    flagged = plain.assign(stocked_out=(plain["item_id"] == "a") & (plain.index % 36 == 20))
    assert fill(flagged, "M")["y"].mod(1).ne(0).any()  # the censored reading is a fraction
    for history in (plain, flagged):
        fc = forecast(history, 6, "M").forecasts
        bounds = fc[["lo_80", "hi_80", "lo_95", "hi_95"] + QCOLS]
        assert (bounds.to_numpy() % 1 == 0).all()
        assert (fc.loc[fc["item_id"] == "a", "lo_80"] == 0).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"horizon": MAX_HORIZON + 1}, "horizon"),
        ({"horizon": 0}, "horizon"),
        ({"levels": (80, 100)}, "level"),
        ({"quantiles": (0.5, 1.0)}, "quantile"),
        ({"freq": "Q"}, "freq"),
    ],
)
def test_refusals_name_the_argument(kwargs, message):
    args = {"history": monthly({"a": [1, 2, 3] * 4}), "horizon": 3, "freq": "M", **kwargs}
    with pytest.raises(ValueError, match=message):
        forecast(**args)


def test_bad_history_is_refused():
    good = monthly({"a": [1, 2, 3, 4, 5, 6]})
    with pytest.raises(ValueError, match="negative"):
        forecast(good.assign(qty=-1.0), 3, "M")
    with pytest.raises(ValueError, match="duplicate"):
        forecast(pd.concat([good, good.head(1)]), 3, "M")
    with pytest.raises(ValueError, match="qty"):
        forecast(good.drop(columns="qty"), 3, "M")
