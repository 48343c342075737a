"""Syntetos–Boylan classes with hand-computed ADI and CV² at and around the cuts."""

import pandas as pd
import pytest

from forecasting import classify
from tests.unit.forecasting.conftest import monthly


def one(values):
    return classify(monthly({"a": values}), "M").iloc[0]


def test_smooth_series_has_adi_one_and_cv2_zero():
    row = one([5] * 12)
    assert (row.demand_class, row.adi, row.cv2) == ("smooth", 1.0, 0.0)
    assert (row.periods, row.nonzero_periods) == (12, 12)


def test_erratic_at_the_cv2_cut():
    # sizes 1 and 3 alternate: mean 2, population variance 1, CV² = 1/4 — below the cut.
    assert one([1, 3] * 6).demand_class == "smooth"
    # CV² of equal halves of sizes x and y is ((y−x)/(y+x))²; x=3, y=17: (14/20)² = 0.49.
    row = one([3, 17] * 6)
    assert row.cv2 == pytest.approx(0.49)
    assert row.demand_class == "erratic"
    # Just under the cut: x=3, y=16.9 gives (13.9/19.9)² = 0.4879
    assert one([3, 16.9] * 6).demand_class == "smooth"


def test_intermittent_at_the_adi_cut():
    # 33 periods with 25 demands: ADI = 33/25 = 1.32 exactly -> intermittent.
    row = one([0] * 8 + [2] * 25)
    assert row.adi == pytest.approx(1.32)
    assert row.demand_class == "intermittent"
    # 33 periods with 26 demands: ADI = 1.2692 -> smooth.
    assert one([2] * 26 + [0] * 7 + [2]).adi < 1.32


def test_lumpy_is_intermittent_and_erratic():
    row = one([0, 1, 0, 9, 0, 0, 1, 0, 12, 0, 0, 1])
    # 12 periods, 5 demands: ADI 2.4; sizes 1, 9, 1, 12, 1: mean 4.8,
    # variance 45.6 − 4.8² = 22.56, CV² 0.9792
    assert row.adi == pytest.approx(2.4)
    assert row.cv2 == pytest.approx(22.56 / 23.04)
    assert row.demand_class == "lumpy"


def test_new_when_shorter_than_six_months_and_dead_without_demand_for_a_year():
    frame = pd.concat(
        [
            monthly({"dead": [5, 2] + [0] * 12, "alive": [5] + [0] * 12 + [1]}),
            monthly({"young": [4, 0, 3, 1, 2]}, start="2021-02-01"),  # starts last
        ]
    )
    got = classify(frame, "M").set_index("item_id")["demand_class"]
    assert got.to_dict() == {"alive": "intermittent", "dead": "dead", "young": "new"}


def test_absent_months_inside_a_series_are_zero_demand():
    frame = monthly({"a": [4] * 12})
    frame = frame.drop(index=[3, 5, 7]).reset_index(drop=True)
    row = classify(frame, "M").iloc[0]
    assert (row.periods, row.nonzero_periods, row.adi) == (12, 9, pytest.approx(12 / 9))


def test_weekly_periods_fold_to_mondays():
    frame = pd.DataFrame(
        {"item_id": "w", "period": pd.date_range("2024-01-03", periods=10, freq="7D"), "qty": 1.0}
    )
    assert classify(frame, "W").iloc[0].periods == 10
