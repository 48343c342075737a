"""Reads of reorder runs the run itself needs (``run``, and finding a run to reuse); the review
lists live in ``review_queries``."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from inventory.db.base import db
from inventory.db.replenishment_models import ReorderRun


def _shown(row: ReorderRun) -> dict:
    total, done = row.progress_total or 0, row.progress_done or 0
    return {
        "id": row.id,
        "run_date": row.run_date,
        "status": row.status,
        "parameters": row.parameters,
        "counts": row.counts,
        "errors": row.errors,
        "progress": {
            "done": done,
            "total": total,
            "percent": round(100 * done / total, 1) if total else 100.0,
        },
        "started_at": row.started_at,
        "finished_at": row.finished_at,
    }


def run(run_id: int) -> dict | None:
    """The run as the API shows it: id, run_date, status, parameters, counts, errors,
    progress {done, total, percent}, started_at, finished_at."""
    row = db.session.get(ReorderRun, run_id, populate_existing=True)
    return None if row is None else _shown(row)


def succeeded_run(run_date: date, fingerprint: str) -> int | None:
    """The latest succeeded run of ``run_date`` on the same inputs, if any."""
    return db.session.scalar(
        select(ReorderRun.id)
        .where(
            ReorderRun.run_date == run_date,
            ReorderRun.fingerprint == fingerprint,
            ReorderRun.status == "succeeded",
        )
        .order_by(ReorderRun.id.desc())
        .limit(1)
    )


def running_run() -> int | None:
    return db.session.scalar(select(ReorderRun.id).where(ReorderRun.status == "running"))
