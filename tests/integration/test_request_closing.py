"""Ordered requests close when their orders are done, on SQLite and PostgreSQL: by closing or
cancelling an order, and (``receipts._move_order``) by the receipt that completes one."""

from __future__ import annotations

import threading
import traceback
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from inventory.db import receipt_queries
from inventory.db.base import db
from inventory.db.models import AuditEvent
from inventory.db.procurement_models import PurchaseRequestLine
from inventory.domain.receiving import ReceiptLineIn
from inventory.errors import InvalidTransition
from inventory.services import order_closing, purchase_orders, purchase_requests, receipts
from inventory.services.order_from_requests import create_from_requests
from tests.conftest import Factory
from tests.integration.purchasing_helpers import Purchasing, count, mark_received, status_changes


@pytest.fixture
def buy(make) -> Purchasing:
    return Purchasing(make)


def _status(request_id: int) -> str:
    db.session.rollback()
    return purchase_requests.get(request_id)["status"]


def _sent_order(buy: Purchasing, request_line_ids: list[int]) -> int:
    (order_id,) = create_from_requests(buy.buyer, request_line_ids, buy.warehouse, buy.today)
    purchase_orders.send_order(buy.buyer, order_id, buy.today)
    return order_id


def _offered_item(make, buy: Purchasing, supplier: int | None = None, **offer) -> int:
    item = make.item()
    buy.offer(supplier or buy.supplier(), item, "2.00", **offer)
    return item


def _ordered_ids(line_ids: list[int]) -> list[D]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(PurchaseRequestLine.ordered_quantity)
            .where(PurchaseRequestLine.id.in_(line_ids))
            .order_by(PurchaseRequestLine.id)
        )
    )


def test_closing_a_received_order_closes_its_request(backend, make, buy):
    request_id, (line,) = buy.approved_request((_offered_item(make, buy), "10", "2.00"))
    order_id = _sent_order(buy, [line])
    mark_received(order_id, {1: "10"})  # no receipt: the order's close does the closing here
    assert _status(request_id) == "ordered"

    order_closing.close_order(buy.buyer, order_id, "invoiced")

    assert _status(request_id) == "closed"
    assert status_changes("purchase_request", request_id)[-1] == ("ordered", "closed")
    history = purchase_requests.get(request_id)["history"][-1]
    assert history["reason"] == f"purchase order {order_id} closed (invoiced)"
    assert history["actor_id"] == buy.buyer.id
    assert count(AuditEvent, AuditEvent.action == "purchase_request.closed") == 1
    (order_event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "purchase_order.close")
    ).all()
    assert order_event.after["closed_requests"] == [request_id]


def test_cancelling_a_partly_received_order_closes_only_the_request_it_served(backend, make, buy):
    supplier = buy.supplier()
    bolts = _offered_item(make, buy, supplier)
    nuts = _offered_item(make, buy, supplier)
    served, (bolt_line,) = buy.approved_request((bolts, "10", "2.00"))
    waiting, (nut_line,) = buy.approved_request((nuts, "5", "2.00"))
    order_id = _sent_order(buy, [bolt_line, nut_line])  # one supplier: one order, two requests
    mark_received(order_id, {1: "10"})

    order_closing.cancel_order(buy.buyer, order_id, "nuts discontinued")

    assert purchase_orders.get_order(order_id)["status"] == "closed"
    assert _status(served) == "closed"
    # The nuts never came: the line is released and waits to be ordered again, so its request
    # stays ordered (and can still be ordered; a closed one could not).
    assert _status(waiting) == "ordered"
    assert _ordered_ids([bolt_line, nut_line]) == [D("10"), D("0")]
    create_from_requests(buy.buyer, [nut_line], buy.warehouse, buy.today)


def test_an_order_cancelled_with_nothing_received_leaves_its_request_ordered(backend, make, buy):
    item = _offered_item(make, buy)
    request_id, (line,) = buy.approved_request((item, "10", "2.00"))
    first = _sent_order(buy, [line])

    order_closing.cancel_order(buy.buyer, first, "supplier cannot deliver")
    assert _status(request_id) == "ordered"
    assert count(AuditEvent, AuditEvent.action == "purchase_request.closed") == 0

    # Ordered again and done: the cancelled order counts as done, the request closes.
    again = _sent_order(buy, [line])
    mark_received(again, {1: "10"})
    order_closing.close_order(buy.buyer, again)
    assert _status(request_id) == "closed"
    reasons = [h["reason"] for h in purchase_requests.get(request_id)["history"]]
    assert reasons[-1] == f"purchase order {again} closed"


