"""forecasting/select.py and the backtest tiers in core.py: which candidates a series may choose
from, and which series get a backtest of their own."""

import numpy as np
import pandas as pd
import pytest

from forecasting import forecast
from forecasting.core import backtest_tiers
from forecasting.select import add_combinations, choose
from tests.unit.forecasting.conftest import monthly


def _cv(forecasts: dict[str, float], y: float = 10.0, n: int = 6) -> pd.DataFrame:
    """A backtest of one series: n periods with actual y, each model a constant forecast."""
    return pd.DataFrame(
        {"unique_id": ["s"] * n, "y": [y] * n, **{m: [v] * n for m, v in forecasts.items()}}
    )


def test_combinations_grow_by_what_corrects_the_leader_not_by_rank():
    # Actual 10. A over by 2 (best alone), B over by 2.1 (second: A's near twin), C under by 3
    # (worst alone). Mean of A and B: over by 2.05; of A and C: 9.5, under by 0.5. So the pair
    # is A+C, and the three: (12 + 7 + 12.1) / 3 = 10.37.
    cv = _cv({"A": 12.0, "B": 12.1, "C": 7.0})
    added = add_combinations(cv, ["A", "B", "C"], np.ones((1, 1)))
    assert added == ["A+C", "A+C+B"]
    assert cv["A+C"].iloc[0] == 9.5
    assert abs(cv["A+C+B"].iloc[0] - 31.1 / 3) < 1e-12


def test_choose_takes_the_combination_that_backtests_best():
    cv = _cv({"A": 12.0, "B": 12.1, "C": 7.0})
    choice = choose(cv, ["A", "B", "C"], pd.Series({"s": 1.0}))
    assert choice.order == ["A", "B", "C"]
    assert choice.table.loc["s", "label"] == "A+C+B"
    assert abs(choice.table.loc["s", "bt_mse"] - (31.1 / 3 - 10) ** 2) < 1e-12


def test_one_model_makes_no_combination():
    cv = _cv({"A": 12.0})
    assert add_combinations(cv, ["A"], np.ones((1, 1))) == []


def test_backtest_tiers_halve_the_horizon_until_the_history_fits():
    # Monthly, horizon and season 12, 3 origins: a tier of horizon h and step h // 2 needs
    # h + 2 steps of test and max(h, 7) periods before the first origin (7: AutoETS's least).
    periods = pd.Series({"a": 50, "b": 30, "c": 19, "d": 12, "e": 9, "f": 36, "g": 35, "h": 18})
    tiers = backtest_tiers(periods, 12, 12)
    got = [(h, step, list(ids)) for h, step, ids in tiers]
    assert got == [
        (12, 6, ["a", "f"]),  # 12 + 12 + 12 = 36
        (6, 3, ["b", "c", "g"]),  # 6 + 6 + 7 = 19
        (3, 1, ["d", "h"]),  # 3 + 2 + 7 = 12
    ]  # e (9) is under the one-period tier's 1 + 2 + 7 = 10


def test_backtest_tiers_edges():
    assert backtest_tiers(pd.Series(dtype=int), 12, 12) == []
    # A horizon shorter than the season sets the first tier; a one-period horizon is one tier.
    assert [(h, s) for h, s, _ in backtest_tiers(pd.Series({"a": 40}), 4, 12)] == [(4, 2)]
    assert [(h, s, list(i)) for h, s, i in backtest_tiers(pd.Series({"a": 10}), 1, 12)] == [
        (1, 1, ["a"])
    ]
    assert backtest_tiers(pd.Series({"a": 9}), 1, 12) == []


@pytest.mark.parametrize("horizon", [1, 3, 4, 12])
def test_short_smooth_histories_forecast_at_every_horizon(horizon):
    # Each origin of a backtest fits on at least 7 points (AutoETS refuses fewer), and a series
    # too short for any backtest takes a model that fits any length: 11 months at horizon 3
    # made AutoETS raise "tiny datasets" before.
    rng = np.random.default_rng(horizon)
    lengths = {f"n{n}": n for n in range(6, 16)} | {"long": 40}
    history = monthly({k: rng.poisson(20, n) for k, n in lengths.items()})
    for k, n in lengths.items():  # every series ends in the same month
        history.loc[history["item_id"] == k, "period"] += pd.DateOffset(months=40 - n)
    series = forecast(history, horizon, "M").series.set_index("item_id")
    assert len(series) == 11
    assert (series["demand_class"] == "smooth").all()
    assert (series["mean"] > 10).all()


def test_a_series_shorter_than_the_full_backtest_is_chosen_on_its_own_errors():
    # 30 months: too short for 12-month backtests from 3 origins (36 needed), long enough for
    # 6-month ones. Its choice and variance then come from its own backtest.
    rng = np.random.default_rng(3)
    history = monthly({"long": rng.poisson(20, 48), "short": rng.poisson(30, 30)})
    history.loc[history["item_id"] == "short", "period"] += pd.DateOffset(months=18)
    series = forecast(history, 12, "M").series.set_index("item_id")
    assert series.loc["short", "demand_class"] == "smooth"
    assert np.isfinite(series.loc["short", "backtest_rmsse"])
    assert np.isfinite(series.loc["long", "backtest_rmsse"])


def test_a_model_that_cannot_forecast_every_series_ranks_last_and_is_no_candidate_where_it_cannot():
    # S (seasonal naive, say) is exact on "s" but has no forecast for the young "t": it ranks
    # after A and B, however good, and "t" chooses among what forecasts it.
    cv = pd.concat(
        [
            _cv({"A": 12.0, "B": 9.0, "S": 10.0}).assign(unique_id="s"),
            _cv({"A": 12.0, "B": 9.0, "S": np.nan}).assign(unique_id="t"),
        ],
        ignore_index=True,
    )
    choice = choose(cv, ["A", "B", "S"], pd.Series({"s": 1.0, "t": 1.0}))
    assert choice.order == ["B", "A", "S"]
    assert choice.table.loc["s", "label"] == "S"
    assert "S" not in choice.table.loc["t", "label"].split("+")
