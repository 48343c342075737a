"""Parallel posting with real threads: the books stay exact, nothing oversells, nothing deadlocks.

Each thread runs in its own app context (its own session and connection) and calls the services
directly, as concurrent requests would. ``InsufficientStock`` is an expected refusal; every other
exception is a failure. On PostgreSQL the engine's ``handle_error`` hook also records any deadlock
or serialization failure, which ``retrying`` would otherwise hide by running the use case again.
"""

from __future__ import annotations

import random
import threading
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal as D

import pytest
from sqlalchemy import event, select, text

from inventory.db import queries
from inventory.db.base import db
from inventory.db.models import StockBalance
from inventory.domain.documents import DocumentType, LineIn
from inventory.errors import InsufficientStock, InvalidTransition
from inventory.services import master_data, stock
from tests.conftest import Factory, layers_match_balances, ledger_matches_balances

THREADS = 16
ITERATIONS = 40
JOIN_TIMEOUT = 120  # seconds for all threads; a hung one fails the test, not the run


@dataclass
class Posted:
    id: int
    type: str
    lines: list[tuple[int, D]]  # (item_id, quantity)


@dataclass
class Outcome:
    """What one thread saw happen; merged after every thread has finished."""

    posted: list[Posted] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    refused: Counter = field(default_factory=Counter)  # expected refusals by operation
    errors: list[str] = field(default_factory=list)  # anything else: a failure