def test_an_ordered_request_whose_orders_ended_can_drop_what_it_still_needs(backend, make, buy):
    supplier = buy.supplier()
    bolts, nuts = _offered_item(make, buy, supplier), _offered_item(make, buy, supplier)
    nothing_came, (bolt_line,) = buy.approved_request((bolts, "10", "2.00"))
    some_came, (nut_line,) = buy.approved_request((nuts, "5", "2.00"))
    bolt_order = _sent_order(buy, [bolt_line])
    with pytest.raises(InvalidTransition) as refused:  # its order is still open
        purchase_requests.cancel(buy.buyer, nothing_came, reason="not needed")
    assert refused.value.extra["open_orders"] == ["sent"]
    db.session.rollback()
    order_closing.cancel_order(buy.buyer, bolt_order, "supplier cannot deliver")
    nut_order = _sent_order(buy, [nut_line])
    mark_received(nut_order, {1: "2"})
    order_closing.cancel_order(buy.buyer, nut_order, "rest discontinued")  # closes the order
    assert (_status(nothing_came), _status(some_came)) == ("ordered", "ordered")

    purchase_requests.cancel(buy.buyer, nothing_came, reason="found in the other store")
    purchase_requests.cancel(buy.buyer, some_came, reason="two are enough")

    assert _status(nothing_came) == "cancelled"  # nothing arrived: it commits no budget
    assert _status(some_came) == "closed"  # two nuts came: the need was partly met
    assert status_changes("purchase_request", some_came)[-1] == ("ordered", "closed")
    assert purchase_requests.get(some_came)["history"][-1]["reason"] == "two are enough"


def test_a_request_split_over_two_orders_closes_only_when_both_are_done(backend, make, buy):
    bolts, nuts = _offered_item(make, buy), _offered_item(make, buy)  # two suppliers
    request_id, (bolt_line, nut_line) = buy.approved_request(
        (bolts, "10", "2.00"), (nuts, "5", "2.00")
    )
    bolt_order, nut_order = _sent_order(buy, [bolt_line]), _sent_order(buy, [nut_line])
    mark_received(bolt_order, {1: "10"})
    mark_received(nut_order, {1: "2"})  # partially received: still open

    order_closing.close_order(buy.buyer, bolt_order)
    assert _status(request_id) == "ordered"

    mark_received(nut_order, {1: "5"})
    order_closing.close_order(buy.buyer, nut_order)
    assert _status(request_id) == "closed"
    assert status_changes("purchase_request", request_id).count(("ordered", "closed")) == 1


def test_a_request_with_a_line_not_yet_ordered_stays_ordered(backend, make, buy):
    bolts, nuts = _offered_item(make, buy), _offered_item(make, buy)
    request_id, (bolt_line, nut_line) = buy.approved_request(
        (bolts, "10", "2.00"), (nuts, "5", "2.00")
    )
    bolt_order, nut_order = _sent_order(buy, [bolt_line]), _sent_order(buy, [nut_line])
    order_closing.cancel_order(buy.buyer, nut_order)  # the nuts wait to be ordered again
    mark_received(bolt_order, {1: "10"})

    order_closing.close_order(buy.buyer, bolt_order)

    assert _status(request_id) == "ordered"
    assert _ordered_ids([bolt_line, nut_line]) == [D("10"), D("0")]


