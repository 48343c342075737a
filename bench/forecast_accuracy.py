"""Forecast accuracy: ours through the CLI beside every single statsforecast model and a global
LightGBM model (mlforecast, bench/global_model.py), same run.

    python bench/forecast_accuracy.py [--origins 0,6,12] [FILE.csv.gz ...]
                                                    (default: bench/data/*.csv.gz, origin 0)

Each file has columns month (YYYY-MM), series, qty. The last 12 months are held out; our forecast
runs as a user would run it, `python -m forecasting forecast ... --horizon 12 --freq M`, on the
rest; the baselines run in this process on the same filled history, with the intervals
statsforecast gives them (native where the model has them, conformal otherwise), scored as given;
LightGBM is one fit over all series of the file, with mlforecast's conformal intervals.
Only series with actuals in the held-out year are scored. Figures: mean over series of MASE,
RMSSE, scaled pinball loss (scaled by the in-sample one-step naive error), 80%/95% coverage.

`--origins` repeats the whole comparison with the data cut K months before its end (K = 0 is the
bench): the same method judged on other years, a check that it is not tuned to the last one.
With more than one origin a summary of ours against the best single model closes the output."""

from __future__ import annotations

import argparse
import glob
import os
import subprocess
import sys
import tempfile
import time
import warnings

import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("NIXTLA_ID_AS_COL", "1")

from statsforecast import StatsForecast  # noqa: E402
from statsforecast.models import (  # noqa: E402
    ADIDA,
    IMAPA,
    TSB,
    AutoETS,
    AutoTheta,
    CrostonClassic,
    CrostonSBA,
    SeasonalNaive,
)
from statsforecast.utils import ConformalIntervals  # noqa: E402

from bench import global_model  # noqa: E402
from forecasting.core import DEFAULT_QUANTILES  # noqa: E402
from forecasting.frames import fill  # noqa: E402
from forecasting.metrics import accuracy, summarize  # noqa: E402

HOLDOUT = 12
SEASON = 12
# Baseline quantiles from statsforecast's central intervals: level L gives (1 ± L/100) / 2;
# the median is the point forecast.
Q_FROM_LEVEL = {0.025: (95, "lo"), 0.1: (80, "lo"), 0.9: (80, "hi"), 0.95: (90, "hi"),
                0.975: (95, "hi"), 0.99: (98, "hi")}  # fmt: skip
LEVELS = [80, 90, 95, 98]
FIGURES = ["mase", "rmsse", "scaled_pinball", "cover_80", "cover_95"]


def baselines() -> list:
    conformal = ConformalIntervals(h=HOLDOUT, n_windows=2)
    return [
        SeasonalNaive(season_length=SEASON),
        CrostonClassic(prediction_intervals=conformal),
        CrostonSBA(prediction_intervals=conformal),
        TSB(alpha_d=0.1, alpha_p=0.1, prediction_intervals=conformal),
        ADIDA(prediction_intervals=conformal),
        IMAPA(prediction_intervals=conformal),
        AutoETS(season_length=SEASON),
        AutoTheta(season_length=SEASON),
    ]


