"""`python -m forecasting forecast IN.csv --horizon 12 --freq M --levels 80,95 --output OUT.csv`

IN (plain or .gz): item_id, period, qty; period is YYYY-MM for M and an ISO date for D and W.
OUT: one row per item and future period. A bad file gets one line on stderr naming the row and
column, exit status 2, and no output file."""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .core import DEFAULT_QUANTILES, MAX_HORIZON, forecast

REQUIRED = ("item_id", "period", "qty")
_PERIOD = {"M": r"\d{4}-\d{2}", "W": r"\d{4}-\d{2}-\d{2}", "D": r"\d{4}-\d{2}-\d{2}"}


class InputError(ValueError):
    """A refusal the user can act on; the message is the whole line printed."""


def _row(i: int) -> int:
    return int(i) + 2  # the file's line number: a header line, then 1-based rows


def read_history(path: str, freq: str) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, compression="infer")
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{path}: the file is empty") from exc
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, EOFError) as exc:
        raise InputError(f"{path}: cannot read the file ({exc})") from exc
    raw.columns = [c.strip() for c in raw.columns]
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)} in the header (line 1)")
    if raw.empty:
        raise InputError(f"{path}: no rows after the header")
    ids = raw["item_id"].str.strip()
    bad = ids == ""
    if bad.any():
        raise InputError(f"{path}: line {_row(np.flatnonzero(bad)[0])}, column item_id: empty")
    text = raw["period"].str.strip()
    fmt = "%Y-%m" if freq == "M" else "%Y-%m-%d"
    period = pd.to_datetime(text, format=fmt, errors="coerce")
    bad = period.isna() | ~text.str.fullmatch(_PERIOD[freq])
    if bad.any():
        i = np.flatnonzero(bad)[0]
        want = "YYYY-MM" if freq == "M" else "an ISO date YYYY-MM-DD"
        raise InputError(f"{path}: line {_row(i)}, column period: {text.iloc[i]!r} is not {want}")
    qty = pd.to_numeric(raw["qty"].str.strip(), errors="coerce")
    bad = qty.isna() | ~np.isfinite(qty.to_numpy(float))
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise InputError(
            f"{path}: line {_row(i)}, column qty: {raw['qty'].iloc[i]!r} is not a number"
        )
    bad = qty < 0
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise InputError(f"{path}: line {_row(i)}, column qty: {qty.iloc[i]:g} is negative")
    history = pd.DataFrame({"item_id": ids, "period": period, "qty": qty.astype(float)})
    from .frames import period_start

    keys = pd.DataFrame({"item_id": ids, "p": period_start(period, freq)})
    dup = keys.duplicated()
    if dup.any():
        i = np.flatnonzero(dup)[0]
        first = np.flatnonzero((keys == keys.iloc[i]).all(axis=1))[0]
        raise InputError(
            f"{path}: line {_row(i)}, columns item_id/period: item {ids.iloc[i]!r} period "
            f"{text.iloc[i]} already on line {_row(first)}"
        )
    return history


def parse_levels(text: str) -> tuple[float, ...]:
    try:
        levels = tuple(float(x) for x in text.split(","))
    except ValueError as exc:
        raise InputError(f"--levels: {text!r} is not a list of numbers like 80,95") from exc
    if not levels or any(not 0 < lv < 100 for lv in levels) or len(set(levels)) != len(levels):
        raise InputError(f"--levels: {text!r} must be distinct percentages between 0 and 100")
    return levels


def write_output(frame: pd.DataFrame, freq: str, path: str) -> None:
    out = frame.copy()
    out["period"] = out["period"].dt.strftime("%Y-%m" if freq == "M" else "%Y-%m-%d")
    # Written beside the target and renamed, so a failure leaves no half-written file.
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
    os.close(fd)
    try:
        out.to_csv(tmp, index=False, float_format="%.6g")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m forecasting")
    sub = parser.add_subparsers(dest="command", required=True)
    fc = sub.add_parser("forecast", help="forecast every series of a history file")
    fc.add_argument("input", help="CSV (or .csv.gz) with item_id, period, qty")
    fc.add_argument("--horizon", type=int, required=True)
    fc.add_argument("--freq", choices=("D", "W", "M"), required=True)
    fc.add_argument("--levels", default="80,95")
    fc.add_argument("--output", required=True)
    fc.add_argument("--season-length", type=int, default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors exit 2 with argparse's one-line message
    try:
        if not 1 <= args.horizon <= MAX_HORIZON:
            raise InputError(f"--horizon: {args.horizon} is outside 1..{MAX_HORIZON}")
        if args.season_length is not None and args.season_length < 1:
            raise InputError("--season-length: must be at least 1")
        levels = parse_levels(args.levels)
        history = read_history(args.input, args.freq)
        result = forecast(
            history,
            args.horizon,
            args.freq,
            levels=levels,
            quantiles=DEFAULT_QUANTILES,
            season_length=args.season_length,
        )
        write_output(result.forecasts, args.freq, args.output)
    except (InputError, ValueError) as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    return 0


def _one_line(exc: Exception) -> str:
    return re.sub(r"\s+", " ", str(exc)).strip()
