"""Local days of stored UTC moments, in bulk: exact at midnight and across daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from inventory.db.zones import local_days

EPOCH = date(1970, 1, 1)


def _reference(seconds, zone) -> list:
    """One value at a time, the way Python's own datetime sees it."""
    days = []
    for s in seconds:
        local = None if np.isnan(s) else datetime.fromtimestamp(s, UTC).astimezone(zone)
        days.append(None if local is None else (local.date() - EPOCH).days)
    return days


@pytest.mark.parametrize(
    "name", ["UTC", "Europe/Berlin", "Pacific/Honolulu", "Asia/Tokyo", "Australia/Lord_Howe"]
)
def test_each_moment_falls_on_its_local_day(name):
    zone = ZoneInfo(name)
    moments = []
    # Local midnight and the second before it, on days around both of 2026's changes in Europe
    # and Australia, and a year apart so several transitions lie between the first and last.
    for day in ("2026-03-28", "2026-03-29", "2026-03-30", "2026-04-05", "2026-10-25",
                "2026-10-26", "2027-03-28"):  # fmt: skip
        midnight = datetime.fromisoformat(day).replace(tzinfo=zone)
        for delta in (timedelta(0), timedelta(seconds=-1), timedelta(hours=23, minutes=30)):
            moments.append((midnight + delta).timestamp())
    seconds = np.array(moments + [np.nan], dtype="float64")
    got = local_days(seconds, zone)
    expected = _reference(seconds, zone)
    assert [None if np.isnan(x) else int(x) for x in got] == expected


def test_none_known_and_one_moment():
    zone = ZoneInfo("Asia/Tokyo")
    assert np.isnan(local_days(np.array([np.nan, np.nan]), zone)).all()
    assert local_days(np.array([], dtype="float64"), zone).shape == (0,)
    # 2026-06-30 15:00 UTC is midnight of 1 July in Tokyo.
    moment = datetime(2026, 6, 30, 15, tzinfo=UTC).timestamp()
    assert local_days(np.array([moment - 1, moment]), zone).tolist() == [
        (date(2026, 6, 30) - EPOCH).days,
        (date(2026, 7, 1) - EPOCH).days,
    ]
