"""The login throttle's decision: per username and per address, each against its own limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inventory.domain.login_throttle import (
    ThrottledBy,
    ThrottleLimits,
    login_refusal,
    seconds_until_allowed,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
LIMITS = ThrottleLimits(per_username=5, per_address=100, window=WINDOW)


def _ago(*seconds: int) -> list[datetime]:
    return [NOW - timedelta(seconds=s) for s in sorted(seconds)]  # newest first


def test_below_the_limit_is_allowed():
    assert seconds_until_allowed(_ago(1, 2, 3, 4), 5, WINDOW, NOW) is None
    assert seconds_until_allowed([], 5, WINDOW, NOW) is None


def test_at_the_limit_waits_until_the_limit_th_newest_failure_leaves_the_window():
    assert seconds_until_allowed(_ago(10, 20, 30, 40, 50), 5, WINDOW, NOW) == 900 - 50
    # More failures than the limit (two logins at once): the older ones leave first, and the
    # count stays at the limit until the fifth newest leaves.
    assert seconds_until_allowed(_ago(10, 20, 30, 40, 50, 60, 70), 5, WINDOW, NOW) == 850


def test_failures_outside_the_window_do_not_count():
    assert seconds_until_allowed(_ago(1, 2, 3, 4, 900), 5, WINDOW, NOW) is None
    # The window's edge: a failure exactly one window ago has left it.
    assert seconds_until_allowed(_ago(1, 2, 3, 4, 899), 5, WINDOW, NOW) == 1


def test_the_wait_is_at_least_a_second_and_rounds_up():
    times = [NOW - WINDOW + timedelta(milliseconds=1)] * 5
    assert seconds_until_allowed(times, 5, WINDOW, NOW) == 1
    times = [NOW - timedelta(seconds=10, milliseconds=500)] * 5
    assert seconds_until_allowed(times, 5, WINDOW, NOW) == 890


def test_a_limit_of_zero_turns_that_throttle_off():
    assert seconds_until_allowed(_ago(1, 2, 3), 0, WINDOW, NOW) is None


def test_a_users_failures_refuse_that_user_from_anywhere():
    refusal = login_refusal(_ago(1, 2, 3, 4, 5), [], LIMITS, NOW)
    assert refusal.by is ThrottledBy.USERNAME and refusal.retry_after == 895
    assert "username" in refusal.message and "895 s" in refusal.message


def test_an_address_is_refused_only_past_its_own_higher_limit():
    office = _ago(*range(1, 100))  # 99 failures behind one NAT, spread over many users
    assert login_refusal(_ago(1), office, LIMITS, NOW) is None
    refusal = login_refusal([], _ago(*range(1, 101)), LIMITS, NOW)
    assert refusal.by is ThrottledBy.ADDRESS and refusal.retry_after == 800
    assert "address" in refusal.message


def test_both_throttled_waits_for_the_later():
    refusal = login_refusal(_ago(1, 2, 3, 4, 5), _ago(*range(600, 700)), LIMITS, NOW)
    assert (refusal.by, refusal.retry_after) == (ThrottledBy.USERNAME, 895)
    refusal = login_refusal(_ago(*range(800, 805)), _ago(*range(1, 101)), LIMITS, NOW)
    assert (refusal.by, refusal.retry_after) == (ThrottledBy.ADDRESS, 800)
