"""Amounts the services take only above zero (or below a limit) are bounded so in the schema, so
the OpenAPI document tells a client what the service does: zero is refused by the schema with
a field error (the same 422 the service would give, before it is asked), the smallest positive
amount is accepted, and the document marks the bound as exclusive."""

from __future__ import annotations

import pytest

from inventory import clock
from tests.api.helpers import assert_problem, writes_nothing
from tests.integration import receipt_helpers as rh
from tests.integration.purchasing_helpers import PURCHASING_TABLES, Purchasing

PO = "/api/v1/purchase-orders"
ABOVE_ZERO = "Must be greater than 0 and less than or equal to 1000000000000."
TABLES = (*PURCHASING_TABLES, "goods_receipt", "goods_receipt_line", "stock_document")
TABLES += ("stock_ledger", "stocktake")


@pytest.fixture
def p(make):
    return Purchasing(make)


@pytest.fixture
def buyer(make, p):
    return {"Authorization": f"Bearer {make.token(p.buyer)}"}


def refused_by_schema(response, *path: str, message: str = ABOVE_ZERO) -> None:
    body = assert_problem(response, 422, "validation_failed")
    errors = body["errors"]
    for key in path:
        errors = errors[key]
    assert errors == [message], body


def test_request_and_order_quantities_are_above_zero(client, make, p, buyer):
    item = make.item()
    supplier = p.supplier()

    def request(quantity):
        line = {"item_id": item, "quantity": quantity, "estimated_price": "1"}
        return client.post(
            "/api/v1/purchase-requests",
            json={"cost_centre_id": p.centre, "lines": [line]},
            headers=buyer,
        )

    def order(quantity):
        line = {"item_id": item, "quantity": quantity, "unit_price": "1"}
        body = {"supplier_id": supplier, "warehouse_id": p.warehouse, "lines": [line]}
        return client.post(PO, json=body, headers=buyer)

    with writes_nothing(TABLES):
        for zero in ("0", "0.000", 0):  # as text, with decimals, as a JSON number
            refused_by_schema(request(zero), "lines", "0", "quantity")
            refused_by_schema(order(zero), "lines", "0", "quantity")
    assert request("0.001").status_code == 201
    created = order("0.001")
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["lines"][0]["quantity"] == "0.001"


def test_received_and_returned_quantities_are_above_zero(client, make):
    admin = make.headers("admin")
    item = make.item()
    sent = rh.order(make, [(item, "5", "2")], warehouse_id=make.warehouse())
    url = f"{PO}/{sent.id}"

    def receive(quantity):
        line = {"po_line_id": sent.lines[0], "received": quantity, "accepted": quantity}
        return client.post(f"{url}/receipts", json={"lines": [line]}, headers=admin)

    def give_back(quantity):
        body = {"po_line_id": sent.lines[0], "quantity": quantity, "reason": "damaged"}
        return client.post(f"{url}/returns", json=body, headers=admin)

    with writes_nothing(TABLES):
        refused_by_schema(receive("0"), "lines", "0", "received")
    assert receive("0.001").status_code == 201
    with writes_nothing(TABLES):
        refused_by_schema(give_back("0"), "quantity")
    returned = give_back("0.001")
    assert returned.status_code == 201, returned.get_json()


def test_price_breaks_exchange_rates_and_proposals_are_above_zero(client, make, p, buyer):
    item = make.item()
    supplier = p.supplier()
    url = f"/api/v1/suppliers/{supplier}/items"

    def offer(min_quantity):
        body = {"item_id": item, "unit_price": "2",
                "price_breaks": [{"min_quantity": min_quantity, "unit_price": "1"}]}  # fmt: skip
        return client.post(url, json=body, headers=buyer)

    def rate(value):
        body = {"currency": "USD", "valid_from": str(clock.now().date()), "rate": value}
        return client.post("/api/v1/exchange-rates", json=body, headers=buyer)

    def proposals(quantity):
        query = {"item_id": item, "quantity": quantity}
        return client.get("/api/v1/supplier-proposals", query_string=query, headers=buyer)

    with writes_nothing(TABLES):
        refused_by_schema(offer("0"), "price_breaks", "0", "min_quantity")
        refused_by_schema(rate("0"), "rate")
        refused_by_schema(rate("0.0000000"), "rate")
    assert offer("0.001").status_code == 201
    created = rate("0.000001")  # the smallest rate a rate column holds
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["rate"] == "0.000001"
    refused_by_schema(proposals("0"), "quantity")
    assert proposals("0.001").status_code == 200


def test_a_stocktake_tolerance_is_at_most_100_percent(client, make):
    counter = make.headers("warehouse")
    warehouse = make.warehouse()
    make.item()  # something to count

    def start(pct):
        body = {"warehouse_id": warehouse, "quantity_tolerance_pct": pct}
        return client.post("/api/v1/stocktakes", json=body, headers=counter)

    with writes_nothing(TABLES):
        message = "Must be greater than or equal to 0 and less than or equal to 100."
        refused_by_schema(start("100.01"), "quantity_tolerance_pct", message=message)
    started = start("100")
    assert started.status_code == 201, started.get_json()


BOUNDED = [  # (schema, field, exclusive minimum, maximum)
    ("RequestLineIn", "quantity", True, "1000000000000"),
    ("OrderLineIn", "quantity", True, "1000000000000"),
    ("ReceiptLineIn", "received", True, "1000000000000"),
    ("ReturnIn", "quantity", True, "1000000000000"),
    ("PriceBreak", "min_quantity", True, "1000000000000"),
    ("ExchangeRate", "rate", True, "1000000000000"),
    ("StocktakeIn", "quantity_tolerance_pct", False, "100"),
    ("Settings", "service_level_a", True, "1.0000"),
    # Zero allowed where the services take zero: a free item, "any pack size".
    ("RequestLineIn", "estimated_price", False, "1000000000000"),
    ("SupplierItem", "pack_size", False, "1000000000000"),
]


def test_the_openapi_document_tells_the_bounds(client):
    spec = client.get("/api/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    for schema, field, exclusive, maximum in BOUNDED:
        prop = schemas[schema]["properties"][field]
        assert prop.get("x-exclusiveMinimum", False) is exclusive, (schema, field, prop)
        assert prop["x-maximum"] == maximum, (schema, field, prop)
    (quantity,) = [
        x
        for x in spec["paths"]["/api/v1/supplier-proposals"]["get"]["parameters"]
        if x["name"] == "quantity"
    ]
    assert quantity["schema"]["x-exclusiveMinimum"] is True
    # Numbers get OpenAPI's own keyword; no integer field here has an open bound.
    assert '"exclusiveMinimum"' not in client.get("/api/openapi.json").get_data(as_text=True)
