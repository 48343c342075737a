"""The reorder chunk's levels read the forecast path over each level's own periods, so a seasonal
peak counts where it falls (worked through forecasting.policy.lead_time_demand by hand)."""

from __future__ import annotations

import pandas as pd

from forecasting import policy
from inventory.services import reorder_chunk

MONTH_DAYS = 365.25 / 12


def _plan() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sid": ["1@1"],
            "has_fc": [True],
            "mean": [25.0],  # the horizon's average of the path below
            "variance": [25.0],
            "lead_mean": [MONTH_DAYS],  # one period
            "lead_sd": [0.0],
            "review_days": [MONTH_DAYS],  # one more period for the order-up-to level
            "service_level": [0.95],
        }
    )


def _levels_at(mean_over_lead: float, mean_over_cover: float) -> tuple[float, float]:
    def quantile(mean, periods):
        series = pd.DataFrame(
            {"item_id": ["x"], "mean": [mean], "variance": [25.0], "lead_periods": [periods],
             "lead_periods_sd": [0.0], "service_level": [0.95]}
        )  # fmt: skip
        return policy.lead_time_demand(series, {"q": "service_level"})["q"].iat[0]

    rop = quantile(mean_over_lead, 1.0)
    return rop, max(quantile(mean_over_cover, 2.0), rop)


def test_a_rising_path_sets_lower_levels_than_its_average_would():
    path = pd.DataFrame(
        {
            "item_id": ["1@1"] * 4,
            "period": pd.period_range("2027-01", periods=4, freq="M").to_timestamp(),
            "mean": [10.0, 20.0, 30.0, 40.0],
        }
    )
    with_path = reorder_chunk._levels(_plan(), {"freq": "M"}, path)
    flat = reorder_chunk._levels(_plan(), {"freq": "M"})
    assert (with_path["rop"].iat[0], with_path["out"].iat[0]) == _levels_at(10.0, 15.0)
    assert (flat["rop"].iat[0], flat["out"].iat[0]) == _levels_at(25.0, 25.0)
    assert with_path["rop"].iat[0] < flat["rop"].iat[0]


def test_a_series_the_path_does_not_hold_keeps_the_horizon_mean():
    other = pd.DataFrame(
        {"item_id": ["9@9"], "period": [pd.Timestamp("2027-01-01")], "mean": [1.0]}
    )
    levels = reorder_chunk._levels(_plan(), {"freq": "M"}, other)
    assert (levels["rop"].iat[0], levels["out"].iat[0]) == _levels_at(25.0, 25.0)
