"""JOB_SCHEDULE: what it accepts, what beat makes of it, and the messages for what it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from celery.schedules import crontab, schedule

from api.celery_app import RUN_JOB, ScheduleError, beat_schedule, json_safe, parse_schedule

JOBS = ("deliver-notifications", "rescore-suppliers", "reorder", "classify-items", "cycle-counts")
SECONDS_OR_CRON = (
    "write a number of seconds (e.g. 60), cron:MINUTE HOUR DAY MONTH WEEKDAY in UTC "
    "(e.g. cron:30 2 * * *) or off."
)
EXAMPLE = "deliver-notifications=60; rescore-suppliers=cron:30 2 * * *"


def test_seconds_cron_and_off():
    parsed = parse_schedule(
        " deliver-notifications = 90 ;rescore-suppliers=cron: 0,30 */6 1-15 * mon-fri ;", JOBS
    )
    assert parsed == {
        "deliver-notifications": schedule(timedelta(seconds=90)),
        "rescore-suppliers": crontab(
            minute="0,30", hour="*/6", day_of_month="1-15", month_of_year="*", day_of_week="mon-fri"
        ),
    }
    assert parse_schedule("rescore-suppliers=off", JOBS) == {"rescore-suppliers": None}
    assert parse_schedule("", JOBS) == {} == parse_schedule(" ; ", JOBS)


def test_the_default_schedule():
    entries = beat_schedule("", JOBS)
    assert entries == {
        "deliver-notifications": {
            "task": RUN_JOB,
            "schedule": schedule(timedelta(seconds=60)),
            "args": ("deliver-notifications",),
            "options": {"ignore_result": True, "expires": 60.0},
        },
        "rescore-suppliers": {
            "task": RUN_JOB,
            "schedule": crontab(minute="30", hour="2"),
            "args": ("rescore-suppliers",),
            "options": {"ignore_result": True},
        },
        "reorder": {  # after the rescoring, so suppliers are ranked on fresh scores
            "task": RUN_JOB,
            "schedule": crontab(minute="0", hour="3"),
            "args": ("reorder",),
            "options": {"ignore_result": True},
        },
        "classify-items": {  # before the reorder run, which reads the kept classes
            "task": RUN_JOB,
            "schedule": crontab(minute="0", hour="2"),
            "args": ("classify-items",),
            "options": {"ignore_result": True},
        },
        "cycle-counts": {  # before the working day, Monday to Friday
            "task": RUN_JOB,
            "schedule": crontab(minute="0", hour="5", day_of_week="1-5"),
            "args": ("cycle-counts",),
            "options": {"ignore_result": True},
        },
    }


def test_entries_replace_only_their_own_job_and_off_removes_it():
    entries = beat_schedule("deliver-notifications=5", JOBS)
    assert entries["deliver-notifications"]["schedule"] == schedule(timedelta(seconds=5))
    assert entries["rescore-suppliers"]["schedule"] == crontab(minute="30", hour="2")
    assert sorted(beat_schedule("rescore-suppliers=off", JOBS)) == [
        "classify-items",
        "cycle-counts",
        "deliver-notifications",
        "reorder",
    ]
    assert (
        beat_schedule(
            "deliver-notifications=off; rescore-suppliers=off; reorder=off; "
            "classify-items=off; cycle-counts=off",
            JOBS,
        )
        == {}
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "reorder-nightly=60",
            "JOB_SCHEDULE: there is no job 'reorder-nightly'; "
            "known jobs: classify-items, cycle-counts, deliver-notifications, reorder, "
            "rescore-suppliers.",
        ),
        (
            "deliver-notifications",
            f"JOB_SCHEDULE: 'deliver-notifications' has no '='; write NAME=WHEN, e.g. {EXAMPLE}",
        ),
        (
            "deliver-notifications=60,rescore-suppliers=cron:30 2 * * *",
            "JOB_SCHEDULE: deliver-notifications='60,rescore-suppliers=cron:30 2 * * *' holds "
            f"more than one entry; separate entries with ';', e.g. {EXAMPLE}",
        ),
        (
            "deliver-notifications=1m",
            f"JOB_SCHEDULE: deliver-notifications='1m' is not a schedule; {SECONDS_OR_CRON}",
        ),
        (
            "deliver-notifications=-5",
            f"JOB_SCHEDULE: deliver-notifications='-5' is not a schedule; {SECONDS_OR_CRON}",
        ),
        (
            "deliver-notifications=",
            f"JOB_SCHEDULE: deliver-notifications='' is not a schedule; {SECONDS_OR_CRON}",
        ),
        (
            "deliver-notifications=0",
            "JOB_SCHEDULE: deliver-notifications=0: an interval is at least 1 second.",
        ),
        (
            "deliver-notifications=1; deliver-notifications=2",
            "JOB_SCHEDULE: deliver-notifications is given twice; give each job once.",
        ),
        (
            "rescore-suppliers=cron:30 2 *",
            "JOB_SCHEDULE: rescore-suppliers=cron:30 2 *: a cron schedule has 5 fields, "
            "MINUTE HOUR DAY MONTH WEEKDAY (e.g. cron:30 2 * * *); this one has 3.",
        ),
        (
            "rescore-suppliers=cron:61 2 * * *",
            "JOB_SCHEDULE: rescore-suppliers=cron:61 2 * * *: MINUTE '61' is not valid; "
            "use 0-59, *, */N, a range a-b or a list a,b.",
        ),
        (
            "rescore-suppliers=cron:30 x * * *",
            "JOB_SCHEDULE: rescore-suppliers=cron:30 x * * *: HOUR 'x' is not valid; "
            "use 0-23, *, */N, a range a-b or a list a,b.",
        ),
        (
            "rescore-suppliers=cron:30 2 0 * *",
            "JOB_SCHEDULE: rescore-suppliers=cron:30 2 0 * *: DAY '0' is not valid; "
            "use 1-31, *, */N, a range a-b or a list a,b.",
        ),
        (
            "rescore-suppliers=cron:30 2 * 13 *",
            "JOB_SCHEDULE: rescore-suppliers=cron:30 2 * 13 *: MONTH '13' is not valid; "
            "use 1-12, *, */N, a range a-b or a list a,b.",
        ),
        (
            "rescore-suppliers=cron:30 2 * * 8",
            "JOB_SCHEDULE: rescore-suppliers=cron:30 2 * * 8: WEEKDAY '8' is not valid; "
            "use 0-6 (0 is Sunday) or sun-sat, *, */N, a range a-b or a list a,b.",
        ),
        (
            "rescore-suppliers=cron:*/0 * * * *",
            "JOB_SCHEDULE: rescore-suppliers=cron:*/0 * * * *: MINUTE '*/0' is not valid; "
            "use 0-59, *, */N, a range a-b or a list a,b.",
        ),
    ],
)
def test_what_it_refuses_and_what_to_write_instead(text, message):
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(text, JOBS)
    assert str(caught.value) == message
    with pytest.raises(ScheduleError):
        beat_schedule(text, JOBS)  # the worker refuses to start on it too


def test_json_safe_turns_dates_and_decimals_into_text():
    moment = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    detail = {"as_of": moment.date(), "at": moment, "mean": Decimal("71.50"), "sent": 2}
    assert json_safe(detail) == {
        "as_of": "2026-03-01",
        "at": "2026-03-01T02:30:00+00:00",
        "mean": "71.50",
        "sent": 2,
    }
