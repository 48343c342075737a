"""Accuracy figures with hand-computed values."""

import numpy as np
import pandas as pd
import pytest

from forecasting.metrics import accuracy, seasonal_naive, summarize


def test_hand_computed_figures():
    p = pd.date_range("2024-01-01", periods=4, freq="MS")
    # history 2, 4, 2: naive errors 2, 2 -> mean |e| 2, mean e² 4.
    history = pd.DataFrame({"item_id": "a", "period": p[:3], "qty": [2.0, 4.0, 2.0]})
    actuals = pd.DataFrame(
        {
            "item_id": "a",
            "period": pd.date_range("2024-04-01", periods=2, freq="MS"),
            "qty": [1.0, 5.0],
        }
    )
    fc = actuals[["item_id", "period"]].assign(
        mean=[3.0, 3.0],
        **{"q0.1": [1.0, 1.0], "q0.9": [4.0, 4.0]},
        lo_80=[1.0, 1.0],
        hi_80=[4.0, 4.0],
    )
    row = accuracy(actuals, fc, history).iloc[0]
    # errors (f − y): 2, −2 -> MAE 2, MSE 4, mean 0
    assert row.mase == pytest.approx(1.0)
    assert row.rmsse == pytest.approx(1.0)
    assert row.bias == pytest.approx(0.0)
    # pinball: q0.1 at y=1: 0; at y=5: 0.1*4=0.4. q0.9 at y=1: 0.1*3=0.3; at y=5: 0.9*1=0.9.
    # mean over 4 = 0.4, scaled by 2 = 0.2
    assert row.scaled_pinball == pytest.approx(0.2)
    assert row.cover_80 == pytest.approx(0.5)


def test_flat_history_has_no_scale_and_drops_out_of_the_overall_mean():
    p = pd.date_range("2024-01-01", periods=3, freq="MS")
    history = pd.DataFrame(
        {"item_id": ["a"] * 3 + ["b"] * 3, "period": list(p) * 2, "qty": [1.0, 1, 1, 0, 2, 0]}
    )
    nxt = pd.Timestamp("2024-04-01")
    actuals = pd.DataFrame({"item_id": ["a", "b"], "period": [nxt, nxt], "qty": [1.0, 3.0]})
    fc = actuals[["item_id", "period"]].assign(mean=[1.0, 1.0])
    per = accuracy(actuals, fc, history).set_index("item_id")
    assert np.isnan(per.loc["a", "mase"])
    assert per.loc["b", "mase"] == pytest.approx(1.0)
    assert summarize(per.reset_index())["mase"].iloc[0] == pytest.approx(1.0)


def test_rolling_origins_scale_each_period_by_the_history_known_then():
    p = pd.date_range("2024-01-01", periods=6, freq="MS")
    # origin A knows 2, 4 (naive |e| 2); origin B knows 2, 4, 2, 6 (|e| 2, 2, 4: mean 8/3).
    history = pd.concat(
        [
            pd.DataFrame({"item_id": "a", "origin": "A", "period": p[:2], "qty": [2.0, 4.0]}),
            pd.DataFrame({"item_id": "a", "origin": "B", "period": p[:4], "qty": [2.0, 4, 2, 6]}),
        ]
    )
    actuals = pd.DataFrame({"item_id": "a", "period": p[4:], "qty": [3.0, 3.0]})
    fc = pd.DataFrame({"item_id": "a", "origin": ["A", "B"], "period": p[4:], "mean": [5.0, 1.0]})
    row = accuracy(actuals, fc, history).iloc[0]
    # errors 2 and −2: |2|/2 = 1 and |−2|/(8/3) = 0.75
    assert row.mase == pytest.approx((1 + 0.75) / 2)
    assert row.mean_error == pytest.approx(0.0)


def test_seasonal_naive_repeats_the_season_and_falls_back_to_lag_one():
    p = pd.date_range("2024-01-01", periods=4, freq="MS")
    history = pd.DataFrame(
        {"item_id": ["long"] * 4 + ["short"] * 3, "period": list(p) + list(p[:3])}
        | {"qty": [1.0, 5.0, 2.0, 6.0, 3.0, 1.0, 4.0]}
    )
    targets = pd.DataFrame({"item_id": ["long"] * 3 + ["short"], "step": [1, 2, 3, 1]})
    naive = seasonal_naive(history, targets, 2, (0.5,), short_history_lag=1)
    # long, lag 2: 2, 6, 2; differences 1, 1 -> median 1. short (3 < 2 seasons), lag 1: 4;
    # differences −2, 3 -> median 0.5.
    assert naive["mean"].tolist() == [2.0, 6.0, 2.0, 4.0]
    assert naive["q0.5"].tolist() == [3.0, 7.0, 3.0, 4.5]
