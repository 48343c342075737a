"""Which items a cycle count takes on a given working day.

Each item is counted ``per_year[class]`` times a calendar year (A 4, B 2, C 1 by default). The
year's counts are laid out as events: an item counted ``f`` times has events at the fractions
``(j + phase) / f`` of the year (``j = 0..f-1``), its ``phase`` its rank within its class over
the class size, so a class's items are staggered through each interval. All events sorted by
that fraction are then dealt out over the year's working days (Monday to Friday) in order: day
``d`` of ``W`` takes the events ``floor(d·N/W) .. floor((d+1)·N/W) - 1`` of ``N``. So every
working day gets ``N/W`` events rounded down or up, each item comes up ``f`` times, about a
``1/f`` of the year apart, and the plan depends only on the day and the item list: running it
twice for a day gives the same items. Items added or reclassed during the year shift the plan
from then on (documented; the next year's plan is exact again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

DEFAULT_COUNTS_PER_YEAR = {"A": 4, "B": 2, "C": 1}


def working_days(year: int) -> list[date]:
    """Every Monday-to-Friday of ``year``."""
    day, last, days = date(year, 1, 1), date(year, 12, 31), []
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def check_counts_per_year(per_year: Mapping[str, int]) -> dict[str, int]:
    """The counts per year for A, B and C: whole numbers from 0 to 52 (weekly at most)."""
    checked = {}
    for cls in ("A", "B", "C"):
        value = per_year.get(cls, DEFAULT_COUNTS_PER_YEAR[cls])
        if not isinstance(value, int) or not 0 <= value <= 52:
            raise ValueError(f"counts per year of class {cls} must be 0..52, not {value!r}")
        checked[cls] = value
    return checked


def due_items(
    day: date,
    items: Sequence[tuple[int, str]],
    per_year: Mapping[str, int] = DEFAULT_COUNTS_PER_YEAR,
) -> list[int]:
    """The item ids ``items`` (``(item_id, class)``) due for counting on ``day``, sorted; none on
    a Saturday or Sunday."""
    if day.weekday() >= 5:
        return []
    per_year = check_counts_per_year(per_year)
    days = working_days(day.year)
    index = days.index(day)
    by_class: dict[str, list[int]] = {}
    for item_id, cls in sorted(items):
        by_class.setdefault(cls if cls in per_year else "C", []).append(item_id)
    events = []
    for cls, ids in by_class.items():
        f = per_year[cls]
        for rank, item_id in enumerate(ids):
            phase = rank / len(ids)
            events.extend(((j + phase) / f, item_id) for j in range(f))
    events.sort()
    total, width = len(events), len(days)
    start, stop = index * total // width, (index + 1) * total // width
    return sorted({item_id for _, item_id in events[start:stop]})
