"""Concurrent receipts on PostgreSQL: the over-receipt tolerance holds across parallel receipts,
every inspected lot is counted once in the shared switching state, and the books stay exact."""

from __future__ import annotations

import threading
from decimal import Decimal as D

import pytest

from inventory.db.base import db
from inventory.db.procurement_models import InspectionState
from inventory.domain.receiving import ReceiptLineIn
from inventory.errors import Conflict
from inventory.services import receipts
from tests.conftest import Factory, ledger_matches_balances
from tests.integration import receipt_helpers as h

pytestmark = pytest.mark.postgres
THREADS = 8
ATTEMPTS = 3  # per thread: 24 receipts of 20 against two orders of 100 (5 % tolerance: 105)


def test_parallel_receipts_respect_the_tolerance(pg_app):
    make = Factory()
    w, item = make.warehouse(), make.item()
    h.plan(item, "sampling", "1.0")
    first = h.order(make, [(item, "100", "2")], warehouse_id=w)
    second = h.order(make, [(item, "100", "3")], warehouse_id=w, supplier_id=first.supplier_id)
    worker = make.user("warehouse")
    done: list[int] = []
    refused: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()

    def receive(n: int) -> None:
        with pg_app.app_context():
            for attempt in range(ATTEMPTS):
                po = first if (n + attempt) % 2 else second
                try:
                    receipts.receive(
                        worker, po.id, [ReceiptLineIn(po.lines[0], D(20), D(20), D(0), "", 0)]
                    )
                    with lock:
                        done.append(po.id)
                except Conflict:
                    with lock:
                        refused.append(po.id)
                except Exception as exc:  # a failure to report, not to hide
                    with lock:
                        errors.append(repr(exc))
            db.session.remove()

    threads = [threading.Thread(target=receive, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert sorted(done) == sorted([first.id] * 5 + [second.id] * 5)
    assert len(refused) == THREADS * ATTEMPTS - 10
    assert h.order_state(first.id) == ("received", [D("100")])
    assert h.order_state(second.id) == ("received", [D("100")])
    assert h.on_hand(item, w) == (D("200"), D("500.00"))
    state = db.session.get(InspectionState, (first.supplier_id, item))
    assert (state.severity, state.recent) == ("normal", "AAAAA")
    assert ledger_matches_balances() == []
