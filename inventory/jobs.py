"""Scheduled jobs: plain, idempotent functions, each run recorded as a ``job_run`` row.

Entry points: ``flask jobs run NAME`` (cron, tests) and, when ``CELERY_BROKER_URL`` is set, the
Celery task ``quartermaster.run_job`` with its beat schedule in ``api.celery_app`` (a worker runs
them: ``celery -A worker worker``). Never inside gunicorn workers. The jobs are listed in one
table, ``registry()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from inventory import clock
from inventory.db.models import JobRun
from inventory.services.tx import transaction

log = logging.getLogger("quartermaster.jobs")


@dataclass(frozen=True)
class Job:
    func: Callable[..., dict]
    # Takes ``progress=callable(done, total)``: the CLI shows a bar for it.
    reports_progress: bool = False


def registry() -> dict[str, Job]:
    """Every job, by name: an explicit table, so a misspelt function fails at import rather
    than silently dropping its job. The services are imported here, on first use, so importing
    this module stays cheap."""
    from inventory.services import notifications, replenishment, scoring, stock_health

    return {
        "deliver-notifications": Job(notifications.deliver_notifications),
        "rescore-suppliers": Job(scoring.rescore_suppliers_job),
        "reorder": Job(replenishment.reorder_job, reports_progress=True),
        "classify-items": Job(stock_health.classify_items_job),
        "cycle-counts": Job(stock_health.cycle_counts_job),
    }


class UnknownJob(KeyError):
    pass


def run(name: str, progress: Callable[[int, int], None] | None = None) -> dict:
    """Run job ``name`` now and record its outcome; returns what the job reported.
    ``progress`` reaches jobs that report it (ignored by the others)."""
    jobs = registry()
    if name not in jobs:
        raise UnknownJob(f"No job {name!r}; known jobs: {', '.join(sorted(jobs)) or 'none'}.")
    entry = jobs[name]
    with transaction() as session:
        record = JobRun(name=name, started_at=clock.now(), outcome="running")
        session.add(record)
    try:
        detail = (entry.func(progress=progress) if entry.reports_progress else entry.func()) or {}
    except Exception as exc:
        with transaction() as session:
            row = session.get(JobRun, record.id)
            row.finished_at, row.outcome = clock.now(), "failed"
            row.detail = {"error": f"{type(exc).__name__}: {exc}"}
        log.exception("job failed", extra={"job": name})
        raise
    with transaction() as session:
        row = session.get(JobRun, record.id)
        row.finished_at, row.outcome, row.detail = clock.now(), "succeeded", detail
    return detail
