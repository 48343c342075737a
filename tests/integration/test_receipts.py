"""Receipts against purchase orders on SQLite and PostgreSQL: partial receipts with rejection,
stock and moving-average cost, the order's status, over-receipt, cancel and returns."""

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from inventory.db import receipt_queries
from inventory.db.base import db
from inventory.db.models import AuditEvent, StockDocument, StockLedger
from inventory.db.procurement_models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    StatusChange,
    SupplierReturn,
)
from inventory.domain.receiving import ReceiptLineIn
from inventory.errors import (
    Conflict,
    InsufficientStock,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from inventory.services import receipts
from tests.conftest import ledger_matches_balances
from tests.integration import receipt_helpers as h

WRITTEN = (GoodsReceipt, GoodsReceiptLine, StockDocument, StockLedger, StatusChange, AuditEvent)


def _line(po_line_id, received, accepted=None, rejected="0", reason="", defects=None):
    accepted = received if accepted is None else accepted
    return ReceiptLineIn(po_line_id, D(received), D(accepted), D(rejected), reason, defects)


def _counts():
    return {t.__tablename__: h.count(t) for t in WRITTEN}


@pytest.fixture
def worker(make):
    return make.user("warehouse")


def test_two_partial_receipts_with_a_rejection(backend, make, worker):
    w, a, b = make.warehouse(), make.item(), make.item()
    make.receive(w, a, "45", "1.00")  # stock before the order: 45 at 1.00
    po = h.order(make, [(a, "100", "2.00"), (b, "10", "5.50")], warehouse_id=w)
    first = receipts.receive(
        worker,
        po.id,
        [_line(po.lines[0], "60", "55", "5", "crushed boxes"), _line(po.lines[1], "4")],
    )
    assert h.order_state(po.id) == ("partially_received", [D("55"), D("4")])
    # Moving average: (45 × 1.00 + 55 × 2.00) / 100 = 1.55
    assert h.on_hand(a, w) == (D("100"), D("155.00"))
    assert h.on_hand(b, w) == (D("4"), D("22.00"))
    receipt = receipt_queries.get_receipt(first.receipt_id)
    assert receipt["status"] == "posted" and receipt["warehouse_id"] == w
    assert [
        (x["received"], x["accepted"], x["rejected"], x["reason"]) for x in receipt["lines"]
    ] == [
        (D("60"), D("55"), D("5"), "crushed boxes"),
        (D("4"), D("4"), D("0"), ""),
    ]
    assert receipt["lines"][0]["unit_price"] == D("2.00")
    assert receipt["lines"][0]["ordered_at"] is not None
    doc = db.session.get(StockDocument, receipt["stock_document_id"])
    assert (doc.type, doc.status, doc.source) == (
        "receipt",
        "posted",
        f"goods_receipt:{first.receipt_id}",
    )

    receipts.receive(worker, po.id, [_line(po.lines[0], "45"), _line(po.lines[1], "6")])
    assert h.order_state(po.id) == ("received", [D("100"), D("10")])
    assert h.on_hand(a, w) == (D("145"), D("245.00"))
    assert h.on_hand(b, w) == (D("10"), D("55.00"))
    assert h.status_changes(po.id) == [
        ("sent", "partially_received"),
        ("partially_received", "received"),
    ]
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "goods_receipt.create")
        .order_by(AuditEvent.id)
    ).all()
    assert [e.entity_id for e in events][0] == str(first.receipt_id)
    assert [e.after["order_status"] for e in events] == [
        {"from": "sent", "to": "partially_received"},
        {"from": "partially_received", "to": "received"},
    ]
    assert events[0].after["stock_document_id"] == receipt["stock_document_id"]
    assert [x["accepted"] for x in events[0].after["lines"]] == ["55", "4"]
    assert ledger_matches_balances() == []
    listed, total = receipt_queries.order_receipts(po.id, 1, 50)
    assert total == 2 and [len(r["lines"]) for r in listed] == [2, 2]


def test_order_currency_is_valued_in_base_currency(backend, make, worker):
    w, item = make.warehouse(), make.item()
    po = h.order(make, [(item, "10", "1.2345")], warehouse_id=w, currency="USD", rate="0.912345")
    receipts.receive(worker, po.id, [_line(po.lines[0], "10")])
    # 1.2345 × 0.912345 = 1.126289... → 1.1263 per unit
    assert h.on_hand(item, w) == (D("10"), D("11.26"))
    cost = db.session.scalar(select(StockLedger.unit_cost).where(StockLedger.item_id == item))
    assert cost == D("1.1263")