@pytest.mark.postgres
def test_two_orders_of_one_request_ending_at_once_close_it(pg_app):
    """Each ending locks its order, then the request: the later one sees the earlier done."""
    make = Factory()
    buy = Purchasing(make)
    # Packs of 12 for a need of 10: receiving 10 meets the need, and cancelling the rest of the
    # order releases nothing of the request line. Priced at 12 × 2.00, the need's estimate.
    bolts = _offered_item(make, buy, pack_size="12")
    nuts = _offered_item(make, buy, pack_size="12")
    request_id, lines = buy.approved_request((bolts, "10", "2.40"), (nuts, "10", "2.40"))
    orders = [_sent_order(buy, [line]) for line in lines]
    for order_id in orders:
        mark_received(order_id, {1: "10"})
    errors = []
    start = threading.Barrier(len(orders))

    def end(order_id: int) -> None:
        with pg_app.app_context():
            try:
                start.wait()
                order_closing.cancel_order(buy.buyer, order_id, "rest not needed")
            except Exception:  # any outcome but success fails the test below
                errors.append(traceback.format_exc())
            finally:
                db.session.remove()

    threads = [threading.Thread(target=end, args=(x,)) for x in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert [purchase_orders.get_order(x)["status"] for x in orders] == ["closed", "closed"]
    assert _status(request_id) == "closed"
    assert status_changes("purchase_request", request_id).count(("ordered", "closed")) == 1


# --- Through receipts ----------------------------------------------------------------------------
# These need the call to request_closing.close_finished_requests in receipts._move_order.


def _receive(worker, order_id: int, *quantities: str) -> None:
    lines = purchase_orders.get_order(order_id)["lines"]
    receipts.receive(
        worker,
        order_id,
        [
            ReceiptLineIn(line["id"], D(q), D(q), D(0), "", None)
            for line, q in zip(lines, quantities, strict=True)
        ],
    )


def test_the_receipt_that_completes_the_order_closes_its_request(backend, make, buy):
    worker = make.user("warehouse")
    request_id, (line,) = buy.approved_request((_offered_item(make, buy), "10", "2.00"))
    order_id = _sent_order(buy, [line])

    _receive(worker, order_id, "4")
    assert _status(request_id) == "ordered"
    _receive(worker, order_id, "6")

    assert purchase_orders.get_order(order_id)["status"] == "received"
    assert _status(request_id) == "closed"
    history = purchase_requests.get(request_id)["history"][-1]
    assert (history["from_status"], history["to_status"]) == ("ordered", "closed")
    assert history["actor_id"] == worker.id
    assert history["reason"].startswith(f"purchase order {order_id} received (goods receipt ")
    assert count(AuditEvent, AuditEvent.action == "purchase_request.closed") == 1
    # Closing the received order later finds the request closed already and leaves it be.
    order_closing.close_order(buy.buyer, order_id)
    assert status_changes("purchase_request", request_id).count(("ordered", "closed")) == 1


def test_a_receipt_closes_a_split_request_only_when_its_other_order_is_done(backend, make, buy):
    worker = make.user("warehouse")
    bolts, nuts = _offered_item(make, buy), _offered_item(make, buy)
    request_id, (bolt_line, nut_line) = buy.approved_request(
        (bolts, "10", "2.00"), (nuts, "5", "2.00")
    )
    bolt_order, nut_order = _sent_order(buy, [bolt_line]), _sent_order(buy, [nut_line])

    _receive(worker, bolt_order, "10")
    assert _status(request_id) == "ordered"
    _receive(worker, nut_order, "5")
    assert _status(request_id) == "closed"


# --- Reopening: a receipt cancelled or goods returned ---------------------------------------------


def _receipt_ids(order_id: int) -> list[int]:
    db.session.rollback()
    return [r["id"] for r in receipt_queries.order_receipts(order_id, 1, 100)[0]]


def _reopen_events(request_id: int) -> list[AuditEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "purchase_request.reopen",
                AuditEvent.entity_id == str(request_id),
            )
        )
    )


def test_cancelling_the_receipt_reopens_the_request_it_closed(backend, make, buy):
    worker = make.user("warehouse")
    request_id, (line,) = buy.approved_request((_offered_item(make, buy), "10", "2.00"))
    order_id = _sent_order(buy, [line])
    _receive(worker, order_id, "10")
    assert _status(request_id) == "closed"

    (receipt_id,) = _receipt_ids(order_id)
    receipts.cancel_receipt(worker, receipt_id)

    assert purchase_orders.get_order(order_id)["status"] == "sent"
    assert _status(request_id) == "ordered"
    history = purchase_requests.get(request_id)["history"][-1]
    assert (history["from_status"], history["to_status"]) == ("closed", "ordered")
    assert history["actor_id"] == worker.id
    assert history["reason"] == (
        f"purchase order {order_id} sent again (goods receipt {receipt_id} cancelled)"
    )
    (event,) = _reopen_events(request_id)
    assert (event.before["status"], event.after["status"]) == ("closed", "ordered")
    # Received again, it closes again: one more close, no second reopen.
    _receive(worker, order_id, "10")
    assert _status(request_id) == "closed"
    assert status_changes("purchase_request", request_id)[-3:] == [
        ("ordered", "closed"),
        ("closed", "ordered"),
        ("ordered", "closed"),
    ]


