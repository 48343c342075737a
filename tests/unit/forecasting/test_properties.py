"""Properties that hold for any history (hypothesis): kept small, statsforecast runs per example."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting import DEFAULT_QUANTILES, forecast

QCOLS = [f"q{q:g}" for q in DEFAULT_QUANTILES]
FAST = settings(max_examples=12, deadline=None, derandomize=True)

counts = st.lists(st.integers(min_value=0, max_value=40), min_size=8, max_size=30)
sparse = st.lists(
    st.one_of(st.just(0), st.just(0), st.integers(min_value=0, max_value=15)),
    min_size=8,
    max_size=30,
)


def frame(values, item="a"):
    return pd.DataFrame(
        {
            "item_id": item,
            "period": pd.date_range("2021-01-01", periods=len(values), freq="MS"),
            "qty": np.asarray(values, float),
        }
    )


@FAST
@given(st.one_of(counts, sparse), st.integers(min_value=2, max_value=9))
def test_scaling_a_series_scales_its_mean_forecast(values, factor):
    base = forecast(frame(values), 4, "M").forecasts
    scaled = forecast(frame(np.asarray(values) * factor), 4, "M").forecasts
    assert (scaled["demand_class"] == base["demand_class"]).all()
    np.testing.assert_allclose(scaled["mean"], base["mean"] * factor, rtol=0.02, atol=1e-6)


@FAST
@given(st.integers(min_value=1, max_value=40), st.sampled_from(["D", "W", "M"]))
def test_all_zero_history_forecasts_zero(length, freq):
    history = frame([0] * length).assign(
        period=pd.date_range(
            "2022-01-03", periods=length, freq={"D": "D", "W": "W-MON"}.get(freq, "MS")
        )
    )
    fc = forecast(history, 3, freq).forecasts
    assert (fc[["mean", "lo_80", "hi_80", "lo_95", "hi_95"] + QCOLS].to_numpy() == 0).all()


@FAST
@given(st.lists(st.one_of(counts, sparse), min_size=1, max_size=4))
def test_never_negative_and_quantiles_non_decreasing(series):
    history = pd.concat([frame(v, item=f"i{i}") for i, v in enumerate(series)])
    fc = forecast(history, 6, "M").forecasts
    numbers = fc[["mean", "lo_80", "hi_80", "lo_95", "hi_95"] + QCOLS].to_numpy()
    assert np.isfinite(numbers).all() and (numbers >= 0).all()
    assert (np.diff(fc[QCOLS].to_numpy(), axis=1) >= 0).all()
    assert (fc["lo_95"] <= fc["lo_80"]).all() and (fc["lo_80"] <= fc["hi_80"]).all()
    assert (fc["hi_80"] <= fc["hi_95"]).all()