def test_lines_accepting_nothing_stay_out_of_the_stock_document(backend, make, worker):
    w, a, b = make.warehouse(), make.item(), make.item()
    po = h.order(make, [(a, "10", "1"), (b, "10", "1")], warehouse_id=w)
    done = receipts.receive(
        worker, po.id, [_line(po.lines[0], "3", "0", "3", "wrong colour"), _line(po.lines[1], "2")]
    )
    doc_id = receipt_queries.get_receipt(done.receipt_id)["stock_document_id"]
    assert db.session.scalars(
        select(StockLedger.item_id).where(StockLedger.document_id == doc_id)
    ).all() == [b]
    # Everything rejected: no stock document at all, the order stays sent.
    po2 = h.order(make, [(a, "10", "1")], warehouse_id=w)
    only = receipts.receive(worker, po2.id, [_line(po2.lines[0], "3", "0", "3", "wet")])
    assert receipt_queries.get_receipt(only.receipt_id)["stock_document_id"] is None
    assert h.order_state(po2.id) == ("sent", [D("0")])


def test_another_warehouse_can_receive(backend, make, worker):
    w, other, item = make.warehouse(), make.warehouse(), make.item()
    po = h.order(make, [(item, "5", "3")], warehouse_id=w)
    receipts.receive(worker, po.id, [_line(po.lines[0], "5")], warehouse_id=other)
    assert h.on_hand(item, other) == (D("5"), D("15.00"))
    assert h.on_hand(item, w) == (D("0"), D("0"))


def test_over_receipt_beyond_tolerance_is_refused_and_writes_nothing(backend, make, worker):
    item = make.item()
    po = h.order(make, [(item, "100", "1")])
    receipts.receive(worker, po.id, [_line(po.lines[0], "60")])
    before = _counts()
    with pytest.raises(Conflict) as err:
        receipts.receive(worker, po.id, [_line(po.lines[0], "45.001")])
    assert err.value.extra["over_receipt"][0]["limit"] == "105.000"
    assert _counts() == before
    assert h.order_state(po.id) == ("partially_received", [D("60")])
    # Up to the tolerance is fine, rejected goods do not count, and a custom tolerance applies.
    receipts.receive(worker, po.id, [_line(po.lines[0], "50", "45", "5", "dented")])
    assert h.order_state(po.id) == ("received", [D("105")])
    po2 = h.order(make, [(item, "100", "1")])
    with pytest.raises(Conflict):
        receipts.receive(worker, po2.id, [_line(po2.lines[0], "101")], tolerance_pct=D("0"))


@pytest.mark.parametrize("status", ["draft", "cancelled", "closed"])
def test_receiving_on_an_order_that_is_not_open_is_refused(backend, make, worker, status):
    item = make.item()
    po = h.order(make, [(item, "10", "1")], status=status)
    before = _counts()
    with pytest.raises(InvalidTransition) as err:
        receipts.receive(worker, po.id, [_line(po.lines[0], "1")])
    assert err.value.extra["allowed"] == ["partially_received", "received", "sent"]
    assert _counts() == before


def test_unknown_lines_and_lines_of_other_orders_are_field_errors(backend, make, worker):
    item = make.item()
    po, other = h.order(make, [(item, "10", "1")]), h.order(make, [(item, "10", "1")])
    with pytest.raises(ValidationFailed) as err:
        receipts.receive(
            worker, po.id, [_line(po.lines[0], "1"), _line(other.lines[0], "1"), _line(999999, "1")]
        )
    assert set(err.value.errors["lines"]) == {1, 2}
    with pytest.raises(NotFound):
        receipts.receive(worker, 999999, [_line(po.lines[0], "1")])


