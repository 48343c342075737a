"""Reading the ``job_run`` rows: what ran, when, with what outcome and progress."""

from __future__ import annotations

from sqlalchemy import Select, select

from inventory.db.models import JobRun

_run = JobRun.__table__


def job_runs(*, name: str | None = None, outcome: str | None = None) -> Select:
    """Job runs, newest first, optionally of one job and/or one outcome (``running``,
    ``succeeded``, ``failed``)."""
    query = select(*_run.c)
    if name is not None:
        query = query.where(_run.c.name == name)
    if outcome is not None:
        query = query.where(_run.c.outcome == outcome)
    return query.order_by(_run.c.started_at.desc(), _run.c.id.desc())
