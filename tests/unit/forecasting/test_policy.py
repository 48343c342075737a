"""Reorder point and order-up-to level from known count distributions, and ABC classes, with
values worked out by hand (the negative binomial's probabilities are summed term by term here,
independently of scipy)."""

from __future__ import annotations

from math import comb, exp, factorial

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecasting import policy


def _series(**columns):
    base = {
        "item_id": ["x"],
        "mean": [2.0],
        "variance": [2.0],
        "lead_periods": [2.0],
        "lead_periods_sd": [0.0],
        "review_periods": [0.0],
    }
    base.update({k: v if isinstance(v, list) else [v] for k, v in columns.items()})
    return pd.DataFrame(base)


def _poisson_cdf(k, mean):
    return sum(exp(-mean) * mean**i / factorial(i) for i in range(k + 1))


def _nbinom_cdf(k, r, p):
    # failures before the r-th success: P(i) = C(i + r - 1, r - 1) p^r (1 - p)^i
    return sum(comb(i + r - 1, r - 1) * p**r * (1 - p) ** i for i in range(k + 1))


def test_poisson_mean_4_gives_8_at_95_percent():
    # P(D <= 7) = 0.9489 < 0.95 <= P(D <= 8) = 0.9786
    assert _poisson_cdf(7, 4) < 0.95 <= _poisson_cdf(8, 4)
    assert policy.count_quantile(4.0, 4.0, 0.95) == 8


def test_negative_binomial_mean_4_variance_8_gives_9_at_95_percent():
    # mean 4, variance 8: p = 4/8 = 0.5, r = 16/4 = 4; P(D <= 8) = 0.9270, P(D <= 9) = 0.9539
    assert _nbinom_cdf(8, 4, 0.5) < 0.95 <= _nbinom_cdf(9, 4, 0.5)
    assert policy.count_quantile(4.0, 8.0, 0.95) == 9


def test_variance_at_or_below_the_mean_is_read_as_poisson():
    assert policy.count_quantile(4.0, 1.0, 0.95) == 8  # under-dispersed: widened to Poisson
    assert policy.count_quantile(4.0, 4.0, 0.5) == 4  # P(D <= 3) = 0.433, P(D <= 4) = 0.629


def test_zero_mean_gives_zero_and_quantiles_are_never_negative():
    q = policy.count_quantile(np.array([0.0, 0.0, 0.01]), np.array([0.0, 5.0, 0.01]), 0.9)
    assert q.tolist() == [0.0, 0.0, 0.0]  # Poisson(0.01): P(D = 0) = 0.990 >= 0.9


def test_lead_time_spread_enters_the_variance_and_raises_the_reorder_point():
    # mu 2, var 2 per period, L = 2 periods: mean 4. Fixed lead time: var 2*2 = 4 -> Poisson(4),
    # reorder point 8. With sd_L = 1: var 2*2 + 2**2 * 1**2 = 8 -> NB(4, 0.5), reorder point 9.
    fixed = policy.lead_time_demand(_series(), {"reorder_point": 0.95})
    spread = policy.lead_time_demand(_series(lead_periods_sd=1.0), {"reorder_point": 0.95})
    assert fixed[["demand_mean", "demand_var", "reorder_point"]].iloc[0].tolist() == [4, 4, 8]
    assert spread[["demand_mean", "demand_var", "reorder_point"]].iloc[0].tolist() == [4, 8, 9]


def test_moments_over_a_random_lead_time():
    # mu 2, var 3, L 2, sd_L 0.5: mean 4, variance 2*3 + 4*0.25 = 7
    mean, var = policy.demand_over(2.0, 3.0, 2.0, 0.5)
    assert (mean, var) == (4.0, 7.0)


def test_order_up_to_covers_lead_time_plus_review():
    # L 1.5, R 0.5, mu = var = 2: over L Poisson(3) -> 95% quantile 6 (P(D <= 5) = 0.916,
    # P(D <= 6) = 0.966); over L + R Poisson(4) -> 8.
    assert _poisson_cdf(5, 3) < 0.95 <= _poisson_cdf(6, 3)
    levels = policy.reorder_levels(
        _series(lead_periods=1.5, review_periods=0.5, service_level=0.95)
    )
    row = levels.iloc[0]
    assert (row.reorder_point, row.order_up_to) == (6, 8)
    assert (row.lead_demand_mean, row.cover_demand_mean) == (3, 4)