def test_cancel_steps_the_order_back_through_the_ledger(backend, make, worker):
    w, item = make.warehouse(), make.item()
    make.receive(w, item, "10", "1.00")
    po = h.order(make, [(item, "10", "3.00")], warehouse_id=w)
    first = receipts.receive(worker, po.id, [_line(po.lines[0], "4")])
    second = receipts.receive(worker, po.id, [_line(po.lines[0], "6")])
    assert h.order_state(po.id) == ("received", [D("10")])
    assert h.on_hand(item, w) == (D("20"), D("40.00"))

    receipts.cancel_receipt(worker, second.receipt_id)
    assert h.order_state(po.id) == ("partially_received", [D("4")])
    assert h.on_hand(item, w) == (D("14"), D("22.00"))
    receipt = receipt_queries.get_receipt(second.receipt_id)
    assert receipt["status"] == "cancelled" and receipt["cancelled_at"] is not None
    assert db.session.get(StockDocument, receipt["stock_document_id"]).status == "cancelled"
    with pytest.raises(InvalidTransition):
        receipts.cancel_receipt(worker, second.receipt_id)

    receipts.cancel_receipt(worker, first.receipt_id)
    assert h.order_state(po.id) == ("sent", [D("0")])
    assert h.on_hand(item, w) == (D("10"), D("10.00"))
    assert h.status_changes(po.id) == [
        ("sent", "partially_received"),
        ("partially_received", "received"),
        ("received", "partially_received"),
        ("partially_received", "sent"),
    ]
    assert ledger_matches_balances() == []
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "goods_receipt")
    ).all()
    assert sorted(actions) == ["goods_receipt.cancel"] * 2 + ["goods_receipt.create"] * 2


def test_cancel_is_refused_when_the_stock_was_consumed(backend, make, worker):
    w, item = make.warehouse(), make.item()
    po = h.order(make, [(item, "10", "2")], warehouse_id=w)
    done = receipts.receive(worker, po.id, [_line(po.lines[0], "10")])
    make.document("issue", w, [(item, "7", None)])
    before = _counts()
    with pytest.raises(InsufficientStock):
        receipts.cancel_receipt(worker, done.receipt_id)
    assert _counts() == before
    assert h.order_state(po.id) == ("received", [D("10")])
    assert receipt_queries.get_receipt(done.receipt_id)["status"] == "posted"
    with pytest.raises(NotFound):
        receipts.cancel_receipt(worker, 999999)


def test_return_issues_at_average_cost_and_reduces_received(backend, make, worker):
    w, item = make.warehouse(), make.item()
    make.receive(w, item, "10", "1.00")
    po = h.order(make, [(item, "10", "4.00")], warehouse_id=w)
    done = receipts.receive(worker, po.id, [_line(po.lines[0], "10")])
    assert h.on_hand(item, w) == (D("20"), D("50.00"))  # average 2.50
    returned = receipts.return_to_supplier(worker, po.id, po.lines[0], D("4"), "faulty seals")
    assert h.on_hand(item, w) == (D("16"), D("40.00"))  # 4 × 2.50 out
    assert h.order_state(po.id) == ("partially_received", [D("6")])
    row = db.session.get(SupplierReturn, returned)
    doc = db.session.get(StockDocument, row.stock_document_id)
    assert (doc.type, doc.source) == ("issue", f"supplier_return:{returned}")
    assert (row.quantity, row.reason) == (D("4"), "faulty seals")
    assert h.status_changes(po.id)[-1] == ("received", "partially_received")
    # More than is left received is refused; so is cancelling the receipt the return drew on.
    with pytest.raises(Conflict):
        receipts.return_to_supplier(worker, po.id, po.lines[0], D("6.001"), "x")
    with pytest.raises(Conflict):
        receipts.cancel_receipt(worker, done.receipt_id)
    with pytest.raises(ValidationFailed):
        receipts.return_to_supplier(worker, po.id, po.lines[0], D("1"), "  ")
    # The order is re-received after the return.
    receipts.receive(worker, po.id, [_line(po.lines[0], "4")])
    assert h.order_state(po.id) == ("received", [D("10")])
    assert ledger_matches_balances() == []


def test_returns_are_refused_on_orders_never_received(backend, make, worker):
    item = make.item()
    po = h.order(make, [(item, "10", "1")])
    with pytest.raises(InvalidTransition):
        receipts.return_to_supplier(worker, po.id, po.lines[0], D("1"), "x")


def test_a_closed_order_takes_returns_and_stays_closed(backend, make, worker):
    w, item = make.warehouse(), make.item()
    po = h.order(make, [(item, "10", "1")], warehouse_id=w)
    receipts.receive(worker, po.id, [_line(po.lines[0], "10")])
    db.session.rollback()
    db.session.get(PurchaseOrder, po.id).status = "closed"  # as closing it would
    db.session.commit()
    receipts.return_to_supplier(worker, po.id, po.lines[0], D("2"), "late fault")
    assert h.order_state(po.id) == ("closed", [D("8")])