def test_returning_goods_reopens_the_request_and_a_second_return_leaves_it_be(backend, make, buy):
    worker = make.user("warehouse")
    request_id, (line,) = buy.approved_request((_offered_item(make, buy), "10", "2.00"))
    order_id = _sent_order(buy, [line])
    _receive(worker, order_id, "10")
    po_line = purchase_orders.get_order(order_id)["lines"][0]["id"]

    first = receipts.return_to_supplier(worker, order_id, po_line, D("3"), "damaged")

    assert purchase_orders.get_order(order_id)["status"] == "partially_received"
    assert _status(request_id) == "ordered"
    reason = purchase_requests.get(request_id)["history"][-1]["reason"]
    assert reason == f"purchase order {order_id} partially_received again (supplier return {first})"
    receipts.return_to_supplier(worker, order_id, po_line, D("7"), "all damaged")
    assert purchase_orders.get_order(order_id)["status"] == "sent"
    assert status_changes("purchase_request", request_id).count(("closed", "ordered")) == 1
    assert len(_reopen_events(request_id)) == 1


def test_a_split_request_reopens_when_one_of_its_orders_does(backend, make, buy):
    worker = make.user("warehouse")
    bolts, nuts = _offered_item(make, buy), _offered_item(make, buy)  # two suppliers
    request_id, (bolt_line, nut_line) = buy.approved_request(
        (bolts, "10", "2.00"), (nuts, "5", "2.00")
    )
    bolt_order, nut_order = _sent_order(buy, [bolt_line]), _sent_order(buy, [nut_line])
    _receive(worker, bolt_order, "10")
    _receive(worker, nut_order, "5")
    assert _status(request_id) == "closed"

    receipts.cancel_receipt(worker, _receipt_ids(nut_order)[0])

    assert _status(request_id) == "ordered"
    assert purchase_orders.get_order(bolt_order)["status"] == "received"  # untouched


def test_only_the_closed_request_on_a_shared_order_reopens(backend, make, buy):
    """One order carries a closed request and one still waiting for another line: cancelling
    the receipt reopens the first and writes nothing for the second."""
    worker = make.user("warehouse")
    supplier = buy.supplier()
    bolts, nuts = _offered_item(make, buy, supplier), _offered_item(make, buy, supplier)
    screws = _offered_item(make, buy)  # another supplier: another order
    done, (done_line,) = buy.approved_request((bolts, "10", "2.00"))
    waiting, (nut_line, screw_line) = buy.approved_request(
        (nuts, "5", "2.00"), (screws, "3", "2.00")
    )
    shared = _sent_order(buy, [done_line, nut_line])
    _sent_order(buy, [screw_line])  # stays open: ``waiting`` stays ordered throughout
    _receive(worker, shared, "10", "5")
    assert (_status(done), _status(waiting)) == ("closed", "ordered")
    waiting_history = status_changes("purchase_request", waiting)

    receipts.cancel_receipt(worker, _receipt_ids(shared)[0])

    assert (_status(done), _status(waiting)) == ("ordered", "ordered")
    assert status_changes("purchase_request", waiting) == waiting_history
    assert _reopen_events(waiting) == []


def test_a_request_closed_by_dropping_its_need_stays_closed(backend, make, buy):
    """The buyer ended it after part came: a receipt cancelled later must not revive the rest."""
    worker = make.user("warehouse")
    bolts, nuts = _offered_item(make, buy), _offered_item(make, buy)
    request_id, (bolt_line, nut_line) = buy.approved_request(
        (bolts, "10", "2.00"), (nuts, "5", "2.00")
    )
    bolt_order, nut_order = _sent_order(buy, [bolt_line]), _sent_order(buy, [nut_line])
    order_closing.cancel_order(buy.buyer, nut_order, "discontinued")
    _receive(worker, bolt_order, "10")
    purchase_requests.cancel(buy.buyer, request_id, reason="bolts are enough")
    assert _status(request_id) == "closed"
    history = status_changes("purchase_request", request_id)

    receipts.cancel_receipt(worker, _receipt_ids(bolt_order)[0])

    assert purchase_orders.get_order(bolt_order)["status"] == "sent"
    assert _status(request_id) == "closed"
    assert status_changes("purchase_request", request_id) == history
