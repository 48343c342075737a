"""The reorder run: plan it, record it, run its chunks (in-process, or fanned out over Celery
workers when a broker is configured), gather it.

Steps: read the settings and every active item-warehouse; class each by consumption value (ABC
over the last year's demand × valuation cost, across all of them, before chunking); hash the
inputs (same run date + same hash as a succeeded run: that run is the answer, nothing new is
written); record the run as ``running`` (a partial unique index lets only one run at a time: a
second is a 409); then each chunk of ``CHUNK_SIZE`` item-warehouses is forecast, decided and
written in its own transaction (``reorder_chunk``), advancing the run's progress; finally the
counts and per-item errors are read back from what the chunks wrote and the run is closed.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy.exc import IntegrityError

from forecasting.policy import abc_classes
from inventory import clock
from inventory.db import demand_queries, item_class_queries, reorder_queries, review_queries
from inventory.db import replenishment_queries as q
from inventory.db import replenishment_writes as writes
from inventory.db.base import db, shared_by_processes
from inventory.db.run_fingerprint import inputs_fingerprint
from inventory.domain.actors import Actor
from inventory.errors import Conflict
from inventory.services import audit
from inventory.services.reorder_chunk import process_chunk
from inventory.services.tx import transaction

log = logging.getLogger("quartermaster.reorder")

# Calibration and the per-chunk statements cost about the same for any chunk, so chunks are
# large; an in-process run with fewer pairs than CHUNK_SIZE x its processes splits them evenly.
CHUNK_SIZE = 1000
# The in-process run works on this many chunks at once, each in a forked process (the whole
# chunk: history, forecast, decisions, writes), by default one per core
# (REORDER_IN_PROCESS_WORKERS). With one process, that chunk's forecast fits on all cores
# through statsforecast's process pool instead.
IN_PROCESS_JOBS = os.cpu_count() or 1
ABC_WINDOW_DAYS = 365
REORDER_CHUNK = "quartermaster.reorder_chunk"
REORDER_FINISH = "quartermaster.reorder_finish"
REORDER_FAILED = "quartermaster.reorder_failed"
POLL_SECONDS = 0.5

Progress = Callable[[int, int], None]


def _celery():
    from flask import current_app, has_app_context

    return current_app.extensions.get("celery") if has_app_context() else None


def _run_settings() -> dict:
    """The settings row (or the migration's defaults when it is missing) as the run records them
    in its parameters and fingerprint: JSON values, decimals as strings."""
    current = review_queries.settings()
    return {
        name: str(value) if isinstance(value, Decimal) else value
        for name, value in current.items()
        if name in review_queries.SETTING_FIELDS
    }


def plan(run_date: date, chunk_size: int = CHUNK_SIZE, spread: int = 1) -> dict:
    """Everything the run is started from: settings, window, fingerprint, the chunks (of
    ``chunk_size`` pairs, smaller when that makes at least ``spread`` chunks)."""
    settings = _run_settings()
    end = run_date - timedelta(days=1)
    start = end - timedelta(days=int(settings["history_days"]) - 1)
    pairs = q.item_warehouses()
    totals = demand_queries.demand_totals(
        start=end - timedelta(days=ABC_WINDOW_DAYS - 1), end=end, kinds=settings["demand_kinds"]
    )
    merged = pairs.merge(totals, on=["item_id", "warehouse_id"], how="left")
    value = merged["qty"].fillna(0).clip(lower=0) * merged["valuation_cost"].astype(float)
    abc = abc_classes(pd.Series(value.to_numpy(), index=merged.index)) if len(merged) else []
    # The classes the classify-items job keeps per item win; an item it has not classed yet
    # (or every item, before its first run) takes the class computed here.
    kept = item_class_queries.abc_by_item()
    rows = [
        [int(i), int(w), kept.get(int(i), str(c))]
        for i, w, c in zip(pairs.item_id, pairs.warehouse_id, abc, strict=True)
    ]
    chunk_size = max(1, min(chunk_size, -(-len(rows) // max(spread, 1))))
    chunks = [rows[k : k + chunk_size] for k in range(0, len(rows), chunk_size)]
    parameters = {
        "run_date": run_date.isoformat(),
        "settings": settings,
        "freq": settings["freq"],
        "horizon": settings["horizon"],
        "demand_kinds": settings["demand_kinds"],
        "history_start": start.isoformat(),
        "history_end": end.isoformat(),
        "chunk_size": chunk_size,
        "chunks": len(chunks),
    }
    return {
        "parameters": parameters,
        "fingerprint": _with_classes(inputs_fingerprint(settings, end), kept),
        "chunks": chunks,
        "total": len(rows),
    }


def _with_classes(fingerprint: str, kept: dict[int, str]) -> str:
    """The inputs' fingerprint, changed by the kept classes when there are any (so a run after
    a reclassification on the same day is a new run); unchanged without them."""
    if not kept:
        return fingerprint
    listed = ",".join(f"{i}:{c}" for i, c in sorted(kept.items()))
    return hashlib.sha256(f"{fingerprint}|{listed}".encode()).hexdigest()


def _begin(actor: Actor | None, run_date: date, mode: str, chunk_size: int, spread: int = 1):
    """Record the run, or find the succeeded run it repeats: ``(run_id, chunks, repeated)``."""
    planned = plan(run_date, chunk_size, spread)
    existing = reorder_queries.succeeded_run(run_date, planned["fingerprint"])
    if existing is not None:
        return existing, [], True
    parameters = {**planned["parameters"], "mode": mode}
    try:
        with transaction() as session:
            _abandon_stale(session, actor)
            run_id = writes.start_run(
                session,
                run_date=run_date,
                fingerprint=planned["fingerprint"],
                parameters=parameters,
                total=planned["total"],
                actor_id=actor.id if actor else None,
            )
            audit.record(actor, "reorder_run.start", "reorder_run", run_id, after=parameters)
    except IntegrityError:
        running = reorder_queries.running_run()
        raise Conflict(
            f"A reorder run is already in progress (run {running}); wait for it to finish.",
            extra={"run_id": running},
        ) from None
    return run_id, planned["chunks"], False


def _stale_minutes() -> int:
    from flask import current_app, has_app_context

    return (
        int(current_app.config.get("REORDER_RUN_STALE_MINUTES", 180)) if has_app_context() else 180
    )


def _abandon_stale(session, actor: Actor | None) -> None:
    """A run still ``running`` long after it began lost its process (a killed worker, a restart);
    close it as failed so that it does not refuse every later run."""
    minutes = _stale_minutes()
    reason = (
        f"Abandoned: still running more than {minutes} minutes after it began, when a new run "
        "started (its process had stopped). REORDER_RUN_STALE_MINUTES sets the limit."
    )
    for run_id in writes.abandon_stale_runs(
        session, clock.now() - timedelta(minutes=minutes), reason
    ):
        audit.record(actor, "reorder_run.abandon", "reorder_run", run_id, after={"error": reason})


def run_reorder(
    actor: Actor | None = None,
    *,
    run_date: date | None = None,
    progress: Progress | None = None,
    fan_out: bool | None = None,
    wait: bool = True,
    chunk_size: int = CHUNK_SIZE,
) -> dict:
    """Run the reorder for ``run_date`` (today in the service time zone) and return the run as
    ``reorder_queries.run`` shows it. ``fan_out`` (default: when a broker is configured) sends
    one Celery task per chunk and a chord callback that finishes the run; ``wait`` then polls
    the run until it is done (calling ``progress``), else returns it running. The same day
    with the same inputs returns the succeeded run; a run in progress is a ``Conflict``."""
    run_date = run_date or clock.today()
    celery = _celery()
    fan_out = celery is not None if fan_out is None else fan_out
    mode = "celery" if fan_out else "in-process"
    spread = 1 if fan_out else _parallel()
    run_id, chunks, repeated = _begin(actor, run_date, mode, chunk_size, spread)
    if repeated:
        return reorder_queries.run(run_id)
    if fan_out:
        dispatch(celery, run_id, chunks)
        return _watch(run_id, progress) if wait else reorder_queries.run(run_id)
    started = time.monotonic()
    try:
        results = []
        total = sum(len(c) for c in chunks)
        if progress:
            progress(0, total)
        for number, done in enumerate(_in_process(run_id, chunks)):
            results.append({"chunk": number, **done, "worker": mode})
            if progress:
                progress(reorder_queries.run(run_id)["progress"]["done"], total)
    except BaseException as exc:
        fail_run(run_id, f"{type(exc).__name__}: {exc}")
        raise
    return finish_run(run_id, results, seconds=time.monotonic() - started)


def _parallel() -> int:
    """Processes an in-process run may fork for its chunks: REORDER_IN_PROCESS_WORKERS (default
    the cores); one on a database other processes cannot share, inside a daemonic process
    (which may not have children) and inside a web request (``_forks_allowed``)."""
    from flask import current_app, has_app_context

    configured = current_app.config.get("REORDER_IN_PROCESS_WORKERS") if has_app_context() else None
    wanted = int(configured or IN_PROCESS_JOBS)
    if wanted <= 1 or multiprocessing.current_process().daemon or not _forks_allowed():
        return 1
    return wanted if shared_by_processes(db.session) else 1


def _workers(chunks: int) -> int:
    """Processes for an in-process run of ``chunks`` chunks (one for a single chunk)."""
    return min(_parallel(), chunks) if chunks > 1 else 1


def _in_process(run_id: int, chunks: list) -> Iterator[dict]:
    """Each chunk's result, in chunk order: here one after another, or from forked processes
    working on ``_workers`` chunks at once (each with its own connection)."""
    workers = _workers(len(chunks))
    if workers == 1:
        jobs = IN_PROCESS_JOBS if _forks_allowed() else 1
        for chunk in chunks:
            yield process_chunk(run_id, chunk, jobs)
        return
    from flask import current_app

    global _FORKED_APP
    _FORKED_APP = current_app._get_current_object()
    db.session.remove()  # this process's connection goes back to its pool before the fork
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("fork"), initializer=_forked_start
    )
    try:
        yield from pool.map(_forked_chunk, [run_id] * len(chunks), chunks)
    finally:  # a failed chunk fails the run: the chunks not begun are not begun
        pool.shutdown(cancel_futures=True)


_FORKED_APP = None


def _forks_allowed() -> bool:
    """No process pools from a web server's worker: a child forked while another thread of the
    worker holds a lock can wait on it forever (seen: a gunicorn worker killed at its timeout,
    its statsforecast child stuck on a futex). The command line and Celery keep them."""
    from flask import has_request_context

    return not has_request_context()


def _forked_start() -> None:
    """In a forked chunk process: an app context of its own, and the connections inherited
    from the parent left to the parent (closed there, never used here)."""
    _FORKED_APP.app_context().push()
    db.engine.dispose(close=False)


def _forked_chunk(run_id: int, chunk: list) -> dict:
    try:
        return process_chunk(run_id, chunk, 1)
    finally:
        db.session.remove()


def dispatch(celery, run_id: int, chunks: list) -> None:
    """One task per chunk, gathered by a chord whose callback finishes the run."""
    from celery import chord

    header = [
        celery.signature(REORDER_CHUNK, args=(run_id, {"chunk": n, "pairs": c}))
        for n, c in enumerate(chunks)
    ]
    body = celery.signature(REORDER_FINISH, args=(run_id,))
    if not header:  # a chord needs a task to wait for
        finish_run(run_id, [])
        return
    chord(header)(body.on_error(celery.signature(REORDER_FAILED, args=(run_id,))))


def _watch(run_id: int, progress: Progress | None) -> dict:
    """Follow a fanned-out run until its chord callback closes it."""
    while True:
        shown = reorder_queries.run(run_id)
        if progress:
            progress(shown["progress"]["done"], shown["progress"]["total"])
        if shown["status"] != "running":
            return shown
        time.sleep(POLL_SECONDS)


def run_chunk(run_id: int, chunk: dict, worker: str) -> dict:
    """A Celery task's body: process one chunk and say which worker did."""
    return {"chunk": chunk["chunk"], **process_chunk(run_id, chunk["pairs"]), "worker": worker}


