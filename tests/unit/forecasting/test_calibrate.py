"""forecasting/calibrate.py: the chosen model's backtest, leave-one-origin-out variances, and the
recalibrated levels (backtest coverage for own-variance classes, distribution mass for sparse)."""

import numpy as np
import pandas as pd
import pytest

from forecasting.calibrate import (
    _leave_origin_out,
    backtest_levels,
    chosen_backtest,
    level_at,
    mass_levels,
)
from forecasting.quantiles import cdf, interval


def test_chosen_backtest_averages_a_combination_of_clipped_members():
    cv = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b", "b"],
            "cutoff": [0, 0, 0, 0],
            "y": [1.0, 2.0, 3.0, 4.0],
            "X": [2.0, -4.0, 9.0, 9.0],
            "Y": [4.0, 2.0, 5.0, 7.0],
        }
    )
    got = chosen_backtest(cv, pd.Series({"a": "X+Y", "b": "Y"}))
    assert got["yhat"].tolist() == [3.0, 1.0, 5.0, 7.0]  # (-4 clipped to 0 + 2) / 2 = 1
    assert got["y"].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_leave_origin_out_is_the_other_origins_mse_over_the_whole():
    # Errors: origin 0: 1, 1 (sq 1, 1); origin 1: 3, 3 (sq 9, 9). MSE 5; without origin 0: 9.
    b = pd.DataFrame(
        {"unique_id": ["a"] * 4, "cutoff": [0, 0, 1, 1], "y": [1.0, 1, 3, 3], "yhat": [0.0] * 4}
    )
    assert _leave_origin_out(b) == pytest.approx([9 / 5, 9 / 5, 1 / 5, 1 / 5])


def _backtest(n_series: int, true_var: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mean = 50.0
    rows = []
    for s in range(n_series):
        for origin in range(3):
            y = rng.gamma(mean**2 / true_var, true_var / mean, size=6)
            rows += [(f"s{s}", origin, float(v), mean) for v in y]
    return pd.DataFrame(rows, columns=["unique_id", "cutoff", "y", "yhat"])


def test_backtest_levels_widen_intervals_whose_variance_is_too_small():
    # Gamma demand of variance 400 while the series claim 100: nominal 80% intervals cover far
    # less, so the level drawn for 80 is higher, and at it the backtest is covered about 80%.
    bt = _backtest(60, 400.0)
    ids = pd.Index(sorted(bt["unique_id"].unique()))
    cls = pd.Series("smooth", index=ids)
    level, var = pd.Series(50.0, index=ids), pd.Series(100.0, index=ids)
    count = pd.Series(False, index=ids)
    table = backtest_levels(bt, cls, level, var, count, ["smooth"], [80, 95])
    drawn = table.loc["smooth", 80.0]
    assert drawn > 90
    lo, hi = interval(
        bt["yhat"].to_numpy(), np.full(len(bt), 100.0), drawn, np.zeros(len(bt), bool)
    )
    covered = np.mean((bt["y"] >= lo) & (bt["y"] <= hi))
    assert covered == pytest.approx(0.80, abs=0.03)
    assert table.loc["smooth", 95.0] > drawn


def test_backtest_levels_keep_nominal_for_a_class_with_too_few_rows():
    bt = _backtest(2, 400.0)
    ids = pd.Index(sorted(bt["unique_id"].unique()))
    one = pd.Series(1.0, index=ids)
    table = backtest_levels(
        bt, pd.Series("smooth", index=ids), one, one, one.astype(bool), ["smooth"], [80]
    )
    assert table.empty
    assert level_at(table, np.array(["smooth"]), 80.0).tolist() == [80.0]


def test_mass_levels_make_the_class_hold_the_nominal_probability_on_average():
    # Poisson rows: the sparsest (mean below 0.22) hold P(0) > 0.8 in [0, 0] whatever the level,
    # so the level drawn for 80 is below 80 and the class's intervals hold 0.80 on average.
    mean = np.geomspace(0.02, 8.0, 400)
    var, count = mean.copy(), np.ones(len(mean), bool)
    classes = np.full(len(mean), "sparse")
    drawn = mass_levels(mean, var, count, classes, ["sparse"], [80]).loc["sparse", 80.0]
    assert drawn < 80
    lo, hi = interval(mean, var, drawn, count)
    below = np.where(lo > 0, cdf(lo - 1, mean, var, count), 0.0)
    assert np.mean(cdf(hi, mean, var, count) - below) == pytest.approx(0.80, abs=0.01)


def test_level_at_interpolates_the_shift_and_keeps_levels_nested():
    table = pd.DataFrame({80.0: [70.0], 95.0: [60.0]}, index=["k"])  # 95 below 80: held at 70
    classes = np.array(["k", "other"])
    assert level_at(table, classes, 80.0).tolist() == [70.0, 80.0]
    assert level_at(table, classes, 95.0).tolist() == [70.0, 95.0]  # never below 80's 70
    assert level_at(table, classes, 40.0).tolist() == [35.0, 40.0]  # shift 0 at level 0


def _pairs(errors, n, start=0):
    """``n`` series of one origin each, with the given errors (y - yhat) over its periods."""
    rows = [
        {"unique_id": f"s{start + i}", "cutoff": 0, "y": 10.0 + e, "yhat": 10.0}
        for i in range(n)
        for e in errors
    ]
    return pd.DataFrame(rows)


def test_aggregation_scales_split_the_summed_errors_into_noise_and_a_held_level_error():
    from forecasting.calibrate import aggregation_scales

    # Class "a": 15 pairs with errors (2, 0) and 15 with (1, 1), each series' var 2.
    # S1 = sum e**2: 15*4 + 15*2 = 90; sum h*var = 30*2*2 = 120 -> noise + level = 0.75.
    # S2 - S1 = (sum e)**2 - sum e**2: (2, 0) 4 - 4 = 0, (1, 1) 4 - 2 = 2 -> 30;
    # sum h(h-1)*var = 30*2*2 = 120 -> level 0.25, noise 0.5.
    # Class "b": 30 pairs (1, -1), var 1: total 2*30 / 60 = 1, S2 - S1 = -2 each -> level 0.
    # Class "c": 29 pairs, too few: absent.
    a = pd.concat([_pairs((2, 0), 15), _pairs((1, 1), 15, start=15)])
    b = _pairs((1, -1), 30, start=100)
    c = _pairs((5, 5), 29, start=200)
    ids = pd.concat([a, b, c])["unique_id"].unique()
    cls = pd.Series(["a"] * 30 + ["b"] * 30 + ["c"] * 29, index=ids)
    var = pd.Series([2.0] * 30 + [1.0] * 59, index=ids)
    out = aggregation_scales([a, None, pd.concat([b, c])], cls, var)
    assert sorted(out.index) == ["a", "b"]
    assert out.loc["a"].tolist() == pytest.approx([0.5, 0.25])
    assert out.loc["b"].tolist() == pytest.approx([1.0, 0.0])


def test_aggregation_scales_of_fully_held_errors_and_of_nothing():
    from forecasting.calibrate import aggregation_scales

    # errors (1, 1, 1), var 1: S1 = 3, h*var = 3 -> total 1; S2 - S1 = 6, h(h-1)*var = 6 ->
    # level 1, noise 0 (the error is all level).
    a = _pairs((1, 1, 1), 30)
    cls = pd.Series("a", index=a["unique_id"].unique())
    out = aggregation_scales([a], cls, pd.Series(1.0, index=cls.index))
    assert out.loc["a"].tolist() == pytest.approx([0.0, 1.0])
    assert aggregation_scales([None], cls, pd.Series(1.0, index=cls.index)).empty
