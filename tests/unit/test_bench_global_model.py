"""The accuracy bench's global LightGBM model (bench/global_model.py): frame in, frame out."""

import numpy as np
import pandas as pd
import pytest

global_model = pytest.importorskip("bench.global_model")

H = 6
LEVELS = [80, 95]


def _history(seed: int = 3) -> pd.DataFrame:
    """Twelve monthly series ending in the same month (as the bench fills them): counts around
    different levels, some mostly zero, one only 14 months long."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(12):
        n = 14 if i == 0 else 36
        ds = pd.date_range(end="2022-12-01", periods=n, freq="MS")
        rate = 0.3 if i % 3 == 0 else 5.0 * (i + 1)
        frames.append(pd.DataFrame({"unique_id": f"s{i:02d}", "ds": ds, "y": rng.poisson(rate, n)}))
    return pd.concat(frames, ignore_index=True).astype({"y": float})


def test_one_row_per_series_and_period_with_the_bench_columns():
    df = _history()
    fc = global_model.predict(df, H, LEVELS)
    ids = sorted(df["unique_id"].unique())
    assert fc["unique_id"].tolist() == list(np.repeat(ids, H))
    assert fc.groupby("unique_id")["ds"].min().eq(pd.Timestamp("2023-01-01")).all()
    assert fc.groupby("unique_id")["ds"].max().eq(pd.Timestamp("2023-06-01")).all()
    wanted = {global_model.NAME} | {
        f"{global_model.NAME}-{s}-{lv}" for s in ("lo", "hi") for lv in LEVELS
    }
    assert wanted <= set(fc.columns)
    assert not fc[sorted(wanted)].isna().any().any()


def test_never_negative_and_intervals_ordered():
    df = _history()
    # A series that falls to zero: the recursive forecast would go below zero unclipped.
    down = pd.DataFrame(
        {"unique_id": "zz", "ds": pd.date_range(end="2022-12-01", periods=36, freq="MS"),
         "y": np.linspace(40.0, 0.0, 36)}
    )  # fmt: skip
    fc = global_model.predict(pd.concat([df, down], ignore_index=True), H, LEVELS)
    cols = [c for c in fc.columns if c.startswith(global_model.NAME)]
    assert (fc[cols].to_numpy() >= 0).all()
    name = global_model.NAME
    assert (fc[f"{name}-lo-95"] <= fc[f"{name}-lo-80"] + 1e-9).all()
    assert (fc[f"{name}-lo-80"] <= fc[name] + 1e-9).all()
    assert (fc[name] <= fc[f"{name}-hi-80"] + 1e-9).all()
    assert (fc[f"{name}-hi-80"] <= fc[f"{name}-hi-95"] + 1e-9).all()


def test_same_answers_on_every_run():
    df = _history()
    a = global_model.predict(df, H, LEVELS)
    b = global_model.predict(df.sample(frac=1.0, random_state=1), H, LEVELS)
    pd.testing.assert_frame_equal(a, b)