def finish_run(run_id: int, chunk_results: list[dict], seconds: float | None = None) -> dict:
    """Close the run: counts and errors as written, which worker did each chunk, duration."""
    with transaction() as session:
        counts, errors = writes.run_totals(session, run_id)
        row = reorder_queries.run(run_id)
        elapsed = (clock.now() - row["started_at"]).total_seconds()
        counts["seconds"] = round(seconds if seconds is not None else elapsed, 3)
        counts["chunks"] = sorted(
            ({"chunk": r["chunk"], "worker": r["worker"], "size": r["chunk_size"],
              "errors": r["errors"]} for r in chunk_results),
            key=lambda r: r["chunk"],
        )  # fmt: skip
        writes.finish_run(session, run_id, status="succeeded", counts=counts, errors=errors)
    return reorder_queries.run(run_id)


def fail_run(run_id: int, error: str) -> None:
    """Close a run that could not go on, so the next one may start."""
    with transaction() as session:
        counts, errors = writes.run_totals(session, run_id)
        errors.append({"item_id": None, "warehouse_id": None, "error": error[:2000]})
        writes.finish_run(session, run_id, status="failed", counts=counts, errors=errors)


def start_reorder(actor: Actor) -> tuple[dict, bool]:
    """For the API: ``(run, finished)``. With a broker the run is dispatched and returned at
    once, still running (202); without one it runs here to the end (201)."""
    run = run_reorder(actor, wait=False)
    return run, run["status"] != "running"


def reorder_job(progress: Progress | None = None) -> dict:
    """The scheduled job. A person at the CLI (``progress`` given) waits for a fanned-out run;
    beat's task does not (its worker must stay free for the chunks)."""
    run = run_reorder(progress=progress, wait=progress is not None)
    if run["status"] == "running":
        # Beat's job ends when the chunks are sent: its job_run says so, not that the run is
        # done (the run's own row carries its outcome).
        return {
            "run_id": run["id"],
            "status": "dispatched",
            "note": f"the run goes on in the workers; see GET /api/v1/reorder-runs/{run['id']}",
            "progress": run["progress"],
        }
    return {
        "run_id": run["id"],
        "status": run["status"],
        "progress": run["progress"],
        "counts": run["counts"],
    }
