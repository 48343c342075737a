"""`python -m forecasting forecast IN.csv --horizon 12 --freq M --levels 80,95 --output OUT.csv`

IN (plain or .gz): item_id, period, qty; period is YYYY-MM for M and an ISO date for D and W.
OUT: one row per item and future period. A bad file gets one line on stderr naming the row and
column, exit status 2, and no output file."""

from __future__ import annotations

import argparse
import bz2
import csv
import gzip
import lzma
import os
import re
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from .core import DEFAULT_QUANTILES, MAX_HORIZON, forecast
from .frames import MAX_QTY

REQUIRED = ("item_id", "period", "qty")
_PERIOD = {"M": r"\d{4}-\d{2}", "W": r"\d{4}-\d{2}-\d{2}", "D": r"\d{4}-\d{2}-\d{2}"}


class InputError(ValueError):
    """A refusal the user can act on; the message is the whole line printed."""


_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
# What a damaged compressed file raises besides OSError and EOFError.
_CORRUPT = (zlib.error, lzma.LZMAError, zipfile.BadZipFile)
# The periods read: a forecast of up to MAX_HORIZON periods from them stays inside the dates
# pandas can hold (1677-09-21 to 2262-04-11).
FIRST_DAY, LAST_DAY = pd.Timestamp("1900-01-01"), pd.Timestamp("2199-12-31")


def _line_of(path: str):
    """The file line on which record ``i`` (0 = the first after the header) starts. pandas
    skips blank lines and a quoted field may span lines, so the record's place is not its line:
    on a refusal (only then) the file is read once more with ``csv`` to find it."""

    def line(i: int) -> int:
        try:
            opener = _OPENERS.get(os.path.splitext(path)[1].lower(), open)
            with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
                reader, seen, last = csv.reader(handle), -1, 0
                for record in reader:
                    start, last = last + 1, reader.line_num
                    if record and any(field != "" for field in record):
                        if seen == int(i):
                            return start
                        seen += 1
        except (OSError, UnicodeDecodeError, csv.Error, EOFError, *_CORRUPT):
            pass
        return int(i) + 2  # a header line, then 1-based rows

    return line


def read_history(path: str, freq: str) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, compression="infer")
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{path}: the file is empty") from exc
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, EOFError, *_CORRUPT) as exc:
        raise InputError(f"{path}: cannot read the file ({_one_line(exc)})") from exc
    _row = _line_of(path)  # the header is record -1
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
    shaped = text.str.fullmatch(_PERIOD[freq])
    unreadable = period.isna() | ~shaped
    if unreadable.any():
        i = np.flatnonzero(unreadable)[0]
        if not (shaped.iloc[i] and _calendar_date(text.iloc[i], fmt)):
            want = "YYYY-MM" if freq == "M" else "an ISO date YYYY-MM-DD"
            raise InputError(
                f"{path}: line {_row(i)}, column period: {text.iloc[i]!r} is not {want}"
            )
    outside = unreadable | (period < FIRST_DAY) | (period > LAST_DAY)
    if outside.any():
        i = np.flatnonzero(outside)[0]
        raise InputError(
            f"{path}: line {_row(i)}, column period: {text.iloc[i]} is outside the years "
            f"{FIRST_DAY.year} to {LAST_DAY.year} that are forecast"
        )
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
    bad = qty > MAX_QTY
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise InputError(
            f"{path}: line {_row(i)}, column qty: {qty.iloc[i]:g} is over the largest "
            f"quantity a period may hold ({MAX_QTY:g})"
        )
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


def _calendar_date(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def parse_levels(text: str) -> tuple[float, ...]:
    try:
        levels = tuple(float(x) for x in text.split(","))
    except ValueError as exc:
        raise InputError(f"--levels: {text!r} is not a list of numbers like 80,95") from exc
    if not levels or any(not 0 < lv < 100 for lv in levels) or len(set(levels)) != len(levels):
        raise InputError(f"--levels: {text!r} must be distinct percentages between 0 and 100")
    for lv in levels:
        # Column names carry a level to 6 significant digits; one they cannot carry would
        # come out under another level's name (80.00001 as lo_80) or a wrong one (lo_100).
        if float(f"{lv:g}") != lv:
            raise InputError(
                f"--levels: {lv!r} has more digits than its columns can name (lo_{lv:g}); "
                "give at most 6 significant digits"
            )
    return levels


def write_output(frame: pd.DataFrame, freq: str, path: str) -> None:
    out = frame.copy()
    out["period"] = out["period"].dt.strftime("%Y-%m" if freq == "M" else "%Y-%m-%d")
    if not path:
        raise InputError("--output: give a file name")
    target = os.path.realpath(path)  # a link's target is written, the link kept
    if os.path.isdir(target):
        raise InputError(f"--output: {path} is a folder; give a file name")
    try:
        if os.path.exists(target) and not os.path.isfile(target):
            # A device or pipe (/dev/stdout) is written as it is: renaming onto it would
            # replace it with a file.
            out.to_csv(target, index=False, float_format="%.6g")
            return
        # Written beside the target and renamed, so a failure leaves no half-written file; the
        # target's own ending (.gz) still says how to compress it.
        folder = os.path.dirname(target)
        suffix = ".part" + os.path.splitext(target)[1]
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".forecast-", suffix=suffix)
        os.close(fd)
        try:
            out.to_csv(tmp, index=False, float_format="%.6g", compression="infer")
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        raise InputError(f"--output: cannot write {path} ({exc.strerror or exc})") from exc


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        # One line, as for a bad file, not argparse's usage block before it.
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m forecasting")
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
    args = parser.parse_args(argv)  # usage errors exit 2 with one line (_Parser.error)
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
