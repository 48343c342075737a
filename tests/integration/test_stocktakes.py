from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from inventory.db import queries
from inventory.db.base import db
from inventory.db.models import AuditEvent, StockDocument, StockLedger, StocktakeLine
from inventory.domain.stocktake import CountIn
from inventory.errors import (
    Conflict,
    InsufficientStock,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from inventory.services import master_data, stocktakes
from tests.conftest import ledger_matches_balances

WIDE = {"quantity_tolerance_pct": D("100"), "value_tolerance": D("100000")}
BOOK_FIELDS = {"book_quantity", "book_unit_cost", "variance_quantity", "variance_value"}


def _on_hand(item_id, warehouse_id):
    rows = {r["warehouse_id"]: r for r in queries.stock_on_hand(item_id)}
    row = rows.get(warehouse_id)
    return (row["quantity"], row["value"]) if row else (D(0), D(0))


def _lines(body):
    return {line["item_id"]: line for line in body["lines"]}


def _count(actor, stocktake_id, *pairs):
    return stocktakes.count(actor, stocktake_id, [CountIn(i, D(q)) for i, q in pairs])


def _rows(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_counters_count_blind_and_everyone_sees_the_book_once_posted(backend, make):
    w, a, b = make.warehouse(), make.item(), make.item()
    make.receive(w, a, "10", "2")
    make.receive(w, b, "5", "3")
    counter = make.user("warehouse")
    take = stocktakes.create(counter, w, **WIDE)
    _count(counter, take, (a, "10"), (b, "4"))

    blind = stocktakes.get(take, counter.roles)
    assert blind["book_visible"] is False
    assert "accuracy_pct" not in blind
    for line in blind["lines"]:
        assert not BOOK_FIELDS & set(line)
    assert _lines(blind)[b]["counted_quantity"] == D("4")

    seen = _lines(stocktakes.get(take, {"finance"}))
    assert (seen[b]["book_quantity"], seen[b]["variance_quantity"]) == (D("5"), D("-1"))
    assert seen[b]["variance_value"] == D("-3.00")

    stocktakes.post(counter, take)
    after = stocktakes.get(take, counter.roles)
    assert after["book_visible"] is True and after["status"] == "posted"
    assert _lines(after)[b]["variance_quantity"] == D("-1")
    assert _on_hand(b, w) == (D("4"), D("12.00"))
    assert ledger_matches_balances() == []


def test_movements_during_the_count_are_not_variances(backend, make):
    w, item = make.warehouse(), make.item()
    make.receive(w, item, "10", "2")
    take = stocktakes.create(make.admin, w, **WIDE)
    make.receive(w, item, "5", "2")  # before the count: the book it is measured against has it
    _count(make.admin, take, (item, "14"))
    make.document("issue", w, [(item, "3", None)])  # after the count: not the count's business

    line = _lines(stocktakes.get(take, {"admin"}))[item]
    assert (line["book_quantity"], line["variance_quantity"]) == (D("15"), D("-1"))
    stocktakes.post(make.admin, take)
    # 15 − 3 issued − 1 missing; the missing one leaves at the average cost of 2.
    assert _on_hand(item, w) == (D("11"), D("22.00"))
    doc = queries.document(stocktakes.get(take)["document_id"])
    assert (doc["type"], doc["source"]) == ("adjustment", f"stocktake:{take}")
    assert [(x["item_id"], x["quantity"]) for x in doc["lines"]] == [(item, D("-1"))]
    assert ledger_matches_balances() == []


def test_a_recount_takes_a_fresh_book_snapshot(backend, make):
    w, item = make.warehouse(), make.item()
    make.receive(w, item, "10", "2")
    take = stocktakes.create(make.admin, w, **WIDE)
    _count(make.admin, take, (item, "8"))
    make.document("issue", w, [(item, "2", None)])  # the two were picked before the count
    _count(make.admin, take, (item, "8"))

    line = _lines(stocktakes.get(take, {"admin"}))[item]
    assert (line["count_number"], line["book_quantity"], line["variance_quantity"]) == (
        2,
        D("8"),
        D("0"),
    )
    stocktakes.post(make.admin, take)
    body = stocktakes.get(take)
    assert body["document_id"] is None and body["document_ids"] == []
    assert _on_hand(item, w) == (D("8"), D("16.00"))


def test_variance_beyond_tolerance_needs_another_users_approval(backend, make):
    w, item = make.warehouse(), make.item()
    make.receive(w, item, "100", "1")
    counter, approver = make.user("warehouse"), make.user("approver")
    take = stocktakes.create(make.admin, w)  # 2 % and 50.00 by default
    _count(counter, take, (item, "90"))  # 10 % short

    with pytest.raises(Conflict, match="needs an approver"):
        stocktakes.post(counter, take)
    with pytest.raises(PermissionDenied, match="your own"):
        stocktakes.approve(make.admin, take)
    stocktakes.approve(approver, take)
    assert stocktakes.get(take)["approved_by"] == approver.id

    _count(counter, take, (item, "91"))  # what was approved is no longer what would post
    assert stocktakes.get(take)["approved_by"] is None
    with pytest.raises(Conflict, match="needs an approver"):
        stocktakes.post(counter, take)
    stocktakes.approve(approver, take)
    stocktakes.post(counter, take)

    assert _on_hand(item, w) == (D("91"), D("91.00"))
    assert ledger_matches_balances() == []
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "stocktake", AuditEvent.entity_id == str(take))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "stocktake.create",
        "stocktake.count",
        "stocktake.approve",
        "stocktake.count",
        "stocktake.approve",
        "stocktake.post",
    ]


