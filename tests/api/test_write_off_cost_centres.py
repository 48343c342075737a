"""Stocktake write-offs and supplier returns charged to a cost centre, through the API on SQLite
and PostgreSQL (``backend``): the optional ``cost_centre_id`` of a stocktake and of a return
(validated: exists and active, else 422 naming the field and nothing written; a stocktake's
centre is checked again when it is posted), and the cost of goods issued showing their ledger
value under that centre — a stocktake's shortages only, not the stock it found.

The book: item NUT in warehouse W, 10 received at 3.00, and BOLT, 5 at 2.00. A stocktake
charged to centre A counts NUT 7 (3 missing: 9.00 written off) and BOLT 6 (1 found: no cost).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from inventory.services import budgets
from tests.api.helpers import assert_problem, writes_nothing
from tests.integration import receipt_helpers as h

TAKES = "/api/v1/stocktakes"
COGS = "/api/v1/reports/cogs"
EXCEPTIONS = "/api/v1/reports/exceptions"
TABLES = ("stocktake", "stocktake_line", "stock_document", "stock_ledger", "supplier_return",
          "audit_event", "idempotency_key")  # fmt: skip


@pytest.fixture
def clerk(make):
    return make.headers("warehouse")


@pytest.fixture
def finance(make):
    return make.headers("finance")


def _centre(make, code: str, active: bool = True) -> int:
    return budgets.create_centre(make.admin, code=code, name=code, active=active)["id"]


def _open(client, clerk, warehouse, **extra):
    # Wide tolerances: no variance here needs an approver before posting.
    body = {"warehouse_id": warehouse, "quantity_tolerance_pct": "100",
            "value_tolerance": "100000", **extra}  # fmt: skip
    return client.post(TAKES, json=body, headers=clerk)


def _count_and_post(client, clerk, take_id, counts):
    lines = [{"item_id": i, "counted_quantity": q} for i, q in counts.items()]
    counted = client.post(f"{TAKES}/{take_id}/counts", json={"lines": lines}, headers=clerk)
    assert counted.status_code == 200, counted.get_json()
    return client.post(f"{TAKES}/{take_id}/post", headers=clerk)


def _cogs(client, finance, **query) -> list[dict]:
    query = {"group_by": ["reason", "cost_centre"], **query}
    response = client.get(COGS, query_string=query, headers=finance)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["rows"]


def _row(rows, reason, centre):
    found = [r for r in rows if r["reason"] == reason and r["cost_centre_id"] == centre]
    assert len(found) == 1, rows
    return found[0]["quantity"], found[0]["value"]


@pytest.fixture
def book(backend, make):
    w, nut, bolt = make.warehouse("W"), make.item("NUT"), make.item("BOLT")
    make.receive(w, nut, "10", "3.00")
    make.receive(w, bolt, "5", "2.00")
    return {"w": w, "nut": nut, "bolt": bolt}


def test_a_stocktake_charges_its_shortages_to_its_centre(client, clerk, finance, make, book):
    a = _centre(make, "A")
    opened = _open(client, clerk, book["w"], cost_centre_id=a)
    assert opened.status_code == 201, opened.get_json()
    take = opened.get_json()
    assert take["cost_centre_id"] == a
    posted = _count_and_post(client, clerk, take["id"], {book["nut"]: "7", book["bolt"]: "6"})
    assert posted.status_code == 200, posted.get_json()
    assert posted.get_json()["cost_centre_id"] == a

    rows = _cogs(client, finance)
    assert _row(rows, "stocktake", a) == ("3.000", "9.00")  # BOLT found: no cost
    assert _cogs(client, finance, cost_centre_id=a, group_by=["cost_centre"]) == [
        {"cost_centre_id": a, "quantity": "3.000", "value": "9.00"}
    ]
    # The variance rows of the exceptions report carry the centre and keep to its filter.
    variances = client.get(EXCEPTIONS, query_string={"kind": "stocktake_variance",
                           "cost_centre_id": a}, headers=finance).get_json()  # fmt: skip
    assert sorted((r["item_id"], r["cost_centre_id"], r["value"]) for r in variances) == sorted(
        [(book["nut"], a, "-9.00"), (book["bolt"], a, "2.00")]
    )


def test_a_stocktake_without_a_centre_shows_its_shortage_under_none(
    client, clerk, finance, make, book
):
    take = _open(client, clerk, book["w"]).get_json()
    assert take["cost_centre_id"] is None
    assert (
        _count_and_post(
            client, clerk, take["id"], {book["nut"]: "9", book["bolt"]: "5"}
        ).status_code
        == 200
    )
    assert _row(_cogs(client, finance), "stocktake", None) == ("1.000", "3.00")


def test_a_cancelled_write_off_nets_out_in_its_centre(client, clerk, finance, make, book):
    a = _centre(make, "A")
    take = _open(client, clerk, book["w"], cost_centre_id=a).get_json()
    posted = _count_and_post(client, clerk, take["id"], {book["nut"]: "7", book["bolt"]: "6"})
    (document,) = posted.get_json()["document_ids"]
    cancelled = client.post(f"/api/v1/stock-documents/{document}/cancel", headers=clerk)
    assert cancelled.status_code == 200, cancelled.get_json()
    assert _row(_cogs(client, finance), "stocktake", a) == ("0.000", "0.00")


def test_a_centre_made_inactive_before_posting_is_a_422(client, clerk, make, book):
    centre = _centre(make, "LATER")
    take = _open(client, clerk, book["w"], cost_centre_id=centre).get_json()
    budgets.update_centre(make.admin, centre, {"active": False}, lambda _: None)
    lines = [{"item_id": book["nut"], "counted_quantity": "7"},
             {"item_id": book["bolt"], "counted_quantity": "5"}]  # fmt: skip
    client.post(f"{TAKES}/{take['id']}/counts", json={"lines": lines}, headers=clerk)
    with writes_nothing(("stock_document", "stock_ledger")):
        body = assert_problem(client.post(f"{TAKES}/{take['id']}/post", headers=clerk), 422)
    assert list(body["errors"]) == ["cost_centre_id"]
    budgets.update_centre(make.admin, centre, {"active": True}, lambda _: None)
    assert client.post(f"{TAKES}/{take['id']}/post", headers=clerk).status_code == 200


BAD_CENTRES = [
    (999_999, "No cost centre with id 999999."),
    ("inactive", "Inactive cost centre"),
    ("1", None),  # a string, not a JSON integer
    (0, None),
    (2_147_483_648, None),
]


@pytest.mark.parametrize("centre, message", BAD_CENTRES)
def test_a_stocktake_with_a_bad_centre_is_a_422_naming_the_field(
    client, clerk, make, book, centre, message
):
    if centre == "inactive":
        centre = _centre(make, "OFF", active=False)
    with writes_nothing(TABLES):
        problem = assert_problem(_open(client, clerk, book["w"], cost_centre_id=centre), 422)
    assert "cost_centre_id" in problem["errors"], problem
    if message:
        assert message in problem["errors"]["cost_centre_id"][0]


@pytest.fixture
def received_order(backend, make, client, clerk):
    """An order of 10 at 4.00, sent and received in full."""
    w, item = make.warehouse(), make.item()
    po = h.order(make, [(item, "10", "4.00")], warehouse_id=w)
    line = {"po_line_id": po.lines[0], "received": "10", "accepted": "10", "rejected": "0",
            "reason": ""}  # fmt: skip
    receipt = client.post(f"/api/v1/purchase-orders/{po.id}/receipts", json={"lines": [line]},
                          headers=clerk)  # fmt: skip
    assert receipt.status_code == 201, receipt.get_json()
    return po


def _return(client, clerk, po, quantity, **extra):
    body = {"po_line_id": po.lines[0], "quantity": quantity, "reason": "damaged", **extra}
    return client.post(f"/api/v1/purchase-orders/{po.id}/returns", json=body, headers=clerk)


def test_a_supplier_return_charged_to_a_centre(client, clerk, finance, make, received_order):
    a = _centre(make, "A")
    charged = _return(client, clerk, received_order, "3", cost_centre_id=a)
    assert charged.status_code == 201, charged.get_json()
    assert charged.get_json()["cost_centre_id"] == a
    plain = _return(client, clerk, received_order, "1")
    assert plain.status_code == 201 and plain.get_json()["cost_centre_id"] is None
    document = charged.get_json()["stock_document_id"]
    read = client.get(f"/api/v1/stock-documents/{document}", headers=clerk).get_json()
    assert read["cost_centre_id"] == a

    rows = _cogs(client, finance)
    assert _row(rows, "supplier_return", a) == ("3.000", "12.00")
    assert _row(rows, "supplier_return", None) == ("1.000", "4.00")
    total = sum(Decimal(r["value"]) for r in rows)
    assert total == Decimal("16.00")


@pytest.mark.parametrize("centre, message", BAD_CENTRES)
def test_a_return_with_a_bad_centre_is_a_422_naming_the_field(
    client, clerk, make, received_order, centre, message
):
    if centre == "inactive":
        centre = _centre(make, "OFF", active=False)
    with writes_nothing(TABLES):
        problem = assert_problem(
            _return(client, clerk, received_order, "1", cost_centre_id=centre), 422
        )
    assert "cost_centre_id" in problem["errors"], problem
    if message:
        assert message in problem["errors"]["cost_centre_id"][0]
