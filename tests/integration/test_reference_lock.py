"""On PostgreSQL a posting whose balance rows all exist locks them in its reference check.

One round trip fewer a document, with the same lock, in the same fixed order; when a row is
missing the check locks nothing and ``lock_balances`` creates it and locks them all in order.
Another connection probes the locks with ``NOWAIT``, so a test fails instead of waiting.
"""

from __future__ import annotations

from decimal import Decimal as D

import psycopg
import pytest

from inventory.db import driver, posting_reads
from inventory.db.base import db
from inventory.domain.documents import DocumentType, LineIn
from inventory.services import stock
from tests.conftest import Factory, ledger_matches_balances

pytestmark = pytest.mark.postgres


def _locked_elsewhere(app, keys) -> bool:
    """Whether any balance row of ``keys`` is locked by another transaction."""
    url = app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", "")
    with psycopg.connect(url) as other:
        for item, warehouse in keys:
            try:
                other.execute(
                    "SELECT 1 FROM stock_balance WHERE item_id = %s AND warehouse_id = %s"
                    " FOR UPDATE NOWAIT",
                    (item, warehouse),
                )
            except psycopg.errors.LockNotAvailable:
                return True
            finally:
                other.rollback()
    return False


def _stocked(make: Factory, count: int) -> tuple[int, list[int]]:
    warehouse = make.warehouse()
    items = [make.item() for _ in range(count)]
    for item in items:
        make.receive(warehouse, item, "10", "2")
    return warehouse, items


def test_existing_balance_rows_come_back_locked_with_their_figures(pg_app):
    make = Factory()
    warehouse, items = _stocked(make, 3)
    keys = sorted((item, warehouse) for item in items)
    rows = posting_reads.references(db.session, set(items), {warehouse}, keys)
    locked = sorted(row[1:3] + row[4:5] + row[6:8] for row in rows if row[0] == "locked")
    assert locked == [(item, warehouse, "moving_average", D("10"), D("20")) for item, _ in keys]
    assert _locked_elsewhere(pg_app, keys)
    db.session.rollback()
    assert not _locked_elsewhere(pg_app, keys)


def test_one_missing_row_leaves_every_row_unlocked(pg_app):
    make = Factory()
    warehouse, items = _stocked(make, 2)
    new_item = make.item()
    keys = sorted([(items[0], warehouse), (items[1], warehouse), (new_item, warehouse)])
    rows = posting_reads.references(db.session, {*items, new_item}, {warehouse}, keys)
    assert [row for row in rows if row[0] == "locked"] == []
    assert {row[1:3] for row in rows if row[0] == "balance"} == {
        (items[0], warehouse),
        (items[1], warehouse),
    }
    assert not _locked_elsewhere(pg_app, keys[:2])
    db.session.rollback()


def _issue(make: Factory, warehouse: int, items: list[int]) -> int:
    lines = [LineIn(item, D("1"), None) for item in items]
    return stock.create_document(
        make.admin, stock.NewDocument(DocumentType.ISSUE, warehouse, lines)
    )


@pytest.fixture
def locking_statements(monkeypatch) -> list[str]:
    """The ``FOR UPDATE`` statements the driver sends, in order."""
    sent: list[str] = []
    real = driver.execute

    def spy(session, sql, params=None, **kwargs):
        if "FOR UPDATE" in sql:
            sent.append(sql)
        return real(session, sql, params, **kwargs)

    monkeypatch.setattr(driver, "execute", spy)
    return sent


def test_a_steady_state_posting_locks_in_one_statement(pg_app, locking_statements):
    make = Factory()
    warehouse, items = _stocked(make, 3)
    locking_statements.clear()
    _issue(make, warehouse, items)
    assert len(locking_statements) == 1
    assert "'locked'" in locking_statements[0]
    assert ledger_matches_balances() == []


def test_a_posting_that_creates_a_row_locks_after_creating_it(pg_app, locking_statements):
    make = Factory()
    warehouse, items = _stocked(make, 2)
    other = make.warehouse()
    locking_statements.clear()
    doc = stock.create_document(
        make.admin,
        stock.NewDocument(
            DocumentType.TRANSFER,
            warehouse,
            [LineIn(items[0], D("4"), None)],
            to_warehouse_id=other,
        ),
    )
    assert doc
    # the reference check (which locked nothing) and then the lock of both rows
    assert len(locking_statements) == 2
    assert "'locked'" not in locking_statements[1]
    assert ledger_matches_balances() == []