def load(path: str, back: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history, held-out year) of a file, its last `back` months dropped first."""
    raw = pd.read_csv(path, dtype={"series": str, "month": str})
    frame = pd.DataFrame(
        {
            "item_id": raw["series"],
            "period": pd.PeriodIndex(raw["month"], freq="M").to_timestamp(),
            "qty": raw["qty"].astype(float),
        }
    )
    frame = frame[frame["period"] <= frame["period"].max() - pd.DateOffset(months=back)]
    cut = frame["period"].max() - pd.DateOffset(months=HOLDOUT)
    return frame[frame["period"] <= cut], frame[frame["period"] > cut]


def ours(train: pd.DataFrame, workdir: str) -> tuple[pd.DataFrame, float]:
    src = os.path.join(workdir, "train.csv.gz")
    dst = os.path.join(workdir, "forecast.csv")
    out = train.assign(period=train["period"].dt.strftime("%Y-%m"))
    out.to_csv(src, index=False, compression="gzip")
    cmd = [sys.executable, "-m", "forecasting", "forecast", src, "--horizon", str(HOLDOUT)]
    cmd += ["--freq", "M", "--levels", "80,95", "--output", dst]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    fc = pd.read_csv(dst, dtype={"item_id": str})
    fc["period"] = pd.PeriodIndex(fc["period"], freq="M").to_timestamp()
    return fc, seconds


def single_models(full: pd.DataFrame) -> tuple[dict[str, pd.DataFrame], float]:
    """Every single model's forecast frame, and the seconds LightGBM took (fit and predict)."""
    df = full[["unique_id", "ds", "y"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = StatsForecast(models=baselines(), freq="MS", n_jobs=1).forecast(
            df=df, h=HOLDOUT, level=LEVELS
        )
    start = time.perf_counter()
    gfc = global_model.predict(df, HOLDOUT, LEVELS, SEASON)
    global_seconds = time.perf_counter() - start
    fc = fc.merge(gfc, on=["unique_id", "ds"])
    fc = fc.rename(columns={"unique_id": "item_id", "ds": "period"})
    out = {}
    for model in [repr(m) for m in baselines()] + [global_model.NAME]:
        frame = fc[["item_id", "period"]].copy()
        frame["mean"] = fc[model]
        for q in DEFAULT_QUANTILES:
            if q == 0.5:
                frame["q0.5"] = fc[model]
            else:
                level, side = Q_FROM_LEVEL[q]
                frame[f"q{q:g}"] = fc[f"{model}-{side}-{level}"]
        for level in (80, 95):
            frame[f"lo_{level}"] = fc[f"{model}-lo-{level}"]
            frame[f"hi_{level}"] = fc[f"{model}-hi-{level}"]
        out[model] = frame
    return out, global_seconds


def run(path: str, back: int = 0) -> dict:
    """Prints one file's comparison; returns ours and the best single model's figures."""
    name = os.path.basename(path).split(".")[0]
    train, test = load(path, back)
    full = fill(train, "M")
    history = full.rename(columns={"unique_id": "item_id", "ds": "period", "y": "qty"})
    with tempfile.TemporaryDirectory() as workdir:
        mine, seconds = ours(train, workdir)
    start = time.perf_counter()
    others, global_seconds = single_models(full)
    base_seconds = time.perf_counter() - start

    rows = {}
    scored = {}
    for label, fc in {"ours": mine, **others}.items():
        per = accuracy(test, fc, history)
        scored[label] = per
        rows[label] = summarize(per)[FIGURES].iloc[0]
    table = pd.DataFrame(rows).T
    table["rmsse ours/x"] = table.loc["ours", "rmsse"] / table["rmsse"]
    table["mase ours/x"] = table.loc["ours", "mase"] / table["mase"]
    table["spl ours/x"] = table.loc["ours", "scaled_pinball"] / table["scaled_pinball"]
    best = table.drop(index="ours")["rmsse"].idxmin()
    origin = f", origin {back} months before the file's end" if back else ""
    print(f"\n## {name}: {history['item_id'].nunique()} series, {len(scored['ours'])} scored, "
          f"last {HOLDOUT} months held out{origin}")  # fmt: skip
    print(f"ours through the CLI: {seconds:.1f} s; all single models in-process: "
          f"{base_seconds:.1f} s (of which LightGBM {global_seconds:.1f} s)")  # fmt: skip
    print(table.round(3).to_string())
    classes = mine.groupby("item_id")[["demand_class", "model"]].first()
    per = scored["ours"].merge(classes, left_on="item_id", right_index=True)
    print("\nours by demand class:")
    print(summarize(per, "demand_class")[["demand_class", "items"] + FIGURES].round(3).to_string())
    ok_rmsse = table.loc["ours", "rmsse"] < table.drop(index="ours")["rmsse"].min()
    cover = (
        abs(table.loc["ours", "cover_80"] - 0.80) <= 0.03
        and abs(table.loc["ours", "cover_95"] - 0.95) <= 0.03
    )
    print(f"\naim: RMSSE below every single model (best: {best} "
          f"{table.loc[best, 'rmsse']:.3f}): {'yes' if ok_rmsse else 'NO'}; "
          f"coverage within 3 points of nominal: {'yes' if cover else 'NO'}")  # fmt: skip
    ours_row = table.loc["ours"]
    return {
        "file": name, "back": back, "ours": ours_row["rmsse"], "best single": best,
        "its rmsse": table.loc[best, "rmsse"],
        "ours/best": ours_row["rmsse"] / table.loc[best, "rmsse"],
        "cover_80": ours_row["cover_80"], "cover_95": ours_row["cover_95"],
    }  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--origins", default="0", help="months before the end, e.g. 0,6,12")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    backs = [int(b) for b in args.origins.split(",")]
    files = args.files or sorted(glob.glob(os.path.join(ROOT, "bench", "data", "*.csv.gz")))
    print("# bench-forecast: accuracy (python bench/forecast_accuracy.py)")
    rows = [run(path, back) for path in files for back in backs]
    if len(backs) > 1:
        print("\n## ours against the best single model at each origin (RMSSE)")
        print(pd.DataFrame(rows).round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