def test_a_counter_cannot_approve_what_they_counted(backend, make):
    w, item = make.warehouse(), make.item()
    make.receive(w, item, "10", "1")
    both = make.user("warehouse", "approver")
    take = stocktakes.create(make.admin, w)
    _count(both, take, (item, "5"))
    with pytest.raises(PermissionDenied, match="counted"):
        stocktakes.approve(both, take)


def test_a_closed_stocktake_refuses_counts_approval_and_posting(backend, make):
    w, item = make.warehouse(), make.item()
    make.receive(w, item, "10", "1")
    posted = stocktakes.create(make.admin, w, **WIDE)
    _count(make.admin, posted, (item, "10"))
    stocktakes.post(make.admin, posted)
    cancelled = stocktakes.create(make.admin, w, **WIDE)
    stocktakes.cancel(make.admin, cancelled)
    approver = make.user("approver")
    for take in (posted, cancelled):
        with pytest.raises(InvalidTransition, match="closed") as caught:
            _count(make.admin, take, (item, "9"))
        assert caught.value.status == 409
        with pytest.raises(InvalidTransition):
            stocktakes.approve(approver, take)
        with pytest.raises(InvalidTransition):
            stocktakes.post(make.admin, take)
        with pytest.raises(InvalidTransition):
            stocktakes.cancel(make.admin, take)
    assert stocktakes.get(cancelled, {"warehouse"})["book_visible"] is False


def test_accuracy_and_variance_figures(backend, make):
    w = make.warehouse()
    exact, near, short, found = (make.item(valuation_cost="4") for _ in range(4))
    make.receive(w, exact, "10", "1")
    make.receive(w, near, "100", "0.5")
    make.receive(w, short, "10", "3")
    take = stocktakes.create(make.admin, w)
    _count(make.admin, take, (exact, "10"), (near, "98"), (short, "7"), (found, "2"))

    body = stocktakes.get(take, {"approver"})
    lines = _lines(body)
    assert lines[near]["variance_value"] == D("-1.00") and lines[near]["within_tolerance"]
    assert lines[short]["variance_value"] == D("-9.00") and not lines[short]["within_tolerance"]
    # Nothing on the books: found stock is valued at the item's cost and always reviewed.
    assert (lines[found]["book_unit_cost"], lines[found]["variance_value"]) == (D("4"), D("8.00"))
    assert lines[found]["within_tolerance"] is False
    assert body["accuracy_pct"] == D("50.00")
    assert body["variance_value_total"] == D("-2.00")
    assert (body["lines_out_of_tolerance"], body["needs_approval"]) == (2, True)

    stocktakes.approve(make.user("approver"), take)
    stocktakes.post(make.admin, take)
    assert _on_hand(found, w) == (D("2"), D("8.00"))
    assert _on_hand(short, w) == (D("7"), D("21.00"))
    assert ledger_matches_balances() == []


