"""The file contract: `python -m forecasting forecast IN --horizon --freq --levels --output`."""

import gzip
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from forecasting.cli import main

ROOT = Path(__file__).resolve().parents[3]
GOOD = "item_id,period,qty\n" + "".join(
    f"{item},2023-{m:02d},{q}\n" for item, q in (("A", 3), ("B", 0)) for m in range(1, 13)
)


def run(tmp_path, text, *extra, name="in.csv", horizon="3", freq="M", levels="80,95"):
    src = tmp_path / name
    if name.endswith(".gz"):
        src.write_bytes(gzip.compress(text.encode()))
    else:
        src.write_text(text)
    out = tmp_path / "out.csv"
    args = ["forecast", str(src), "--horizon", horizon, "--freq", freq, "--output", str(out)]
    code = main([*args, "--levels", levels, *extra])
    return code, out


def test_good_file_gives_one_row_per_item_and_future_month(tmp_path, capsys):
    code, out = run(tmp_path, GOOD)
    assert code == 0 and capsys.readouterr().err == ""
    got = pd.read_csv(out)
    assert list(got.columns[:7]) == [
        "item_id",
        "period",
        "mean",
        "lo_80",
        "hi_80",
        "lo_95",
        "hi_95",
    ]
    assert list(got.columns[-2:]) == ["model", "demand_class"]
    assert "q0.5" in got.columns and "q0.99" in got.columns
    assert got["period"].tolist() == ["2024-01", "2024-02", "2024-03"] * 2
    assert got.set_index(["item_id", "period"]).loc[("A", "2024-01"), "mean"] == pytest.approx(3)
    assert (got.loc[got["item_id"] == "B", "mean"] == 0).all()


def test_gzip_input_and_weekly_dates(tmp_path):
    weekly = "item_id,period,qty\n" + "".join(
        f"W1,{d:%Y-%m-%d},{i % 3}\n"
        for i, d in enumerate(pd.date_range("2024-01-01", periods=20, freq="W-MON"))
    )
    code, out = run(tmp_path, weekly, name="in.csv.gz", freq="W", horizon="4", levels="90")
    assert code == 0
    got = pd.read_csv(out)
    assert got["period"].tolist() == ["2024-05-20", "2024-05-27", "2024-06-03", "2024-06-10"]
    assert {"lo_90", "hi_90"} <= set(got.columns) and "lo_80" not in got.columns


@pytest.mark.parametrize(
    "text, kwargs, expected",
    [
        ("item_id,qty\nA,1\n", {}, "missing column(s) period"),
        (GOOD.replace("A,2023-05,3", "A,2023/05,3"), {}, "line 6, column period"),
        (GOOD.replace("A,2023-05,3", "A,2023-05,three"), {}, "line 6, column qty"),
        (GOOD.replace("A,2023-05,3", "A,2023-05,-3"), {}, "line 6, column qty: -3 is negative"),
        (GOOD + "A,2023-05,1\n", {}, "line 26, columns item_id/period: item 'A' period 2023-05"),
        ("", {}, "empty"),
        ("item_id,period,qty\n", {}, "no rows"),
        (GOOD, {"horizon": "500"}, "--horizon"),
        (GOOD, {"levels": "80,abc"}, "--levels"),
        (GOOD, {"levels": "80,100"}, "--levels"),
        (GOOD.replace("A,2023-05,3", "A,2023-05-01,3"), {}, "line 6, column period"),
        # Above 2**53 the count quantiles' search never ended; 1e160 broke AutoTheta's fit.
        (GOOD.replace("A,2023-05,3", "A,2023-05,1e16"), {}, "line 6, column qty: 1e+16 is over"),
        # pandas skips blank lines: the line named is still the file's own.
        (GOOD.replace("A,2023-05,3\n", "\n\nA,2023-05,x\n"), {}, "line 8, column qty"),
        (
            GOOD.replace("A,2023-05,3", "A,2260-05,3"),
            {},
            "line 6, column period: 2260-05 is outside",
        ),
        (GOOD, {"levels": "80,80.00001"}, "--levels: 80.00001 has more digits"),
    ],
)
def test_bad_input_one_line_exit_2_no_output(tmp_path, capsys, text, kwargs, expected):
    code, out = run(tmp_path, text, **kwargs)
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert not out.exists()
    assert list(tmp_path.glob(".forecast-*")) == []


def test_real_subprocess(tmp_path):
    src = tmp_path / "in.csv.gz"
    src.write_bytes(gzip.compress(GOOD.encode()))
    out = tmp_path / "out.csv"
    cmd = [sys.executable, "-m", "forecasting", "forecast", str(src), "--horizon", "2"]
    done = subprocess.run(
        [*cmd, "--freq", "M", "--levels", "80,95", "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(out)) == 4
    bad = subprocess.run(
        [*cmd, "--freq", "M", "--levels", "80", "--output", str(tmp_path / "x.csv")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=None,
        timeout=300,
    )
    assert bad.returncode == 0
    src.write_bytes(gzip.compress(b"item_id,period,qty\nA,2023-01,-1\n"))
    refused = subprocess.run(
        [*cmd, "--freq", "M", "--output", str(tmp_path / "y.csv")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0 and "line 2, column qty" in refused.stderr
    assert not (tmp_path / "y.csv").exists()


def test_a_damaged_gzip_is_a_one_line_refusal(tmp_path, capsys):
    src = tmp_path / "in.csv.gz"
    src.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff\xff\xff")
    out = tmp_path / "out.csv"
    assert main(["forecast", str(src), "--horizon", "2", "--freq", "M", "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert "cannot read the file" in err and err.count("\n") == 1 and not out.exists()


@pytest.mark.parametrize("where", ["missing/out.csv", ".", ""])
def test_an_output_that_cannot_be_written_is_a_one_line_refusal(tmp_path, capsys, where):
    src = tmp_path / "in.csv"
    src.write_text(GOOD)
    target = str(tmp_path / where) if where else ""
    assert main(["forecast", str(src), "--horizon", "2", "--freq", "M", "--output", target]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --output") and err.count("\n") == 1


def test_output_is_compressed_by_its_ending_and_a_link_keeps_pointing(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(GOOD)
    packed = tmp_path / "out.csv.gz"
    assert (
        main(["forecast", str(src), "--horizon", "2", "--freq", "M", "--output", str(packed)]) == 0
    )
    assert gzip.decompress(packed.read_bytes()).startswith(b"item_id,period,mean")
    real, link = tmp_path / "real.csv", tmp_path / "link.csv"
    link.symlink_to(real)
    assert main(["forecast", str(src), "--horizon", "2", "--freq", "M", "--output", str(link)]) == 0
    assert link.is_symlink() and len(pd.read_csv(real)) == 4


def test_a_bad_argument_is_one_line_too(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["forecast", "in.csv", "--horizon", "2", "--freq", "m", "--output", "o.csv"])
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert err.count("\n") == 1 and err.startswith("error: argument --freq")