def _run_threads(target, count: int) -> None:
    threads = [threading.Thread(target=target, args=(i,), name=f"poster-{i}") for i in range(count)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert not [t.name for t in threads if t.is_alive()], "threads still running: hang/deadlock"


def _document(actor, doc_type: str, warehouse_id: int, lines, to_warehouse_id=None) -> int:
    return stock.create_document(
        actor,
        stock.NewDocument(
            type=DocumentType(doc_type),
            warehouse_id=warehouse_id,
            to_warehouse_id=to_warehouse_id,
            lines=[LineIn(item, qty, cost) for item, qty, cost in lines],
        ),
    )


@pytest.fixture
def lock_failures(pg_app):
    """SQLSTATEs of deadlocks (40P01) and serialization failures (40001) the engine met."""
    seen: list[str] = []

    def on_error(context):
        sqlstate = getattr(context.original_exception, "sqlstate", None)
        if sqlstate in ("40P01", "40001"):
            seen.append(sqlstate)

    event.listen(db.engine, "handle_error", on_error)
    yield seen
    event.remove(db.engine, "handle_error", on_error)


def _quantity(rng: random.Random) -> D:
    # Mostly whole units, sometimes thousandths, so rounding paths get exercised too.
    if rng.random() < 0.25:
        return D(rng.randint(1, 4000)) / 1000
    return D(rng.randint(1, 6))


def _unit_cost(rng: random.Random) -> D:
    return D(rng.randint(5000, 250000)) / 10000  # 0.5000 .. 25.0000


@pytest.mark.postgres
def test_random_receipts_issues_transfers_and_cancels_keep_the_books(pg_app, lock_failures):
    make = Factory()
    clerk = make.user("warehouse")
    warehouses = [make.warehouse("HOT-A"), make.warehouse("HOT-B")]
    items = [make.item(f"HOT-{n}", valuation_cost="2.5000") for n in range(3)]
    for fifo_item in items[1:]:  # FIFO items' layers are written under the same locks
        master_data.update(
            "item", make.admin, fifo_item, {"valuation_method": "fifo"}, lambda _: None
        )
    db.session.commit()

    outcomes = [Outcome() for _ in range(THREADS)]
    shared: list[Posted] = []  # posted documents any thread may try to cancel
    shared_lock = threading.Lock()
    start = threading.Barrier(THREADS, timeout=JOIN_TIMEOUT)

    def one_step(rng: random.Random, out: Outcome) -> None:
        roll = rng.random()
        # Several lines in a random order, so an unsorted lock order would deadlock.
        chosen = rng.sample(items, rng.randint(1, len(items)))
        wh = rng.choice(warehouses)
        if roll < 0.10:
            with shared_lock:
                candidates = list(shared)
            if not candidates:
                return
            victim = rng.choice(candidates)
            try:
                stock.cancel_document(clerk, victim.id)
            except InsufficientStock:
                out.refused["cancel-short"] += 1
                return
            except InvalidTransition:  # another thread cancelled it first
                out.refused["cancel-twice"] += 1
                return
            out.cancelled.append(victim.id)
            return
        if roll < 0.45:
            kind = "receipt"
            lines = [(item, _quantity(rng), _unit_cost(rng)) for item in chosen]
            to_wh = None
        elif roll < 0.80:
            kind = "issue"
            lines = [(item, _quantity(rng), None) for item in chosen]
            to_wh = None
        else:
            kind = "transfer"
            lines = [(item, _quantity(rng), None) for item in chosen]
            to_wh = warehouses[1] if wh == warehouses[0] else warehouses[0]
        try:
            doc_id = _document(clerk, kind, wh, lines, to_wh)
        except InsufficientStock:
            out.refused[kind] += 1
            return
        posted = Posted(doc_id, kind, [(item, qty) for item, qty, _ in lines])
        out.posted.append(posted)
        with shared_lock:
            shared.append(posted)

    def worker(index: int) -> None:
        out = outcomes[index]
        rng = random.Random(20240501 + index)
        try:
            with pg_app.app_context():
                start.wait()
                for _ in range(ITERATIONS):
                    one_step(rng, out)
        except Exception:
            out.errors.append(traceback.format_exc())

    _run_threads(worker, THREADS)

    errors = [e for o in outcomes for e in o.errors]
    assert errors == [], "\n".join(errors)
    assert lock_failures == [], f"deadlocks or serialization failures: {lock_failures}"

    posted = {p.id: p for o in outcomes for p in o.posted}
    cancelled = [c for o in outcomes for c in o.cancelled]
    assert len(cancelled) == len(set(cancelled)), "a document was cancelled twice"
    cancelled_ids = set(cancelled)
    refused = sum((o.refused for o in outcomes), Counter())
    # The run must have exercised every path, or it proves little.
    assert len(posted) > THREADS * ITERATIONS // 3
    assert cancelled_ids and refused["issue"] + refused["transfer"] > 0

    db.session.rollback()
    statuses = dict(db.session.execute(text("SELECT id, status FROM stock_document")).all())
    assert {i for i, s in statuses.items() if s == "posted"} == set(posted) - cancelled_ids
    assert {i for i, s in statuses.items() if s == "cancelled"} == cancelled_ids

    expected: dict[int, D] = defaultdict(D)
    for p in posted.values():
        if p.id in cancelled_ids or p.type == "transfer":
            continue
        sign = 1 if p.type == "receipt" else -1
        for item, qty in p.lines:
            expected[item] += sign * qty

    assert ledger_matches_balances() == []
    assert layers_match_balances() == []
    balances = db.session.execute(
        select(
            StockBalance.item_id,
            StockBalance.warehouse_id,
            StockBalance.quantity,
            StockBalance.value,
        )
    ).all()
    on_hand: dict[int, D] = defaultdict(D)
    for item, _wh, qty, value in balances:
        assert qty >= 0 and value >= 0, (item, _wh, qty, value)
        if qty == 0:
            assert value == 0, (item, _wh, qty, value)
        on_hand[item] += qty
    assert {i: on_hand[i] for i in items} == {i: expected[i] for i in items}
    assert sum(on_hand.values()) == sum(expected.values())


def _oversell(application, make_factory, *, units: int, threads: int, attempts: int):
    """``threads`` threads each try ``attempts`` one-unit issues from a balance of ``units``."""
    make = make_factory()
    clerk = make.user("warehouse")
    wh, item = make.warehouse(), make.item()
    make.receive(wh, item, units, "1.3333")  # an average cost that does not divide evenly
    db.session.commit()

    outcomes = [Outcome() for _ in range(threads)]
    start = threading.Barrier(threads, timeout=JOIN_TIMEOUT)

    def worker(index: int) -> None:
        out = outcomes[index]
        try:
            with application.app_context():
                start.wait()
                for _ in range(attempts):
                    try:
                        doc = _document(clerk, "issue", wh, [(item, D(1), None)])
                    except InsufficientStock:
                        out.refused["issue"] += 1
                    else:
                        out.posted.append(Posted(doc, "issue", [(item, D(1))]))
        except Exception:
            out.errors.append(traceback.format_exc())

    _run_threads(worker, threads)

    errors = [e for o in outcomes for e in o.errors]
    assert errors == [], "\n".join(errors)
    succeeded = sum(len(o.posted) for o in outcomes)
    refused = sum(o.refused["issue"] for o in outcomes)
    assert succeeded == units
    assert succeeded + refused == threads * attempts
    db.session.rollback()
    assert [(r["quantity"], r["value"]) for r in queries.stock_on_hand(item)] == [
        (D("0"), D("0.00"))
    ]
    assert ledger_matches_balances() == []


@pytest.mark.postgres
def test_parallel_issues_never_oversell_on_postgresql(pg_app, lock_failures):
    _oversell(pg_app, Factory, units=25, threads=THREADS, attempts=3)
    assert lock_failures == []


def test_parallel_issues_never_oversell_on_sqlite(app):
    # SQLite serializes writers with BEGIN IMMEDIATE; the threads queue on the write lock.
    _oversell(app, Factory, units=20, threads=THREADS, attempts=2)