def test_a_refused_request_writes_nothing(backend, make):
    w, a, b = make.warehouse(), make.item(category="tools"), make.item(category="tools")
    make.item(category="food")
    make.receive(w, a, "10", "1")
    take = stocktakes.create(make.admin, w, category="tools", **WIDE)
    assert stocktakes.get(take)["lines_total"] == 2

    with pytest.raises(ValidationFailed) as caught:
        _count(make.admin, take, (a, "9"), (99999, "1"))
    assert list(caught.value.errors["lines"]) == [1]
    assert _rows(StocktakeLine, StocktakeLine.count_number > 0) == 0

    _count(make.admin, take, (a, "0"))
    ledger, documents = _rows(StockLedger), _rows(StockDocument)
    with pytest.raises(Conflict, match="1 of 2 lines is not counted"):
        stocktakes.post(make.admin, take)
    _count(make.admin, take, (b, "0"))
    make.document("issue", w, [(a, "10", None)])  # the book now holds less than the count lost
    with pytest.raises(InsufficientStock):
        stocktakes.post(make.admin, take)
    assert (_rows(StockLedger), _rows(StockDocument)) == (ledger + 1, documents + 1)
    assert stocktakes.get(take)["status"] == "open"

    with pytest.raises(ValidationFailed):
        stocktakes.create(make.admin, w, category="nothing-here")
    with pytest.raises(ValidationFailed):
        stocktakes.create(make.admin, w, quantity_tolerance_pct=D("101"))


def test_open_stocktakes_do_not_overlap(backend, make):
    w1, w2 = make.warehouse(), make.warehouse()
    make.item(category="tools")
    make.item(category="food")
    whole = stocktakes.create(make.admin, w1)
    with pytest.raises(Conflict, match=f"Stocktake {whole} is still open"):
        stocktakes.create(make.admin, w1, category="food")
    stocktakes.create(make.admin, w2, category="food")
    stocktakes.cancel(make.admin, whole)
    stocktakes.create(make.admin, w1, category="tools")
    stocktakes.create(make.admin, w1, category="food")


def test_items_and_warehouses_in_a_stocktake_cannot_be_deleted(backend, make):
    w, item = make.warehouse(), make.item()
    stocktakes.create(make.admin, w)
    with pytest.raises(Conflict, match="stocktakes"):
        master_data.delete("item", make.admin, item)
    with pytest.raises(Conflict, match="stocktakes"):
        master_data.delete("warehouse", make.admin, w)


def test_a_large_count_posts_as_several_documents(backend, make, monkeypatch):
    monkeypatch.setattr("inventory.domain.documents.MAX_LINES", 2)
    w = make.warehouse()
    items = [make.item(valuation_cost="1") for _ in range(3)]
    take = stocktakes.create(make.admin, w, **WIDE)
    _count(make.admin, take, *[(i, "1") for i in items])
    stocktakes.approve(make.user("approver"), take)  # found stock is always reviewed
    stocktakes.post(make.admin, take)
    body = stocktakes.get(take)
    assert len(body["document_ids"]) == 2 and body["document_ids"][0] == body["document_id"]
    assert all(_on_hand(i, w) == (D("1"), D("1.00")) for i in items)
    assert ledger_matches_balances() == []
