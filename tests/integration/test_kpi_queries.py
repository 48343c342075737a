"""The KPI aggregates read from the balances and the zero-balance rows (db/kpi_queries.py) equal
the same figures computed row by row from the whole ledger, on SQLite and PostgreSQL: stock-out
time with pairs that reach zero before, inside and after the window, ties of ``posted_at``
broken by id, and the stock value before any instant."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from inventory import clock
from inventory.db import kpi_queries
from inventory.db.base import db
from inventory.db.models import StockLedger
from inventory.domain.documents import DocumentType, LineIn
from inventory.services import stock


def _ledger() -> list[StockLedger]:
    return list(
        db.session.scalars(select(StockLedger).order_by(StockLedger.posted_at, StockLedger.id))
    )


def _stock_out_by_rows(rows, start, stop, warehouse_id=None):
    """The definition, row by row: a row leaving its pair at zero counts until the pair's next
    row (by posted_at, id), clipped to [start, stop)."""
    rows = [r for r in rows if r.posted_at < stop]
    rows = [r for r in rows if warehouse_id is None or r.warehouse_id == warehouse_id]
    pairs, seconds = {}, 0.0
    for r in rows:
        pairs.setdefault((r.item_id, r.warehouse_id), []).append(r)
    for entries in pairs.values():
        for n, r in enumerate(entries):
            if r.balance_quantity != 0:
                continue
            end = entries[n + 1].posted_at if n + 1 < len(entries) else stop
            begin, end = max(r.posted_at, start), min(end, stop)
            if end > begin:
                seconds += (end - begin).total_seconds()
    return len(pairs), seconds / 86400.0


@pytest.fixture
def book(backend, make):
    w1, w2 = make.warehouse("W1"), make.warehouse("W2")
    a, b, c = make.item("A"), make.item("B"), make.item("C")
    base = clock.now().replace(microsecond=0) - timedelta(days=10)
    steps = [
        (0, lambda: make.receive(w1, a, "5", "1.00")),
        (6, lambda: make.document("issue", w1, [(a, "5", None)])),  # A at zero ...
        (13, lambda: make.receive(w2, b, "3", "2.00")),
        (30, lambda: make.receive(w1, a, "2", "1.50")),  # ... until here
        (30, lambda: make.document("issue", w1, [(a, "2", None)])),  # a tie: zero again
        (30, lambda: make.receive(w1, a, "1", "1.00")),  # ... for no time at all
        (47, lambda: make.document("issue", w2, [(b, "3", None)])),  # B at zero to the end
        (55, lambda: make.receive(w1, c, "4", "0.50")),
        (71, lambda: make.document("issue", w1, [(a, "1", None), (c, "1", None)])),
        (90, lambda: make.receive(w1, c, "1", "0.75")),
    ]
    for hours, step in steps:
        with clock.pinned(base + timedelta(hours=hours)):
            step()
    return {"w1": w1, "w2": w2}


def test_stock_out_and_stock_value_equal_the_ledger_row_by_row(book):
    rows = _ledger()
    times = sorted({r.posted_at for r in rows})
    first, last = times[0], times[-1]
    instants = [first - timedelta(days=1), *times, last + timedelta(seconds=1)]
    instants += [t + (u - t) / 3 for t, u in zip(times, times[1:], strict=False)]
    checked = 0
    for start in instants:
        for stop in instants:
            if stop <= start:
                continue
            for warehouse in (None, book["w1"], book["w2"]):
                pairs, days = kpi_queries.stock_out(start, stop, warehouse)
                want_pairs, want_days = _stock_out_by_rows(rows, start, stop, warehouse)
                assert pairs == want_pairs
                # SQLite reads times through julianday: milliseconds
                assert days == pytest.approx(want_days, abs=1e-6)
                checked += 1
    assert checked > 100
    for at in instants:
        for warehouse in (None, book["w1"], book["w2"]):
            want = sum(
                (r.value for r in rows
                 if r.posted_at < at and warehouse in (None, r.warehouse_id)),
                Decimal(0),
            )  # fmt: skip
            assert kpi_queries.stock_value_before(at, warehouse) == want


def test_stock_out_counts_a_pair_at_zero_since_before_the_window(book):
    rows = _ledger()
    last = rows[-1].posted_at
    pairs, days = kpi_queries.stock_out(last + timedelta(days=1), last + timedelta(days=3), None)
    # A (W1, last issued at hour 71) and B (W2) stand at zero through both days; C holds stock.
    assert (pairs, days) == (3, pytest.approx(4.0))


def test_opening_value_and_consumption_in_one_read_equal_their_own_queries(book, make):
    """finance_kpis reads both at once; with a return to a supplier (not consumption) and a
    cancelled issue (its reversal nets out) after the book."""
    w1, last = book["w1"], _ledger()[-1].posted_at
    c = db.session.scalar(select(StockLedger.item_id).order_by(StockLedger.id.desc()).limit(1))
    with clock.pinned(last + timedelta(hours=1)):
        stock.create_document(
            make.admin,
            stock.NewDocument(
                DocumentType.ISSUE, w1, [LineIn(c, Decimal(1))], source="supplier_return:0"
            ),
        )
    with clock.pinned(last + timedelta(hours=2)):
        issued = make.document("issue", w1, [(c, "1", None)])
    with clock.pinned(last + timedelta(hours=3)):
        stock.cancel_document(make.admin, issued)
    rows = _ledger()
    times = sorted({r.posted_at for r in rows})
    instants = [times[0] - timedelta(days=1), *times, times[-1] + timedelta(seconds=1)]
    for start in instants:
        for stop in instants:
            if stop <= start:
                continue
            for warehouse in (None, book["w1"], book["w2"]):
                opening, quantity, value = kpi_queries.opening_and_consumption(
                    start, stop, warehouse
                )
                assert opening == kpi_queries.stock_value_before(start, warehouse)
                assert (quantity, value) == kpi_queries.consumption(start, stop, warehouse)
