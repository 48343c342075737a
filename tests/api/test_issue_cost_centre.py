"""Issues charged to a cost centre, through the API on SQLite and PostgreSQL (``backend``):
the optional ``cost_centre_id`` of an issue (validated: exists, active, issues only; 422 naming
the field), and the cost of goods issued by cost centre in JSON, CSV and XLSX, where an issue
without a centre shows as null and a cancelled issue nets out in its own centre.

The book: item NUT in warehouse W, 10 received at 3.00. Issued: 2 to centre A (6.00), 1 to no
centre (3.00), 4 to centre B (12.00) then cancelled (its reversal gives back 12.00 to B).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from inventory.services import budgets
from tests.api.helpers import assert_problem, writes_nothing

DOCS = "/api/v1/stock-documents"
COGS = "/api/v1/reports/cogs"


@pytest.fixture
def clerk(make):
    return make.headers("warehouse")


@pytest.fixture
def finance(make):
    return make.headers("finance")


def _centre(make, code: str, active: bool = True) -> int:
    return budgets.create_centre(make.admin, code=code, name=code, active=active)["id"]


def _issue(client, clerk, warehouse, item, qty, centre=None, **extra):
    body = {"type": "issue", "warehouse_id": warehouse, "lines": [{"item_id": item,
            "quantity": qty}], **extra}  # fmt: skip
    if centre is not None:
        body["cost_centre_id"] = centre
    return client.post(DOCS, json=body, headers=clerk)


@pytest.fixture
def book(backend, client, clerk, make):
    w, nut = make.warehouse("W"), make.item("NUT", category="nuts")
    make.receive(w, nut, "10", "3.00")
    a, b = _centre(make, "A"), _centre(make, "B")
    first = _issue(client, clerk, w, nut, "2", a)
    assert first.status_code == 201, first.get_json()
    assert _issue(client, clerk, w, nut, "1").status_code == 201
    cancelled = _issue(client, clerk, w, nut, "4", b).get_json()["id"]
    assert client.post(f"{DOCS}/{cancelled}/cancel", headers=clerk).status_code == 200
    return {"w": w, "nut": nut, "a": a, "b": b, "first": first.get_json()}


def test_an_issue_carries_its_cost_centre(client, clerk, make, book):
    doc = book["first"]
    assert doc["cost_centre_id"] == book["a"]
    read = client.get(f"{DOCS}/{doc['id']}", headers=make.headers("viewer")).get_json()
    assert read == doc
    listed = client.get(DOCS, query_string={"type": "issue"}, headers=clerk).get_json()
    assert sorted(d["cost_centre_id"] or 0 for d in listed) == [0, book["a"], book["b"]]


def test_a_draft_issue_keeps_its_centre_and_is_checked_again_when_posted(client, clerk, make, book):
    centre = _centre(make, "LATER")
    draft = _issue(client, clerk, book["w"], book["nut"], "1", centre, draft=True).get_json()
    assert draft["cost_centre_id"] == centre and draft["status"] == "draft"
    budgets.update_centre(make.admin, centre, {"active": False}, lambda _: None)
    body = assert_problem(client.post(f"{DOCS}/{draft['id']}/post", headers=clerk), 422)
    assert list(body["errors"]) == ["cost_centre_id"]
    budgets.update_centre(make.admin, centre, {"active": True}, lambda _: None)
    posted = client.post(f"{DOCS}/{draft['id']}/post", headers=clerk).get_json()
    assert posted["status"] == "posted" and posted["cost_centre_id"] == centre


@pytest.mark.parametrize(
    "centre, doc_type, message",
    [
        (999_999, "issue", "No cost centre with id 999999."),
        ("inactive", "issue", "Inactive cost centre"),
        ("active", "receipt", "Only an issue is charged to a cost centre."),
        ("active", "adjustment", "Only an issue is charged to a cost centre."),
        ("1", "issue", None),  # a string, not a JSON integer
        (0, "issue", None),
        (2_147_483_648, "issue", None),
    ],
)
def test_a_bad_cost_centre_is_a_422_naming_the_field(
    backend, client, clerk, make, centre, doc_type, message
):
    w, item = make.warehouse(), make.item()
    make.receive(w, item, "5", "1.00")
    if centre in ("active", "inactive"):
        centre = _centre(make, centre.upper(), active=centre == "active")
    line = {"item_id": item, "quantity": "1"}
    if doc_type != "issue":
        line["unit_cost"] = "1.00"
    body = {"type": doc_type, "warehouse_id": w, "cost_centre_id": centre, "lines": [line]}
    with writes_nothing():
        problem = assert_problem(client.post(DOCS, json=body, headers=clerk), 422)
    assert "cost_centre_id" in problem["errors"], problem
    if message:
        assert message in problem["errors"]["cost_centre_id"][0]


def test_null_cost_centre_is_an_issue_without_one(backend, client, clerk, make):
    w, item = make.warehouse(), make.item()
    make.receive(w, item, "5", "1.00")
    created = _issue(client, clerk, w, item, "1", cost_centre_id=None)
    assert created.status_code == 201 and created.get_json()["cost_centre_id"] is None


def _rows(client, headers, **query):
    response = client.get(COGS, query_string=query, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_cogs_by_cost_centre_nets_out_a_cancelled_issue_in_its_centre(client, finance, book):
    body = _rows(client, finance, group_by=["cost_centre", "reason"])
    assert body["rows"] == [
        {"reason": "issue", "cost_centre_id": book["a"], "quantity": "2.000", "value": "6.00"},
        {"reason": "issue", "cost_centre_id": book["b"], "quantity": "0.000", "value": "0.00"},
        {"reason": "issue", "cost_centre_id": None, "quantity": "1.000", "value": "3.00"},
    ]
    assert body["totals"] == {"quantity": "3.000", "value": "9.00"}
    # By default every dimension, the cost centre among them.
    default = _rows(client, finance)["rows"]
    assert {r["cost_centre_id"] for r in default} == {book["a"], book["b"], None}


def test_cogs_filtered_by_cost_centre(client, finance, make, book):
    body = _rows(client, finance, cost_centre_id=book["a"], group_by=["cost_centre"])
    assert body["rows"] == [{"cost_centre_id": book["a"], "quantity": "2.000", "value": "6.00"}]
    assert body["filters"]["cost_centre_id"] == book["a"]
    assert _rows(client, finance, cost_centre_id=_centre(make, "IDLE"))["rows"] == []
    assert_problem(client.get(COGS, query_string={"cost_centre_id": 999}, headers=finance), 404)
    warehouse = _rows(client, make.headers("warehouse"), cost_centre_id=book["a"])
    assert warehouse["rows"][0]["value"] is None


def test_cogs_files_carry_the_cost_centre(client, finance, book):
    query = {"group_by": ["cost_centre"], "format": "csv", "cost_centre_id": book["a"]}
    text = client.get(COGS, query_string=query, headers=finance).get_data(as_text=True)
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:3] == ["month", "reason", "cost_centre_id"]
    assert ["Total", "", "", "", "", "2.000", "6.00"] in lines
    assert ["filter", "cost_centre_id", str(book["a"])] in lines

    query = {"group_by": ["cost_centre"], "format": "xlsx"}
    response = client.get(COGS, query_string=query, headers=finance)
    sheet = load_workbook(io.BytesIO(response.get_data()))["Cost of goods issued"]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    header = values[0]
    at = header.index("Cost centre id")
    centres = [r[at] for r in values[1:-1]]
    assert centres == [book["a"], book["b"], None]  # null: no centre, an empty cell
    assert values[-1][0] == "Total" and Decimal(str(values[-1][-1])) == Decimal("9")


def test_exceptions_list_the_cancelled_issue_with_its_centre(client, finance, book):
    response = client.get(
        "/api/v1/reports/exceptions",
        query_string={"kind": "cancellation", "cost_centre_id": book["b"]},
        headers=finance,
    )
    (row,) = response.get_json()
    assert row["cost_centre_id"] == book["b"] and row["value"] == "12.00"
    assert row["budget_left"] is None
    other = client.get(
        "/api/v1/reports/exceptions",
        query_string={"cost_centre_id": book["a"]},
        headers=finance,
    )
    assert other.get_json() == []
    unknown = client.get(
        "/api/v1/reports/exceptions", query_string={"cost_centre_id": 999}, headers=finance
    )
    assert_problem(unknown, 404)
