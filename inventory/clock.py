"""The one place that reads the clock, so services and tests agree on what 'now' is."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

_pinned: ContextVar[datetime | None] = ContextVar("pinned_now", default=None)

# The days a query may name. The calendar's own ends are a time zone or a default window away
# from overflowing (a year before 0001-01-01, a day after 9999-12-31); no ledger is that old.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


def now() -> datetime:
    pinned = _pinned.get()
    return pinned if pinned is not None else datetime.now(UTC)


@contextmanager
def pinned(moment: datetime) -> Iterator[datetime]:
    """Make ``now()`` return ``moment`` inside the block, in this thread/context only.

    For loaders that replay history (the demo data set) so the ledger carries real past dates.
    Services never call it; requests always see the real clock.
    """
    if moment.tzinfo is None:
        raise ValueError("pin the clock to an aware datetime")
    token = _pinned.set(moment.astimezone(UTC))
    try:
        yield moment
    finally:
        _pinned.reset(token)


def service_zone() -> tzinfo:
    """The zone whose calendar days are the service's days (``SERVICE_TIME_ZONE``, UTC when no
    app is running): demand periods and a run's date are days of this zone."""
    from flask import current_app, has_app_context

    name = current_app.config.get("SERVICE_TIME_ZONE", "UTC") if has_app_context() else "UTC"
    return ZoneInfo(name)


def today() -> date:
    """Today in the service time zone."""
    return now().astimezone(service_zone()).date()
