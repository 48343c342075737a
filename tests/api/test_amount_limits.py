"""Amounts at the edge of what the books hold: every quantity and price is inside its field's
range, but a product or a sum is beyond what a fixed-point column can store. Each is a 422 that
says so (never an overflow in the database, a 500), on both databases, and writes nothing; the
largest amount that still fits is recorded exactly."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest

from inventory import clock
from inventory.domain import numbers as n
from inventory.services import budgets, purchase_requests, scoring
from tests.api.helpers import assert_problem, writes_nothing
from tests.integration import receipt_helpers as rh
from tests.integration.purchasing_helpers import PURCHASING_TABLES, Purchasing

PR = "/api/v1/purchase-requests"
PO = "/api/v1/purchase-orders"
TABLES = (*PURCHASING_TABLES, "budget", "stock_document", "stock_ledger", "stock_balance")
TABLES += ("goods_receipt", "goods_receipt_line", "idempotency_key")
BIGGEST_QTY = "1000000000000"  # the schemas' largest quantity
MONEY_MAX = D(n.STORABLE_UNITS).scaleb(-n.VALUE_PLACES)  # 92233720368547758.07


def too_large(response, subject: str) -> dict:
    body = assert_problem(response, 422, "validation_failed")
    assert body["detail"] == f"The {subject}'s amounts are too large to record.", body
    return body


@pytest.fixture
def p(make):
    return Purchasing(make)


@pytest.fixture
def buyer(make, p):
    return {"Authorization": f"Bearer {make.token(p.buyer)}"}


def _request_body(p, item, *lines):
    return {
        "cost_centre_id": p.centre,
        "lines": [{"item_id": item, "quantity": q, "estimated_price": e} for q, e in lines],
    }


def test_a_request_total_up_to_the_largest_money_value_is_recorded(backend, client, make, p, buyer):
    item = make.item()
    # 10^12 × 92233.7203 is the largest request the biggest quantity allows at 4 price decimals.
    fits = client.post(PR, json=_request_body(p, item, (BIGGEST_QTY, "92233.7203")), headers=buyer)
    assert fits.status_code == 201, fits.get_json()
    assert fits.get_json()["total"] == "92233720300000000.00"
    request_id = fits.get_json()["id"]
    assert client.get(f"{PR}/{request_id}", headers=buyer).get_json()["total"] == (
        "92233720300000000.00"
    )
    with writes_nothing(TABLES):
        one_step_more = client.post(
            PR, json=_request_body(p, item, (BIGGEST_QTY, "92233.7204")), headers=buyer
        )
        body = too_large(one_step_more, "purchase request")
        assert body["errors"] == {"lines": {"0": {"quantity": [n.LINE_TOO_LARGE]}}}
        # The issue's request: each number is within its range, the product is not.
        issue = client.post(
            PR, json=_request_body(p, item, ("100000000", "1000000000")), headers=buyer
        )
        too_large(issue, "purchase request")
        # Lines that fit one by one, but not added up.
        halves = _request_body(p, item, (BIGGEST_QTY, "50000"), (BIGGEST_QTY, "50000"))
        body = too_large(client.post(PR, json=halves, headers=buyer), "purchase request")
        assert body["errors"] == {"lines": [n.TOTAL_TOO_LARGE]}


def test_editing_a_request_beyond_the_books_is_refused(backend, client, make, p, buyer):
    item = make.item()
    created = client.post(PR, json=_request_body(p, item, ("1", "1")), headers=buyer)
    url = f"{PR}/{created.get_json()['id']}"
    etag = client.get(url, headers=buyer).headers["ETag"]
    bigger = {"lines": _request_body(p, item, (BIGGEST_QTY, "1000000000000"))["lines"]}
    with writes_nothing(TABLES):
        response = client.patch(url, json=bigger, headers={**buyer, "If-Match": etag})
        too_large(response, "purchase request")
    assert client.get(url, headers=buyer).get_json()["total"] == "1.00"


def test_a_direct_order_beyond_the_books_is_refused(backend, client, make, p, buyer):
    item = make.item()
    supplier = p.supplier()

    def order(*lines):
        body = {
            "supplier_id": supplier,
            "warehouse_id": p.warehouse,
            "lines": [{"item_id": item, "quantity": q, "unit_price": u} for q, u in lines],
        }
        return client.post(PO, json=body, headers=buyer)

    with writes_nothing(TABLES):
        body = too_large(order((BIGGEST_QTY, BIGGEST_QTY)), "purchase order")
        assert body["errors"] == {"lines": {"0": {"quantity": [n.LINE_TOO_LARGE]}}}
        body = too_large(
            order(("1", "1"), (BIGGEST_QTY, "50000"), (BIGGEST_QTY, "50000")), "purchase order"
        )
        assert body["errors"] == {"lines": [n.TOTAL_TOO_LARGE]}
    largest = order((BIGGEST_QTY, "92233.7203"))
    assert largest.status_code == 201, largest.get_json()
    assert largest.get_json()["total"] == "92233720300000000.00"


def test_an_order_from_requests_beyond_the_books_is_refused(backend, client, make, p, buyer):
    item = make.item()
    supplier = p.supplier()
    p.offer(supplier, item, BIGGEST_QTY)  # the supplier's price is the largest allowed
    # An estimate of 0 passes the budget; the supplier's price makes the order too large.
    _, line_ids = p.approved_request((item, "1", "0"), (item, BIGGEST_QTY, "0"))
    body = {"request_line_ids": line_ids, "warehouse_id": p.warehouse}
    with writes_nothing(TABLES):
        response = client.post(f"{PO}/from-requests", json=body, headers=buyer)
        body = too_large(response, "purchase order")
        assert body["errors"] == {"request_line_ids": {"1": [n.LINE_TOO_LARGE]}}


def test_committed_spend_beyond_the_books_is_refused_at_approval(backend, client, make, p, buyer):
    # A budget that only flags overspending lets approvals run up to what the books hold.
    centre = budgets.create_centre(make.admin, code="BIG", name="Big")["id"]
    today = clock.now().date()
    budgets.create_budget(
        make.admin,
        {
            "cost_centre_id": centre,
            "period": "now",
            "starts_on": today - timedelta(days=1),
            "ends_on": today + timedelta(days=1),
            "amount": D(BIGGEST_QTY),
            "over_budget_action": "flag",
        },
    )
    item = make.item()
    approver = {"Authorization": f"Bearer {make.token(p.approver)}"}

    def submitted(*lines):
        body = {**_request_body(p, item, *lines), "cost_centre_id": centre}
        created = client.post(PR, json=body, headers=buyer)
        assert created.status_code == 201, created.get_json()
        return purchase_requests.submit(p.buyer, created.get_json()["id"])

    first = submitted((BIGGEST_QTY, "50000"))
    # Together with the first, exactly the largest money value.
    second = submitted((BIGGEST_QTY, "42233.7203"), ("6854775.807", "10"))
    third = submitted(("1", "0.01"))
    for request_id in (first, second):
        approved = client.post(f"{PR}/{request_id}/approve", json={}, headers=approver)
        assert approved.status_code == 200, approved.get_json()
    committed = client.get(
        "/api/v1/budgets", query_string={"cost_centre_id": centre}, headers=approver
    )
    assert committed.get_json()[0]["committed"] == str(MONEY_MAX)
    with writes_nothing(TABLES):
        refused = client.post(f"{PR}/{third}/approve", json={}, headers=approver)
        body = too_large(refused, "budget")
        assert list(body["errors"]) == ["total"]
    assert client.get(f"{PR}/{third}", headers=approver).get_json()["status"] == "submitted"


def test_receipts_returns_scores_and_exports_at_the_largest_values(backend, client, make):
    # Two orders of one item, each worth half of what a balance holds: the first is received and
    # partly returned; the second would take the item's stock value beyond the books.
    admin = make.headers("admin")
    item = make.item()
    warehouse = make.warehouse()
    first = rh.order(make, [(item, BIGGEST_QTY, "50000")], warehouse_id=warehouse)
    second = rh.order(make, [(item, BIGGEST_QTY, "50000")], warehouse_id=warehouse)

    def receive(order):
        line = {"po_line_id": order.lines[0], "received": BIGGEST_QTY, "accepted": BIGGEST_QTY}
        return client.post(f"{PO}/{order.id}/receipts", json={"lines": [line]}, headers=admin)

    received = receive(first)
    assert received.status_code == 201, received.get_json()
    with writes_nothing(TABLES):
        too_large(receive(second), "document")
    returned = client.post(
        f"{PO}/{first.id}/returns",
        json={"po_line_id": first.lines[0], "quantity": "1", "reason": "damaged"},
        headers=admin,
    )
    assert returned.status_code == 201, returned.get_json()
    balance = client.get("/api/v1/stock-balances", query_string={"item_id": item}, headers=admin)
    assert balance.get_json()[0]["value"] == "49999999999950000.00"
    assert scoring.rescore()["suppliers_scored"] >= 1
    today = str(clock.now().date())
    for url in ("/api/v1/supplier-scores", f"/api/v1/suppliers/{first.supplier_id}/score"):
        for query in ({}, {"as_of": today}):  # stored, and computed live
            scores = client.get(url, query_string=query, headers=admin)
            assert scores.status_code == 200, scores.get_json()
    orders = client.get(PO, headers=admin)
    assert orders.status_code == 200, orders.get_json()
    for url in ("/api/v1/stock-balances", "/api/v1/supplier-scores"):  # the two exports
        export = client.get(url, query_string={"format": "csv"}, headers=admin)
        assert export.status_code == 200, (url, export.get_data(as_text=True))
        assert export.mimetype == "text/csv"


def test_a_currency_at_the_largest_rate(backend, client, make, p, buyer):
    # Base amounts are amount × rate: at the largest rate they pass any precision a Decimal
    # context keeps by default, which must not turn into a 500 either.
    item = make.item()
    p.rate("USD", clock.now().date(), BIGGEST_QTY)
    supplier = p.supplier(currency="USD")
    p.offer(supplier, item, BIGGEST_QTY)
    proposals = client.get(
        "/api/v1/supplier-proposals",
        query_string={"item_id": item, "quantity": BIGGEST_QTY},
        headers=buyer,
    )
    assert proposals.status_code == 200, proposals.get_json()
    body = {
        "supplier_id": supplier,
        "warehouse_id": p.warehouse,
        "lines": [{"item_id": item, "quantity": BIGGEST_QTY, "unit_price": "92233.7203"}],
    }
    order = client.post(PO, json=body, headers=buyer)
    assert order.status_code == 201, order.get_json()
    assert order.get_json()["total"] == "92233720300000000.00"
    # Received at that rate, the unit cost in base currency is beyond a cost column.
    sent = rh.order(make, [(item, BIGGEST_QTY, "92233.7203")], currency="USD", rate=BIGGEST_QTY)
    line = {"po_line_id": sent.lines[0], "received": BIGGEST_QTY, "accepted": BIGGEST_QTY}
    admin = make.headers("admin")
    with writes_nothing(TABLES):
        receipt = client.post(f"{PO}/{sent.id}/receipts", json={"lines": [line]}, headers=admin)
        too_large(receipt, "document")