def test_probability_per_row_from_a_column_and_many_rows_at_once():
    frame = _series(
        item_id=["a", "b", "c"],
        mean=[2.0, 2.0, 0.0],
        variance=[2.0, 4.0, 0.0],
        lead_periods=[2.0, 2.0, 2.0],
        lead_periods_sd=[0.0, 0.0, 0.0],
        review_periods=[0.0, 0.0, 0.0],
        service_level=[0.95, 0.95, 0.98],
    )
    out = policy.lead_time_demand(frame, {"rop": "service_level", "median": 0.5})
    assert out["item_id"].tolist() == ["a", "b", "c"]
    assert out["rop"].tolist() == [8, 9, 0]  # b: mean 4, var 8 -> NB(4, 0.5)
    # Poisson(4): P(D <= 3) = 0.433 -> median 4; NB(4, 0.5): P(D <= 3) = 0.5 exactly -> median 3
    assert out["median"].tolist() == [4, 3, 0]
    assert _nbinom_cdf(3, 4, 0.5) == 0.5


@pytest.mark.parametrize("prob", [0.0, 1.0, 1.5, -0.1])
def test_probability_outside_0_1_is_refused(prob):
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        policy.lead_time_demand(_series(), {"rop": prob})


@pytest.mark.parametrize("column", ["mean", "variance", "lead_periods", "lead_periods_sd"])
def test_negative_or_missing_inputs_are_refused(column):
    with pytest.raises(ValueError, match=column):
        policy.lead_time_demand(_series(**{column: -1.0}), {"rop": 0.9})
    with pytest.raises(ValueError, match=column):
        policy.lead_time_demand(_series(**{column: float("nan")}), {"rop": 0.9})


def test_review_column_required_for_order_up_to():
    with pytest.raises(ValueError, match="review_periods"):
        policy.lead_time_demand(
            _series().drop(columns="review_periods"), {"s": 0.9}, include_review=True
        )


@given(
    mean=st.floats(0, 500),
    extra=st.floats(0, 5000),
    lead=st.floats(0, 20),
    sd=st.floats(0, 5),
    review=st.floats(0, 5),
    p=st.floats(0.5, 0.999),
)
def test_levels_are_whole_non_negative_and_ordered(mean, extra, lead, sd, review, p):
    frame = _series(
        mean=mean,
        variance=mean + extra,
        lead_periods=lead,
        lead_periods_sd=sd,
        review_periods=review,
        service_level=p,
    )
    row = policy.reorder_levels(frame).iloc[0]
    assert 0 <= row.reorder_point <= row.order_up_to
    assert row.reorder_point == np.floor(row.reorder_point)
    # The reorder point is the quantile of lead-time demand plus the undershoot at ordering.
    u_mean, u_var = policy.undershoot(mean, mean + extra, 0.0)
    lead = policy.lead_time_demand(frame, {})
    higher = policy.count_quantile(
        lead["demand_mean"].iloc[0] + u_mean, lead["demand_var"].iloc[0] + u_var,
        min(p + 0.0005, 0.9995),
    )  # fmt: skip
    assert higher >= row.reorder_point


def test_abc_80_15_5_of_cumulative_value():
    # shares 50, 30, 10, 5, 3, 2 %: share before each 0, .50, .80, .90, .95, .98
    values = pd.Series([3.0, 50.0, 10.0, 2.0, 30.0, 5.0], index=list("fabecd"))
    assert policy.abc_classes(values).to_dict() == {
        "f": "C",
        "a": "A",
        "b": "B",
        "e": "C",
        "c": "A",
        "d": "B",
    }


def test_abc_the_item_that_crosses_80_percent_is_a():
    assert policy.abc_classes(pd.Series([90.0, 6.0, 4.0])).tolist() == ["A", "B", "C"]


def test_abc_zero_values_and_zero_total_are_c():
    assert policy.abc_classes(pd.Series([10.0, 0.0, None])).tolist() == ["A", "C", "C"]
    assert policy.abc_classes(pd.Series([0.0, 0.0])).tolist() == ["C", "C"]
    assert policy.abc_classes(pd.Series([], dtype=float)).tolist() == []


def test_abc_repeated_index_labels_are_classed_by_position():
    values = pd.Series([1.0, 99.0], index=["same", "same"])
    assert policy.abc_classes(values).tolist() == ["C", "A"]


def test_abc_refuses_negative_values_and_bad_cuts():
    with pytest.raises(ValueError, match="negative"):
        policy.abc_classes(pd.Series([1.0, -1.0]))
    with pytest.raises(ValueError, match="cuts"):
        policy.abc_classes(pd.Series([1.0]), cuts=(0.95, 0.8))


def test_default_service_levels_by_class():
    levels = policy.default_service_levels(pd.Series(["A", "B", "C"]))
    assert levels.tolist() == [0.98, 0.95, 0.90]


def _poisson_loss(k, mean):
    # E[(D - k)+] = E[D] - k + sum_{j<k} (k - j) P(D = j)
    return mean - k + sum((k - j) * exp(-mean) * mean**j / factorial(j) for j in range(k))


