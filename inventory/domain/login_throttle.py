"""When failed logins refuse a login: per username and per address, each with its own limit.

The rules, in full:
- Failures count within a sliding window (``window``), separately for the username tried and for
  the address the attempt came from.
- A username with ``per_username`` failures in the window is refused from every address: that
  stops one account's password being guessed. Its failures never count against another user.
- An address with ``per_address`` failures in the window is refused for every username: that
  stops one client trying many accounts. Many people share an address (an office behind one NAT,
  everyone behind the reverse proxy when it is not trusted), so this limit is set far higher.
- A refusal says when to try again: when the oldest failure that keeps the count at its limit
  leaves the window, at least one second from now.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ThrottledBy(StrEnum):
    USERNAME = "username"
    ADDRESS = "address"


@dataclass(frozen=True)
class ThrottleLimits:
    per_username: int = 5
    per_address: int = 100
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Refusal:
    by: ThrottledBy
    retry_after: int  # seconds

    @property
    def message(self) -> str:
        whose = "for this username" if self.by is ThrottledBy.USERNAME else "from this address"
        return f"Too many failed logins {whose}; try again in {self.retry_after} s."


def seconds_until_allowed(
    recent_newest_first: Sequence[datetime], limit: int, window: timedelta, now: datetime
) -> int | None:
    """Seconds until fewer than ``limit`` of these failure times lie in the window ending now;
    None when that is already so. Only the newest ``limit`` times matter."""
    if limit <= 0:
        return None  # a limit of 0 turns that throttle off
    live = [at for at in recent_newest_first[:limit] if at > now - window]
    if len(live) < limit:
        return None
    # The limit-th newest failure is the one whose leaving brings the count under the limit.
    remaining = (live[limit - 1] + window - now).total_seconds()
    return max(1, math.ceil(remaining))


def login_refusal(
    username_failures: Sequence[datetime],
    address_failures: Sequence[datetime],
    limits: ThrottleLimits,
    now: datetime,
) -> Refusal | None:
    """Whether a login is refused before its password is even checked, and for how long; the
    failure times come newest first."""
    refusals = [
        Refusal(by, wait)
        for by, times, limit in (
            (ThrottledBy.USERNAME, username_failures, limits.per_username),
            (ThrottledBy.ADDRESS, address_failures, limits.per_address),
        )
        if (wait := seconds_until_allowed(times, limit, limits.window, now)) is not None
    ]
    # Both at once: the caller must wait for the later of the two.
    return max(refusals, key=lambda r: r.retry_after, default=None)
