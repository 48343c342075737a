"""Accuracy figures with hand-computed values."""

import numpy as np
import pandas as pd
import pytest

from forecasting.metrics import accuracy, summarize


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