def test_expected_shortfall_hand_computed():
    # Poisson(4): E[(D-1)+] = 4 - 1 + P(D=0) = 3 + e^-4; NB(4, 0.5): 3 + P(D=0) = 3 + 1/16
    assert policy.expected_shortfall(4.0, 4.0, 1) == pytest.approx(3 + exp(-4))
    assert policy.expected_shortfall(4.0, 8.0, 1) == pytest.approx(3.0625)
    assert policy.expected_shortfall(4.0, 8.0, 0) == pytest.approx(4.0)
    assert policy.expected_shortfall(4.0, 4.0, 7) == pytest.approx(_poisson_loss(7, 4))
    assert policy.expected_shortfall(0.0, 0.0, 3) == 0


def test_fill_rate_reorder_point_hand_computed():
    # Lead-time demand Poisson(4), cycle demand Q = 4, fill rate 0.95: shortage allowed per
    # cycle 0.2. ESC(s) = L(s) - L(s + 4): ESC(5) = 0.398 > 0.2, ESC(6) = 0.191 <= 0.2 -> s = 6.
    esc = [_poisson_loss(s, 4) - _poisson_loss(s + 4, 4) for s in (5, 6)]
    assert esc[0] > 0.2 >= esc[1]
    assert policy.fill_rate_reorder_point(4.0, 4.0, 4.0, 0.95) == 6
    # A slow cycle (Q below one unit counts as 1): ESC(s) = P(D > s) <= 0.05 -> s = 8.
    assert policy.fill_rate_reorder_point(4.0, 4.0, 0.2, 0.95) == 8
    assert policy.fill_rate_reorder_point(0.0, 0.0, 0.0, 0.95) == 0


def test_fill_rate_levels_add_the_review_demand_to_the_reorder_point():
    # mu = var = 2 per period, L = 2 -> Poisson(4); R = 2 -> Q = 4: s = 6, S = 6 + 4 = 10.
    frame = _series(review_periods=2.0, service_level=0.95)
    row = policy.reorder_levels(frame, measure="fill_rate").iloc[0]
    assert (row.reorder_point, row.order_up_to) == (6, 10)
    with pytest.raises(ValueError, match="measure"):
        policy.reorder_levels(frame, measure="nonsense")


def test_undershoot_hand_computed():
    # Unit demands checked at every transaction cross the reorder point exactly.
    assert policy.undershoot(4.0, 4.0, 0.0) == (0.0, 0.0)
    # NB mean 4 variance 8: clumps with E[X^2]/E[X] = 2 -> (2 - 1) / 2 = 0.5, variance 0.75.
    assert policy.undershoot(4.0, 8.0, 0.0) == (pytest.approx(0.5), pytest.approx(0.75))
    # Poisson(4) per period checked every quarter period: a check sees Poisson(1),
    # E[X(X - 1)] / (2 E[X]) = 1 / 2.
    assert policy.undershoot(4.0, 4.0, 0.25) == (pytest.approx(0.5), pytest.approx(0.75))
    assert policy.undershoot(0.0, 0.0, 1.0) == (0.0, 0.0)


def test_undershoot_raises_the_fill_rate_reorder_point():
    # Poisson(2) per period, L = 2, R = 2, checked every half period: U has mean 0.5 and
    # variance 0.75, so the reorder point covers D_L + U (mean 4.5, variance 4.75) over a
    # cycle of Q = 4 + 0.5 units, above the s = 6 of unit demands.
    frame = _series(review_periods=2.0, service_level=0.95, check_periods=0.5)
    row = policy.reorder_levels(frame, measure="fill_rate").iloc[0]
    assert row.reorder_point == policy.fill_rate_reorder_point(4.5, 4.75, 4.5, 0.95) == 7
    assert row.order_up_to == 7 + 4
    cycle = policy.reorder_levels(frame).iloc[0]
    assert cycle.reorder_point == policy.count_quantile(4.5, 4.75, 0.95)


def test_a_zero_forecast_with_demand_in_its_history_is_stocked_at_the_long_run_rate():
    # Dead series, history 0.1 a period: D_L ~ Poisson(0.1) over L = 1; at fill rate 0.9 the
    # shortage per one-unit cycle at s = 0 is P(D_L >= 1) = 1 - e^-0.1 = 0.095 <= 0.1: s = 0,
    # S = 1 (one unit held). Without the history (or with none in it) nothing is held.
    frame = _series(mean=0.0, variance=0.0, lead_periods=1.0, review_periods=1.0, service_level=0.9)
    dead = policy.reorder_levels(frame.assign(history_mean=0.1), measure="fill_rate").iloc[0]
    assert (dead.reorder_point, dead.order_up_to) == (0, 1)
    for f in (frame, frame.assign(history_mean=0.0)):
        row = policy.reorder_levels(f, measure="fill_rate").iloc[0]
        assert (row.reorder_point, row.order_up_to) == (0, 0)
    # A series with a forecast keeps it, whatever its history.
    live = _series(review_periods=2.0, service_level=0.95, history_mean=50.0)
    row = policy.reorder_levels(live, measure="fill_rate").iloc[0]
    assert (row.reorder_point, row.order_up_to) == (6, 10)


