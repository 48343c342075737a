"""Purchase orders through the services, on SQLite and PostgreSQL: from requests grouped by
supplier, direct orders with approval, sending at a fixed rate, cancel and close."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from inventory.db.base import db
from inventory.db.procurement_models import PurchaseOrder, PurchaseRequestLine
from inventory.domain.orders import ApprovalOutstanding, SupplierBlocked, SupplierOnHold
from inventory.domain.requests import RequestLineIn
from inventory.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from inventory.services import (
    approvals,
    order_closing,
    purchase_orders,
    purchase_requests,
    suppliers,
)
from inventory.services.order_from_requests import create_from_requests
from inventory.services.purchase_orders import OrderLineIn
from tests.api.helpers import row_counts
from tests.integration.purchasing_helpers import (
    PURCHASING_TABLES,
    Purchasing,
    mark_received,
    request_line_ids,
    status_changes,
)


@pytest.fixture
def buy(make) -> Purchasing:
    return Purchasing(make)


def _order(order_id):
    return purchase_orders.get_order(order_id)


def test_from_requests_groups_lines_by_proposed_supplier(backend, make, buy):
    bolts, nuts, washers = make.item("BOLT"), make.item("NUT"), make.item("WASHER")
    acme, bravo = buy.supplier("ACME"), buy.supplier("BRAVO")
    buy.offer(acme, bolts, "1.00", breaks=[("100", "0.80")], pack_size="50")
    buy.offer(bravo, bolts, "1.50")
    buy.offer(bravo, nuts, "0.2000", min_order_quantity="500")
    buy.offer(acme, washers, "0.10")
    buy.offer(bravo, washers, "0.104", preferred=True)  # within 5%, preferred: BRAVO
    first, (bolt_line, nut_line) = buy.approved_request(
        (bolts, "80", "1.00"), (nuts, "300", "0.20")
    )
    second, (washer_line,) = buy.approved_request((washers, "1000", "0.11"))

    order_ids = create_from_requests(
        buy.buyer, [bolt_line, nut_line, washer_line], buy.warehouse, buy.today
    )

    orders = [_order(x) for x in order_ids]
    assert [o["supplier_code"] for o in orders] == ["ACME", "BRAVO"]
    acme_order, bravo_order = orders
    (bolt,) = acme_order["lines"]
    # 80 → two packs of 50 = 100, which earns the 0.80 break: 100 × 0.80 = 80.00
    assert (bolt["quantity"], bolt["unit_price"], bolt["line_total"]) == (
        D("100"),
        D("0.80"),
        D("80.00"),
    )
    assert bolt["suggestion_reason"].startswith("ACME: cheapest of 2 offers.")
    assert "Rounded up from 80.000 (pack size 50.000)." in bolt["suggestion_reason"]
    assert bolt["promised_date"] == buy.today + timedelta(days=7)
    assert acme_order["total"] == D("80.00") and acme_order["status"] == "draft"
    nut, washer = bravo_order["lines"]
    assert (nut["quantity"], nut["request_line_id"]) == (D("500"), nut_line)
    assert washer["suggestion_reason"].startswith("BRAVO: within 5% of the cheapest offer")
    # 500 × 0.20 = 100.00 and 1000 × 0.104 = 104.00
    assert bravo_order["total"] == D("204.00")
    # ACME: 80.00 against an estimate of 80.00; BRAVO: 204.00 against 60.00 + 110.00 = 170.00,
    # 20% over the tolerance of 10%: that order waits for an approver.
    assert acme_order["approval_status"] == "not_required"
    assert (bravo_order["approval_status"], bravo_order["waiting_role"]) == ("pending", "approver")

    with_lines = {x.id: x for x in _request_lines([bolt_line, nut_line, washer_line])}
    assert all(x.ordered_quantity == x.quantity for x in with_lines.values())
    for request_id in (first, second):
        assert purchase_requests_status(request_id) == "ordered"
        assert status_changes("purchase_request", request_id)[-1] == ("approved", "ordered")
    assert status_changes("purchase_order", acme_order["id"]) == [(None, "draft")]


def purchase_requests_status(request_id):
    return purchase_requests.get(request_id)["status"]


def _request_lines(ids):
    db.session.rollback()
    return db.session.query(PurchaseRequestLine).filter(PurchaseRequestLine.id.in_(ids)).all()


def test_a_request_is_ordered_only_when_all_its_lines_are(backend, make, buy):
    a, b = make.item(), make.item()
    supplier = buy.supplier()
    buy.offer(supplier, a, "1")
    buy.offer(supplier, b, "1")
    request_id, (line_a, line_b) = buy.approved_request((a, "1", "1"), (b, "1", "1"))
    create_from_requests(buy.buyer, [line_a], buy.warehouse, buy.today)
    assert purchase_requests_status(request_id) == "approved"
    create_from_requests(buy.buyer, [line_b], buy.warehouse, buy.today)
    assert purchase_requests_status(request_id) == "ordered"


def test_lines_that_cannot_be_ordered_are_refused_and_nothing_is_written(backend, make, buy):
    item = make.item()
    supplier = buy.supplier()
    buy.offer(supplier, item, "1")
    _, (ordered_line,) = buy.approved_request((item, "1", "1"))
    create_from_requests(buy.buyer, [ordered_line], buy.warehouse, buy.today)
    draft = purchase_requests.create(buy.buyer, buy.centre, [RequestLineIn(item, D("1"), D("1"))])
    (draft_line,) = request_line_ids(draft)
    unsold = make.item()
    _, (no_offer_line,) = buy.approved_request((unsold, "1", "1"))

    before = row_counts(PURCHASING_TABLES)
    with pytest.raises(Conflict) as refused:
        create_from_requests(buy.buyer, [ordered_line, draft_line], buy.warehouse, buy.today)
    assert refused.value.errors["request_line_ids"] == {
        "0": [f"Request line {ordered_line} is already ordered."],
        "1": [f"Request {draft} is draft; only approved requests are ordered."],
    }
    with pytest.raises(ValidationFailed) as unknown:
        create_from_requests(buy.buyer, [999999], buy.warehouse, buy.today)
    assert unknown.value.errors["request_line_ids"] == {"0": ["No request line with id 999999."]}
    with pytest.raises(ValidationFailed) as no_offer:
        create_from_requests(buy.buyer, [no_offer_line], buy.warehouse, buy.today)
    assert "No active supplier offers item" in no_offer.value.errors["request_line_ids"]["0"][0]
    assert row_counts(PURCHASING_TABLES) == before


def test_blocked_and_on_hold_suppliers_get_no_orders(backend, make, buy):
    item = make.item()
    blocked = buy.supplier("BLOCKED", status="blocked")
    on_hold = buy.supplier("HOLD", status="on_hold")
    active = buy.supplier("ACTIVE")
    buy.offer(blocked, item, "0.01")  # the cheapest, but never proposed
    buy.offer(on_hold, item, "0.02")
    buy.offer(active, item, "5.00")
    assert suppliers.propose_supplier(item, D("1"), None, buy.today).supplier_id == active

    _, (request_line,) = buy.approved_request((item, "1", "5"))
    line = OrderLineIn(item, D("1"))
    before = row_counts(PURCHASING_TABLES)
    with pytest.raises(SupplierBlocked, match="BLOCKED is blocked"):
        purchase_orders.create_order(buy.buyer, blocked, buy.warehouse, [line], buy.today)
    with pytest.raises(SupplierOnHold, match="HOLD is on hold"):
        purchase_orders.create_order(buy.buyer, on_hold, buy.warehouse, [line], buy.today)
    with pytest.raises(SupplierBlocked):
        create_from_requests(
            buy.buyer,
            [request_line],
            buy.warehouse,
            buy.today,
            supplier_overrides={request_line: blocked},
        )
    assert row_counts(PURCHASING_TABLES) == before


def test_a_draft_whose_supplier_was_blocked_cannot_be_sent(backend, make, buy):
    item = make.item()
    supplier = buy.supplier("LATER")
    buy.offer(supplier, item, "1")
    _, (line,) = buy.approved_request((item, "1", "1"))
    (order_id,) = create_from_requests(buy.buyer, [line], buy.warehouse, buy.today)
    suppliers.update_supplier(buy.admin, supplier, {"status": "blocked"}, lambda current: None)
    with pytest.raises(SupplierBlocked):
        purchase_orders.send_order(buy.buyer, order_id, buy.today)
    assert _order(order_id)["status"] == "draft"


def test_a_direct_order_rounds_prices_and_waits_for_approval(backend, make, buy):
    boxed, loose = make.item(), make.item()
    supplier = buy.supplier("DIRECT", default_lead_time_days=3)
    buy.offer(supplier, boxed, "2.00", breaks=[("24", "1.75")], pack_size="12", lead_time_days=10)
    lines = [
        OrderLineIn(boxed, D("13")),  # → 24, at the 1.75 break
        OrderLineIn(loose, D("2.5"), D("3.3333"), date(2030, 1, 1)),  # no offer: price given
    ]
    order_id = purchase_orders.create_order(buy.buyer, supplier, buy.warehouse, lines, buy.today)
    order = _order(order_id)
    first, second = order["lines"]
    assert (first["quantity"], first["unit_price"], first["line_total"]) == (
        D("24"),
        D("1.75"),
        D("42.00"),
    )
    assert first["promised_date"] == buy.today + timedelta(days=10)
    assert first["suggestion_reason"] == (
        "Direct order. Rounded up from 13.000 (pack size 12.000). "
        "Supplier price for 24.000: 1.7500 EUR."
    )
    # 2.5 × 3.3333 = 8.33325 → 8.33; 42.00 + 8.33 = 50.33
    assert (second["line_total"], second["promised_date"]) == (D("8.33"), date(2030, 1, 1))
    assert order["total"] == D("50.33")
    assert (order["approval_status"], order["steps"]) == ("pending", ["approver"])

    with pytest.raises(ApprovalOutstanding, match="waiting for approver"):
        purchase_orders.send_order(buy.buyer, order_id, buy.today)
    approvals.approve_order(buy.approver, order_id)
    sent = _order(purchase_orders.send_order(buy.buyer, order_id, buy.today))
    assert (sent["status"], sent["exchange_rate"], sent["total_base"]) == ("sent", 1, D("50.33"))
    assert status_changes("purchase_order", order_id)[-1] == ("draft", "sent")


def test_a_direct_order_needs_a_price_for_an_item_the_supplier_does_not_offer(backend, make, buy):
    supplier, item = buy.supplier(), make.item()
    with pytest.raises(ValidationFailed) as refused:
        purchase_orders.create_order(
            buy.buyer, supplier, buy.warehouse, [OrderLineIn(item, D("1"))], buy.today
        )
    assert "give a unit price" in refused.value.errors["lines"]["0"]["unit_price"][0]
    with pytest.raises(ValidationFailed) as unknown:
        purchase_orders.create_order(
            buy.buyer, supplier, buy.warehouse, [OrderLineIn(999999, D("1"), D("1"))], buy.today
        )
    assert unknown.value.errors["lines"]["0"]["item_id"] == ["No item with id 999999."]


def test_sending_fixes_the_rate_valid_that_day(backend, make, buy):
    item = make.item()
    yankee = buy.supplier("YANKEE", currency="USD")
    buy.offer(yankee, item, "3.3333")
    buy.rate("USD", date(2026, 1, 1), "0.900000")
    buy.rate("USD", date(2026, 2, 1), "0.912345")
    buy.rate("USD", date(2026, 3, 1), "0.950000")  # not valid yet on the day it is sent
    _, (line,) = buy.approved_request((item, "12", "3.10"))
    # Proposed on 2026-02-10: 12 × 3.3333 = 40.00 USD → 36.49 EUR at 0.912345, within 10% of
    # the estimate 37.20, so no approval.
    (order_id,) = create_from_requests(buy.buyer, [line], buy.warehouse, date(2026, 2, 10))
    assert _order(order_id)["approval_status"] == "not_required"

    with pytest.raises(ValidationFailed) as missing:
        purchase_orders.send_order(buy.buyer, order_id, date(2025, 12, 31))
    assert "No exchange rate for USD is valid on 2025-12-31" in missing.value.detail
    assert missing.value.extra == {"currency": "USD", "valid_on": "2025-12-31"}

    order = _order(purchase_orders.send_order(buy.buyer, order_id, date(2026, 2, 28)))
    assert (order["exchange_rate"], order["total"], order["total_base"]) == (
        D("0.912345"),
        D("40.00"),
        D("36.49"),
    )
    assert order["sent_at"] is not None
    with pytest.raises(InvalidTransition) as again:
        purchase_orders.send_order(buy.buyer, order_id, date(2026, 2, 28))
    assert again.value.extra["allowed"] == ["cancelled", "partially_received", "received"]


def test_an_offer_in_a_currency_without_a_rate_is_not_proposed(backend, make, buy):
    item = make.item()
    pounds = buy.supplier("POUNDS", currency="GBP")
    euros = buy.supplier("EUROS")
    buy.offer(pounds, item, "0.01")
    buy.offer(euros, item, "9.00")
    proposal = suppliers.propose_supplier(item, D("1"), None, buy.today)
    assert proposal.supplier_id == euros
    assert proposal.reason.endswith("Offers in GBP skipped: no exchange rate.")


def _ordered(make, buy, quantity="10"):
    item = make.item()
    supplier = buy.supplier()
    buy.offer(supplier, item, "2.00")
    request_id, (line,) = buy.approved_request((item, quantity, "2.00"))
    (order_id,) = create_from_requests(buy.buyer, [line], buy.warehouse, buy.today)
    return request_id, line, order_id


def test_cancelling_an_order_with_nothing_received_releases_the_request(backend, make, buy):
    request_id, line, order_id = _ordered(make, buy)
    purchase_orders.send_order(buy.buyer, order_id, buy.today)
    order = _order(order_closing.cancel_order(buy.buyer, order_id, "supplier cannot deliver"))
    assert order["status"] == "cancelled"
    assert [(x["cancelled_quantity"], x["open_quantity"]) for x in order["lines"]] == [(10, 0)]
    assert status_changes("purchase_order", order_id)[-1] == ("sent", "cancelled")
    (request_line,) = _request_lines([line])
    assert request_line.ordered_quantity == 0
    # The request stays "ordered" (its states have no way back), yet the need can be reordered.
    assert purchase_requests_status(request_id) == "ordered"
    (again,) = create_from_requests(buy.buyer, [line], buy.warehouse, buy.today)
    assert _order(again)["lines"][0]["quantity"] == 10
    with pytest.raises(InvalidTransition):
        order_closing.cancel_order(buy.buyer, order_id)


def test_cancelling_a_partly_received_order_cancels_the_rest_and_closes_it(backend, make, buy):
    _, line, order_id = _ordered(make, buy)
    purchase_orders.send_order(buy.buyer, order_id, buy.today)
    mark_received(order_id, {1: "4"})
    order = _order(order_closing.cancel_order(buy.buyer, order_id, "rest not needed"))
    assert order["status"] == "closed"
    (po_line,) = order["lines"]
    assert (po_line["received_quantity"], po_line["cancelled_quantity"]) == (4, 6)
    assert po_line["open_quantity"] == 0
    (request_line,) = _request_lines([line])
    assert request_line.ordered_quantity == 4  # what arrived stays ordered


def test_a_fully_received_order_is_closed_not_cancelled(backend, make, buy):
    _, _, order_id = _ordered(make, buy)
    purchase_orders.send_order(buy.buyer, order_id, buy.today)
    mark_received(order_id, {1: "10"})
    with pytest.raises(InvalidTransition, match="close it instead"):
        order_closing.cancel_order(buy.buyer, order_id)
    closed = _order(order_closing.close_order(buy.buyer, order_id, "invoiced"))
    assert closed["status"] == "closed"
    assert status_changes("purchase_order", order_id)[-1] == ("received", "closed")
    with pytest.raises(InvalidTransition):
        purchase_orders.set_promised_date(
            buy.buyer, order_id, closed["lines"][0]["id"], date(2030, 1, 1)
        )


def test_a_promised_date_is_kept_per_line(backend, make, buy):
    _, _, order_id = _ordered(make, buy)
    line_id = _order(order_id)["lines"][0]["id"]
    purchase_orders.set_promised_date(buy.buyer, order_id, line_id, date(2031, 5, 6))
    assert _order(order_id)["lines"][0]["promised_date"] == date(2031, 5, 6)
    with pytest.raises(NotFound):
        purchase_orders.set_promised_date(buy.buyer, order_id, 999999, None)


def test_a_pending_order_that_is_cancelled_leaves_the_inbox(backend, make, buy):
    supplier, item = buy.supplier(), make.item()
    order_id = purchase_orders.create_order(
        buy.buyer, supplier, buy.warehouse, [OrderLineIn(item, D("1"), D("1"))], buy.today
    )
    order_closing.cancel_order(buy.buyer, order_id)
    db.session.rollback()
    order = db.session.get(PurchaseOrder, order_id)
    assert (order.status, order.waiting_role) == ("cancelled", None)
