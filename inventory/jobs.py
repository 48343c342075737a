"""Scheduled jobs: plain, idempotent functions, each run recorded as a ``job_run`` row.

Entry points: ``flask jobs run NAME`` (cron, tests) and, when ``CELERY_BROKER_URL`` is set, the
Celery task ``quartermaster.run_job`` with its beat schedule in ``api.celery_app`` (a worker runs
them: ``celery -A worker worker``). Never inside gunicorn workers.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from inventory import clock
from inventory.db.models import JobRun
from inventory.services.tx import transaction

log = logging.getLogger("quartermaster.jobs")

# Modules that register jobs with @job; imported on first use so this module stays cheap.
JOB_MODULES = (
    "inventory.services.notifications",
    "inventory.services.scoring",
)
_REGISTRY: dict[str, Callable[[], dict]] = {}


def job(name: str):
    def decorator(func: Callable[[], dict]):
        _REGISTRY[name] = func
        return func

    return decorator


def registry() -> dict[str, Callable[[], dict]]:
    for module in JOB_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return dict(_REGISTRY)


class UnknownJob(KeyError):
    pass


def run(name: str) -> dict:
    """Run job ``name`` now and record its outcome; returns what the job reported."""
    jobs = registry()
    if name not in jobs:
        raise UnknownJob(f"No job {name!r}; known jobs: {', '.join(sorted(jobs)) or 'none'}.")
    with transaction() as session:
        record = JobRun(name=name, started_at=clock.now(), outcome="running")
        session.add(record)
    try:
        detail = jobs[name]() or {}
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