def test_a_level_error_held_over_the_lead_time_adds_its_variance_times_the_squared_periods():
    # mu 2, noise variance 3, L 2, sd_L 0.5, level error variance 1:
    # 2*3 + 2**2 * 0.5**2 + 1 * (2**2 + 0.5**2) = 6 + 1 + 4.25 = 11.25
    mean, var = policy.demand_over(2.0, 3.0, 2.0, 0.5, 1.0)
    assert (mean, var) == (4.0, 11.25)
    # a fraction of a period (a 14-day lead time on monthly forecasts): 0.5*3 + 0.25 * 1 = 1.75
    assert policy.demand_over(2.0, 3.0, 0.5, 0.0, 1.0) == (1.0, 1.75)


def test_noise_and_level_variance_columns_replace_independent_periods():
    # mu 2, L 2: independent (variance 2) -> Poisson(4), 95% quantile 8. Noise 2 and a level
    # error of variance 0.5: 2*2 + 0.5 * 2**2 = 6 -> NB(r = 16/2 = 8, p = 4/6):
    # P(D <= 7) = 0.9118 < 0.95 <= P(D <= 8) = 0.9500375.
    assert _nbinom_cdf(7, 8, 2 / 3) < 0.95 <= _nbinom_cdf(8, 8, 2 / 3)
    split = _series(noise_variance=2.0, level_variance=0.5)
    out = policy.lead_time_demand(split, {"reorder_point": 0.95})
    assert out[["demand_mean", "demand_var", "reorder_point"]].iloc[0].tolist() == [4, 6, 8]
    assert policy.lead_time_demand(_series(), {"reorder_point": 0.95})["reorder_point"][0] == 8
    levels = policy.reorder_levels(split.assign(service_level=0.95))
    assert levels[["lead_demand_var", "reorder_point"]].iloc[0].tolist() == [6, 8]
    # at 0.92 they differ: Poisson(4) 7 (P(D <= 7) = 0.949), the NB 8 (P(D <= 7) = 0.9118)
    assert policy.reorder_levels(_series(service_level=0.92))["reorder_point"][0] == 7
    assert policy.reorder_levels(split.assign(service_level=0.92))["reorder_point"][0] == 8


def test_negative_noise_or_level_variance_is_refused():
    with pytest.raises(ValueError, match="level_variance"):
        policy.lead_time_demand(_series(noise_variance=1.0, level_variance=-1.0), {})


# --- the forecast path over the lead time ---------------------------------------------------

_PATH = pd.DataFrame(
    {
        "item_id": ["peak"] * 4 + ["flat"] * 4,
        "period": list(pd.period_range("2027-01", periods=4, freq="M").to_timestamp()) * 2,
        "mean": [10.0, 20.0, 30.0, 40.0, 5.0, 5.0, 5.0, 5.0],
    }
)


@pytest.mark.parametrize(
    ("series", "periods", "expected"),
    [
        ("peak", 1, 10.0),  # the first period alone
        ("peak", 2, 15.0),  # (10 + 20) / 2
        ("peak", 2.5, 18.0),  # (10 + 20 + 0.5 * 30) / 2.5
        ("peak", 4, 25.0),  # the whole horizon: its average
        ("peak", 6, 25.0),  # (100 + 2 * 25) / 6: past the horizon its average carries on
        ("peak", 0, 10.0),  # no periods: the first period's mean
        ("flat", 3, 5.0),
    ],
)
def test_path_mean_over_the_first_periods(series, periods, expected):
    assert policy.path_mean(_PATH, [series], [periods])[0] == pytest.approx(expected)


def test_path_mean_is_nan_for_an_unknown_series_and_reads_negatives_as_zero():
    path = _PATH.assign(mean=[-4.0, 8.0, 8.0, 8.0, 1.0, 1.0, 1.0, 1.0])
    out = policy.path_mean(path, ["peak", "missing", "flat"], [2, 2, 2])
    assert out[0] == pytest.approx(4.0)  # (0 + 8) / 2
    assert np.isnan(out[1]) and out[2] == pytest.approx(1.0)


def test_path_mean_of_an_empty_path_is_nan():
    assert np.isnan(policy.path_mean(_PATH.iloc[:0], ["peak"], [2])).all()
