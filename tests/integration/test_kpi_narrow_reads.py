"""The KPIs' narrowed reads equal the full computations they replace, on SQLite and PostgreSQL:
OTIF read only for order lines with a promise (against the score's own full frame) with
deliveries on the window's first and last day, and stock-out days with a pair at zero across
the window's start (against the ledger row by row), for a window up to now and one that ends
before later rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from inventory import clock
from inventory.db import kpi_queries, scoring_queries
from inventory.db.models import StockBalance
from inventory.db.procurement_models import PurchaseOrderLine
from inventory.domain.pricing import BASE_CURRENCY
from inventory.services import finance_kpis, finance_reports, scoring
from inventory.services.score_frame import judged_deliveries
from inventory.services.tx import transaction
from tests.integration.test_kpi_queries import _ledger, _stock_out_by_rows
from tests.scoring_seed import Seeder, at

FIRST, LAST = date(2026, 3, 1), date(2026, 3, 31)


def _full_otif(config):
    """The KPI from every delivery of the window, judged by the score's own frame."""
    judged = judged_deliveries(scoring_queries.deliveries(FIRST, LAST, BASE_CURRENCY), config)
    promised = judged[judged["otif"].notna()]
    per_supplier = [
        {"supplier_id": int(s), "deliveries": len(g), "otif": round(float(g["otif"].mean()), 4)}
        for s, g in promised.groupby("supplier_id")
    ]
    overall = round(float(promised["otif"].mean()), 4) if len(promised) else None
    return len(promised), overall, per_supplier


@pytest.fixture
def receipts(backend, make):
    seed = Seeder(make)
    item = make.item()
    a, b = seed.supplier("A"), seed.supplier("B")
    # promised, delivered in two parts: the first on the window's first day at 00:00, the rest
    # on its last day at 23:59 (late)
    (edges,) = seed.order(a, [(item, "10", "1", "2026-03-01")], sent="2026-02-20")
    seed.receipt([(edges, "6", "6")], at("2026-03-01", 0, 0))
    seed.receipt([(edges, "4", "4")], at("2026-03-31", 23, 59))
    # no promise anywhere, short, twice in the window: left out, no judgement
    (none,) = seed.order(a, [(item, "10", "1", None)], sent="2026-02-20")
    seed.receipt([(none, "3", "3")], at("2026-03-02"))
    seed.receipt([(none, "3", "3")], at("2026-03-03"))
    # the promise only on the receipt lines (the order line's taken away after receiving),
    # completed by what was accepted before the window
    (receipt_only,) = seed.order(b, [(item, "20", "1", "2026-03-05")], sent="2026-02-01")
    seed.receipt([(receipt_only, "15", "15")], at("2026-02-28", 23, 59))
    seed.receipt([(receipt_only, "5", "5")], at("2026-03-06"))
    with transaction() as session:
        session.get(PurchaseOrderLine, receipt_only).promised_date = None
    # the day before and the day after the window: outside it
    (outside,) = seed.order(b, [(item, "5", "1", "2026-02-27")], sent="2026-02-01")
    seed.receipt([(outside, "5", "5")], at("2026-02-28", 23, 59))
    (after,) = seed.order(b, [(item, "5", "1", "2026-04-01")], sent="2026-02-01")
    seed.receipt([(after, "5", "5")], at("2026-04-01", 0, 0))
    return {"A": a, "B": b}


def test_otif_from_the_lines_with_a_promise_equals_the_full_frame(receipts, app):
    app.config["SERVICE_TIME_ZONE"] = "UTC"
    config = scoring.config_from_environment()
    win = finance_reports.window(FIRST, LAST, clock.service_zone())
    got = finance_kpis._otif(win)
    assert got == _full_otif(config)
    deliveries, overall, per_supplier = got
    # A: the first-day part on time but short, the last-day part late; B: completed, on time
    assert deliveries == 3 and overall == pytest.approx(1 / 3, abs=1e-4)
    assert [s["supplier_id"] for s in per_supplier] == [receipts["A"], receipts["B"]]
    frame = scoring_queries.otif_deliveries(FIRST, LAST)
    assert len(frame) == 3  # the line without a promise is not read
    assert finance_kpis._otif(win) == got  # twice, the same


def test_an_empty_window_has_no_otif(receipts, app):
    app.config["SERVICE_TIME_ZONE"] = "UTC"
    win = finance_reports.window(date(2027, 1, 1), date(2027, 1, 31), clock.service_zone())
    assert finance_kpis._otif(win) == (0, None, [])


@pytest.fixture
def zero_across_start(backend, make):
    """A at zero from before the window's start until a receipt inside it; B at zero from
    before the start through the end; C never at zero."""
    w = make.warehouse("W1")
    a, b, c = make.item("A"), make.item("B"), make.item("C")
    base = clock.now().replace(microsecond=0) - timedelta(days=10)
    steps = [
        (0, lambda: make.receive(w, a, "2", "1.00")),
        (1, lambda: make.receive(w, b, "1", "1.00")),
        (2, lambda: make.receive(w, c, "5", "1.00")),
        (3, lambda: make.document("issue", w, [(a, "2", None), (b, "1", None)])),
        (50, lambda: make.receive(w, a, "4", "1.00")),
        (60, lambda: make.document("issue", w, [(c, "1", None)])),
    ]
    for hours, step in steps:
        with clock.pinned(base + timedelta(hours=hours)):
            step()
    return base


def test_stock_out_across_the_window_start_equals_the_ledger_row_by_row(zero_across_start, make):
    base, rows = zero_across_start, _ledger()
    assert rows[-1].posted_at < datetime.now(UTC)
    start = base + timedelta(hours=24)  # A and B at zero since hour 3
    for stop in (
        base + timedelta(hours=50),  # stops at A's receipt: rows at and after it, probed
        base + timedelta(hours=55),  # ends before C's issue: the pairs are probed
        datetime.now(UTC) + timedelta(days=1),  # nothing posted at or after the stop
    ):
        got = kpi_queries.stock_out(start, stop, None)
        want = _stock_out_by_rows(rows, start, stop)
        assert got[0] == want[0]
        assert got[1] == pytest.approx(want[1], abs=1e-6)
    # B alone stays at zero past A's receipt
    now_stop = datetime.now(UTC) + timedelta(days=1)
    assert kpi_queries.stock_out(start, now_stop, None)[1] == pytest.approx(
        ((base + timedelta(hours=50) - start) + (now_stop - start)).total_seconds() / 86400.0,
        abs=1e-6,
    )
    # a balance a lock made that nothing was posted to (a stocktake line counted at zero, for
    # one) is no pair, in both ways of counting
    d = make.item("D")
    with transaction() as session:
        session.add(StockBalance(item_id=d, warehouse_id=rows[0].warehouse_id,
                                 quantity=Decimal(0), value=Decimal(0)))  # fmt: skip
    rows = _ledger()
    for stop in (base + timedelta(hours=55), now_stop):
        want = _stock_out_by_rows(rows, start, stop)[0]
        assert kpi_queries.stock_out(start, stop, None)[0] == want == 3
    # a window before any row: no pair, no time
    assert kpi_queries.stock_out(base - timedelta(days=2), base - timedelta(days=1), None) == (
        0,
        0.0,
    )
