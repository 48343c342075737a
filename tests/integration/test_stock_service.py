from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from inventory.db import queries
from inventory.db.base import db
from inventory.db.models import StockLedger
from inventory.errors import InsufficientStock, InvalidTransition, ValidationFailed
from inventory.services import stock
from tests.conftest import ledger_matches_balances


def _on_hand(item_id):
    return {r["warehouse_id"]: (r["quantity"], r["value"]) for r in queries.stock_on_hand(item_id)}


def test_receipt_issue_transfer_and_cancel_keep_the_books(backend, make):
    w1, w2, item = make.warehouse(), make.warehouse(), make.item()
    make.receive(w1, item, "10", "1.50")
    make.receive(w1, item, "5", "2.10")
    transfer = make.document("transfer", w1, [(item, "7", None)], to_warehouse_id=w2)
    make.document("issue", w2, [(item, "2", None)])
    assert _on_hand(item) == {w1: (D("8"), D("13.60")), w2: (D("5"), D("8.50"))}
    with pytest.raises(InsufficientStock):
        stock.cancel_document(make.admin, transfer)  # 5 left in w2, the reversal needs 7
    make.receive(w2, item, "2", "1.70")
    stock.cancel_document(make.admin, transfer)
    assert _on_hand(item) == {w1: (D("15"), D("25.50")), w2: (D("0"), D("0.00"))}
    assert ledger_matches_balances() == []


def test_a_refused_document_writes_nothing(backend, make):
    w, item = make.warehouse(), make.item()
    make.receive(w, item, "1", "1")
    before = db.session.execute(text("SELECT COUNT(*) FROM stock_ledger")).scalar()
    docs = db.session.execute(text("SELECT COUNT(*) FROM stock_document")).scalar()
    with pytest.raises(InsufficientStock):
        make.document("issue", w, [(item, "0.5", None), (item, "0.6", None)])
    with pytest.raises(ValidationFailed):
        make.document("issue", w, [(9999, "1", None)])
    assert db.session.execute(text("SELECT COUNT(*) FROM stock_ledger")).scalar() == before
    assert db.session.execute(text("SELECT COUNT(*) FROM stock_document")).scalar() == docs


def test_draft_posts_later_and_cannot_post_twice(backend, make):
    w, item = make.warehouse(), make.item()
    draft = make.document("receipt", w, [(item, "3", "2")], draft=True)
    assert _on_hand(item) == {}
    stock.post_document(make.admin, draft)
    assert _on_hand(item) == {w: (D("3"), D("6.00"))}
    with pytest.raises(InvalidTransition):
        stock.post_document(make.admin, draft)
    stock.cancel_document(make.admin, draft)
    with pytest.raises(InvalidTransition):
        stock.post_document(make.admin, draft)


def test_stock_as_of_a_past_moment_comes_from_the_ledger(backend, make):
    w, item = make.warehouse(), make.item()
    make.receive(w, item, "4", "1")
    # Through the mapped column, so the timestamp comes back timezone-aware on SQLite too.
    moment = db.session.scalar(select(func.max(StockLedger.posted_at)))
    make.document("issue", w, [(item, "3", None)])

    rows = db.session.execute(queries.balances(item_id=item, as_of=moment)).all()
    assert [(r.quantity, r.value) for r in rows] == [(D("4"), D("4.00"))]


def test_ledger_rows_cannot_be_changed_or_deleted(backend, make):
    w, item = make.warehouse(), make.item()
    make.receive(w, item, "1", "1")
    db.session.commit()
    for statement in ("UPDATE stock_ledger SET quantity = 0", "DELETE FROM stock_ledger"):
        with pytest.raises((DBAPIError, IntegrityError)):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.execute(text("SELECT COUNT(*) FROM stock_ledger")).scalar() == 1
