"""Accounting periods: calendar months of the service time zone, named ``YYYY-MM``.

Periods close in order, each once: the first close may be any month that has ended, every later
one the month after the last closed. A closed period's books are fixed: nothing may be posted
dated on or before the end of the last closed period. Reopening a period reopens every later
one too (their snapshots start from it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from inventory.errors import Conflict, ValidationFailed

_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Period:
    year: int
    month: int

    @property
    def name(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def starts_at(self, zone: tzinfo) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=zone).astimezone(UTC)

    def ends_at(self, zone: tzinfo) -> datetime:
        """The next period's first moment: the period holds what is dated before it."""
        return self.next().starts_at(zone)


# The years of inventory.clock's FIRST_DAY and LAST_DAY (the domain reads no clock module).
FIRST_YEAR, LAST_YEAR = 1900, 9998


def parse(name: str) -> Period:
    found = _PATTERN.match(name or "")
    if not found:
        raise ValidationFailed(
            "A period is a month written YYYY-MM.", errors={"period": [f"Not a month: {name!r}."]}
        )
    year = int(found.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        # 9999-12 would end in year 10000, which no date holds.
        raise ValidationFailed(
            f"Periods run from {FIRST_YEAR}-01 to {LAST_YEAR}-12.",
            errors={"period": [f"{name} is outside {FIRST_YEAR}-01 to {LAST_YEAR}-12."]},
        )
    return Period(year, int(found.group(2)))


def of(moment: datetime, zone: tzinfo) -> Period:
    local = moment.astimezone(zone)
    return Period(local.year, local.month)


def check_closable(period: Period, last_closed: str | None, now: datetime, zone: tzinfo) -> None:
    """Refuse (409) closing a period twice, out of order, or before it has ended."""
    if last_closed is not None and period.name <= last_closed:
        raise Conflict(
            f"Period {period.name} is closed already (the books are closed through {last_closed}).",
            extra={"period": period.name, "closed_through": last_closed},
        )
    if last_closed is not None and period != parse(last_closed).next():
        expected = parse(last_closed).next().name
        raise Conflict(
            f"Periods close in order: close {expected} before {period.name}.",
            extra={"period": period.name, "next": expected},
        )
    if period.ends_at(zone) > now:
        raise Conflict(
            f"Period {period.name} has not ended yet; it can be closed from "
            f"{period.next().name}-01 on.",
            extra={"period": period.name},
        )


def check_open(moment: datetime, closed_through: str | None, zone: tzinfo) -> None:
    """Refuse (409) a posting dated ``moment`` inside a closed period."""
    if closed_through is None:
        return
    period = of(moment, zone)
    if period.name <= closed_through:
        raise Conflict(
            f"Period {period.name} is closed (the books are closed through {closed_through}), "
            f"so nothing dated {moment.astimezone(zone).date().isoformat()} can be posted. "
            "An admin may reopen the period; otherwise post in an open period.",
            extra={"period": period.name, "closed_through": closed_through},
        )


def check_reopenable(period: Period, last_closed: str | None) -> None:
    if last_closed is None or period.name > last_closed:
        raise Conflict(
            f"Period {period.name} is not closed.",
            extra={"period": period.name, "closed_through": last_closed},
        )
