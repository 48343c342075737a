"""A time zone's UTC offsets over a stretch of time, for turning stored UTC moments into local
days in bulk: SQLite knows no zones, and pandas converts with a ``zoneinfo`` zone one value at a
time. Both callers read ``offsets`` and look each moment up among a few transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import numpy as np

SECONDS_PER_DAY = 86400


def offsets(zone: tzinfo, first: datetime, last: datetime) -> list[tuple[datetime, int]]:
    """``[(until, offset_seconds)]``: each offset in force up to ``until`` (naive UTC), from
    ``first`` to ``last`` (aware); the last entry's ``until`` is ``last``. Transitions are found
    to the minute (zones move on whole minutes)."""

    def offset(moment: datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds())

    spans: list[tuple[datetime, int]] = []
    current, moment = offset(first), first
    while moment < last:
        step = min(moment + timedelta(days=1), last)
        if offset(step) != current:
            low, high = moment, step  # offset(low) == current, offset(high) differs
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                low, high = (mid, high) if offset(mid) == current else (low, mid)
            high = high.replace(second=0, microsecond=0)
            spans.append((high.astimezone(UTC).replace(tzinfo=None), current))
            current, moment = offset(high), high
            continue
        moment = step
    spans.append((last.astimezone(UTC).replace(tzinfo=None), current))
    return spans


def local_days(seconds: np.ndarray, zone: tzinfo) -> np.ndarray:
    """Seconds since 1970-01-01 UTC (floats, NaN for none) as the days since 1970-01-01 of their
    calendar day in ``zone`` (floats, NaN kept): one offset lookup per moment among the zone's
    transitions between the earliest and the latest, daylight saving included."""
    seconds = np.asarray(seconds, dtype="float64")
    known = seconds[~np.isnan(seconds)]
    if not len(known):
        return np.full(len(seconds), np.nan)
    first = datetime.fromtimestamp(float(known.min()), UTC)
    last = datetime.fromtimestamp(float(known.max()), UTC) + timedelta(seconds=1)
    spans = offsets(zone, first, last)
    epoch = datetime(1970, 1, 1)
    ends = np.array([(until - epoch).total_seconds() for until, _ in spans[:-1]])
    shift = np.array([offset for _, offset in spans], dtype="float64")
    in_force = shift[np.searchsorted(ends, seconds, side="right")]
    return np.floor((seconds + in_force) / SECONDS_PER_DAY)
