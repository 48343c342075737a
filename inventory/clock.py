"""The one place that reads the clock, so services and tests agree on what 'now' is."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
