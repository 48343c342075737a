"""Celery for the jobs: one generic task runs any job inside the Flask app context; beat runs
them on the schedule below, which ``JOB_SCHEDULE`` adjusts. A reorder run fans out over the
workers: one task per chunk of item-warehouses, gathered by a chord callback that closes the run
(``inventory.services.replenishment``).

Set up by ``create_app`` only when ``CELERY_BROKER_URL`` is set; ``worker.py`` is the entry point
for ``celery -A worker worker`` and ``celery -A worker beat``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, timedelta

from celery import Celery, Task
from celery.schedules import ParseException, crontab, schedule
from flask import Flask

RUN_JOB = "quartermaster.run_job"

# The same syntax as JOB_SCHEDULE, so the documentation and the defaults cannot drift apart.
# The reorder run follows the nightly rescoring, so it ranks suppliers on fresh scores, and the
# item classification, so its service levels use fresh classes. Cycle counts open before the
# working day starts, Monday to Friday.
DEFAULT_SCHEDULE = (
    "deliver-notifications=60; classify-items=cron:0 2 * * *; "
    "rescore-suppliers=cron:30 2 * * *; reorder=cron:0 3 * * *; "
    "cycle-counts=cron:0 5 * * 1-5"
)
# What the messages offer as an example of the syntax.
EXAMPLE_SCHEDULE = "deliver-notifications=60; rescore-suppliers=cron:30 2 * * *"

_SCHEDULE_FORMS = (
    "write a number of seconds (e.g. 60), cron:MINUTE HOUR DAY MONTH WEEKDAY in UTC "
    "(e.g. cron:30 2 * * *) or off"
)
# crontab's keyword, the name the messages use, what the field accepts.
_CRON_FIELDS = (
    ("minute", "MINUTE", "0-59"),
    ("hour", "HOUR", "0-23"),
    ("day_of_month", "DAY", "1-31"),
    ("month_of_year", "MONTH", "1-12"),
    ("day_of_week", "WEEKDAY", "0-6 (0 is Sunday) or sun-sat"),
)


class ScheduleError(ValueError):
    """JOB_SCHEDULE cannot be read; the message says what to write instead."""


def parse_schedule(text: str, jobs: Iterable[str]) -> dict[str, schedule | None]:
    """Read ``NAME=WHEN`` entries separated by ``;`` into ``{name: schedule}`` (None for off).

    WHEN is a number of seconds, ``cron:MINUTE HOUR DAY MONTH WEEKDAY`` (UTC) or ``off``.
    Entries are split on ``;`` rather than ``,`` because cron lists (``0,30``) use commas.
    """
    known = set(jobs)
    parsed: dict[str, schedule | None] = {}
    for raw in text.split(";"):
        entry = raw.strip()
        if not entry:
            continue
        name, sep, when = (part.strip() for part in entry.partition("="))
        if not sep:
            raise ScheduleError(
                f"JOB_SCHEDULE: {entry!r} has no '='; write NAME=WHEN, e.g. {EXAMPLE_SCHEDULE}"
            )
        if name not in known:
            raise ScheduleError(
                f"JOB_SCHEDULE: there is no job {name!r}; known jobs: "
                f"{', '.join(sorted(known)) or 'none'}."
            )
        if name in parsed:
            raise ScheduleError(f"JOB_SCHEDULE: {name} is given twice; give each job once.")
        parsed[name] = _when(name, when)
    return parsed


def _when(name: str, when: str) -> schedule | None:
    if when == "off":
        return None
    if when.startswith("cron:"):
        return _cron(name, when.removeprefix("cron:").strip())
    if re.fullmatch(r"[0-9]+", when):
        seconds = int(when)
        if seconds < 1:
            raise ScheduleError(f"JOB_SCHEDULE: {name}={when}: an interval is at least 1 second.")
        return schedule(timedelta(seconds=seconds))
    if "=" in when:
        raise ScheduleError(
            f"JOB_SCHEDULE: {name}={when!r} holds more than one entry; "
            f"separate entries with ';', e.g. {EXAMPLE_SCHEDULE}"
        )
    raise ScheduleError(f"JOB_SCHEDULE: {name}={when!r} is not a schedule; {_SCHEDULE_FORMS}.")


def _cron(name: str, spec: str) -> crontab:
    fields = spec.split()
    if len(fields) != len(_CRON_FIELDS):
        raise ScheduleError(
            f"JOB_SCHEDULE: {name}=cron:{spec}: a cron schedule has 5 fields, "
            f"MINUTE HOUR DAY MONTH WEEKDAY (e.g. cron:30 2 * * *); this one has {len(fields)}."
        )
    for (keyword, label, accepted), field in zip(_CRON_FIELDS, fields, strict=True):
        try:
            crontab(**{keyword: field})
        except (ValueError, ParseException) as exc:
            # crontab's own messages can name the wrong field ("Invalid weekday literal").
            raise ScheduleError(
                f"JOB_SCHEDULE: {name}=cron:{spec}: {label} {field!r} is not valid; "
                f"use {accepted}, *, */N, a range a-b or a list a,b."
            ) from exc
    keywords = [keyword for keyword, _, _ in _CRON_FIELDS]
    return crontab(**dict(zip(keywords, fields, strict=True)))


def beat_schedule(text: str, jobs: Iterable[str]) -> dict[str, dict]:
    """Celery beat's entries: the defaults, with JOB_SCHEDULE's entries replacing theirs."""
    jobs = list(jobs)
    when = {**parse_schedule(DEFAULT_SCHEDULE, jobs), **parse_schedule(text, jobs)}
    return {
        name: {
            "task": RUN_JOB,
            "schedule": every,
            "args": (name,),
            "options": _entry_options(every),
        }
        for name, every in sorted(when.items())
        if every is not None
    }


def _entry_options(every: schedule) -> dict:
    # Each run leaves its job_run row; storing beat's results as well would only fill Redis.
    options: dict = {"ignore_result": True}
    if not isinstance(every, crontab):
        # While no worker listens, frequent runs would pile up and then all run at once; the
        # next tick does the same work. A missed nightly run still runs once a worker is back.
        options["expires"] = every.run_every.total_seconds()
    return options


def json_safe(detail: dict) -> dict:
    """The job's report as plain JSON: dates in ISO 8601, anything else (Decimal) as text."""
    return json.loads(
        json.dumps(detail, default=lambda v: v.isoformat() if isinstance(v, date) else str(v))
    )


