"""History frames: period arithmetic per frequency, validation, filling absent periods with zero and
censoring stocked-out periods. Everything is vectorised over all series at once."""

from __future__ import annotations

import numpy as np
import pandas as pd

# The pandas frequency of each period kind; a period is labelled by its first day.
PANDAS_FREQ = {"D": "D", "W": "W-MON", "M": "MS"}
# One year: the season seasonal naive repeats, and the window in which no demand means "dead".
SEASON_LENGTH = {"D": 7, "W": 52, "M": 12}
# A period's demand at most (the API's largest quantity): far beyond any stock, and far below
# where float counts (2**53) and the models' fits stop being exact.
MAX_QTY = 1e12
_EPOCH_MONDAY = pd.Timestamp("1970-01-05")  # a Monday, so week ticks start on Mondays


def check_freq(freq: str) -> str:
    if freq not in PANDAS_FREQ:
        raise ValueError(f"freq must be one of D, W, M (got {freq!r})")
    return freq


def period_start(values: pd.Series, freq: str) -> pd.Series:
    """The first day of each timestamp's period: the day, its week's Monday, or the 1st."""
    ts = pd.to_datetime(values).dt.normalize()
    if freq == "D":
        return ts
    if freq == "W":
        return ts - pd.to_timedelta(ts.dt.weekday, unit="D")
    return ts.dt.to_period("M").dt.to_timestamp()


def to_tick(starts: pd.Series, freq: str) -> np.ndarray:
    """Period starts as consecutive integers, so gaps and grids are plain integer arithmetic."""
    if freq == "M":
        return (starts.dt.year * 12 + starts.dt.month - 1).to_numpy(np.int64)
    days = ((starts - _EPOCH_MONDAY) // pd.Timedelta(days=1)).to_numpy(np.int64)
    return days if freq == "D" else days // 7


def from_tick(ticks: np.ndarray, freq: str) -> pd.DatetimeIndex:
    ticks = np.asarray(ticks, dtype=np.int64)
    if freq == "M":
        return pd.to_datetime({"year": ticks // 12, "month": ticks % 12 + 1, "day": 1})
    days = ticks if freq == "D" else ticks * 7
    return pd.DatetimeIndex(_EPOCH_MONDAY + pd.to_timedelta(days, unit="D"))


def validate(history: pd.DataFrame) -> None:
    """Refuse what cannot be forecast, naming what is wrong (ValueError)."""
    missing = [c for c in ("item_id", "period", "qty") if c not in history.columns]
    if missing:
        raise ValueError(f"history lacks column(s): {', '.join(missing)}")
    qty = pd.to_numeric(history["qty"], errors="coerce")
    if qty.isna().any():
        raise ValueError(f"qty is not a number in row {int(np.flatnonzero(qty.isna())[0])}")
    if (qty < 0).any():
        raise ValueError(f"qty is negative in row {int(np.flatnonzero(qty < 0)[0])}")
    if not np.isfinite(qty.to_numpy(float)).all():
        raise ValueError("qty must be finite")
    if (qty > MAX_QTY).any():
        row = int(np.flatnonzero(qty > MAX_QTY)[0])
        raise ValueError(f"qty is over {MAX_QTY:g} in row {row}")


def fill(history: pd.DataFrame, freq: str) -> pd.DataFrame:
    """[unique_id, tick, ds, y, stocked_out] with every period from a series' first row to the last
    period of the whole frame (the common forecast origin); absent periods are zero demand.

    Duplicate item/period rows are refused: summing them silently would hide a bad extract."""
    check_freq(freq)
    validate(history)
    starts = period_start(history["period"], freq)
    frame = pd.DataFrame(
        {
            "unique_id": history["item_id"].to_numpy(),
            "tick": to_tick(starts, freq),
            "y": pd.to_numeric(history["qty"]).to_numpy(float),
            "stocked_out": (
                history["stocked_out"].astype("boolean").fillna(False).to_numpy(bool)
                if "stocked_out" in history.columns
                else np.zeros(len(history), bool)
            ),
        }
    )
    dup = frame.duplicated(["unique_id", "tick"])
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise ValueError(f"duplicate item/period in row {row} (item {frame['unique_id'][row]!r})")
    end = int(frame["tick"].max())
    first = frame.groupby("unique_id", sort=True)["tick"].min()
    lengths = (end - first.to_numpy() + 1).astype(np.int64)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    grid = pd.DataFrame(
        {
            "unique_id": np.repeat(first.index.to_numpy(), lengths),
            "tick": np.repeat(first.to_numpy(), lengths) + offsets,
        }
    )
    full = grid.merge(frame, on=["unique_id", "tick"], how="left", sort=False)
    full["y"] = full["y"].fillna(0.0)
    full["stocked_out"] = full["stocked_out"].astype("boolean").fillna(False).astype(bool)
    full["ds"] = from_tick(full["tick"].to_numpy(), freq)
    return censor(full)


def censor(full: pd.DataFrame) -> pd.DataFrame:
    """A stocked-out period's sales are a lower bound on its demand, not its demand: read it as the
    larger of what was sold and the series' mean over periods that were in stock. A series out of
    stock throughout keeps what it sold (there is nothing better to read)."""
    if not full["stocked_out"].any():
        return full
    in_stock = full["y"].where(~full["stocked_out"])
    level = in_stock.groupby(full["unique_id"]).transform("mean")
    full["y"] = np.where(full["stocked_out"], np.fmax(full["y"], level.fillna(0.0)), full["y"])
    return full