def init_celery(app: Flask) -> Celery:
    """A Celery app for ``app``, kept in ``app.extensions["celery"]``."""
    from inventory import jobs

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            # Jobs use the database session of the Flask app; the context's teardown returns
            # the connection to the pool after every task.
            with app.app_context():
                return self.run(*args, **kwargs)

    broker = app.config["CELERY_BROKER_URL"]
    celery = Celery("quartermaster", task_cls=FlaskTask)
    celery.conf.update(
        broker_url=broker,
        result_backend=app.config.get("CELERY_RESULT_BACKEND") or broker,
        # Results are kept only for tasks that declare they need them (run_job).
        task_ignore_result=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        enable_utc=True,
        # Celery 6 stops deriving this from broker_connection_retry; say it, and keep retrying
        # while Redis starts up next to the worker.
        broker_connection_retry_on_startup=True,
        # Jobs are idempotent: a worker lost mid-run leaves the job to another rather than
        # dropping it, and one job at a time per process keeps long runs from holding others.
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        beat_schedule=beat_schedule(app.config.get("JOB_SCHEDULE", ""), jobs.registry()),
    )

    # shared=False: a shared task would join every Celery app made later in this process,
    # bound to this Flask app rather than theirs.
    @celery.task(name=RUN_JOB, ignore_result=False, shared=False)
    def run_job(name: str) -> dict:
        """Run job ``name`` (recorded as a job_run row) and return what it reported."""
        return json_safe(jobs.run(name))

    _reorder_tasks(celery)
    app.extensions["celery"] = celery
    return celery


def _reorder_tasks(celery: Celery) -> None:
    from inventory.services import replenishment as r

    # Chunk results feed the chord callback, so these keep their results (run_job's backend).
    @celery.task(name=r.REORDER_CHUNK, bind=True, ignore_result=False, shared=False)
    def reorder_chunk(self, run_id: int, chunk: dict) -> dict:
        """Forecast, decide and write one chunk of run ``run_id``; say which worker did."""
        return r.run_chunk(run_id, chunk, worker=self.request.hostname or "unknown")

    @celery.task(name=r.REORDER_FINISH, ignore_result=False, shared=False)
    def reorder_finish(results: list[dict], run_id: int) -> dict:
        """The chord callback: close the run with its counts, errors and per-chunk workers."""
        return json_safe(r.finish_run(run_id, results))

    @celery.task(name=r.REORDER_FAILED, shared=False)
    def reorder_failed(*args, **kwargs) -> None:
        """A chunk task raised (not an item's error: those are written): close the run as
        failed so the next one may start."""
        run_id = args[-1]
        r.fail_run(run_id, "a chunk task failed; see the worker's log")
