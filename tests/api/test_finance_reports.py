"""Finance reports on a hand-computed book, on SQLite and PostgreSQL (``backend``): spend,
cost of goods issued, price variance, budget and KPIs; roles; bad input; the files.

The book: item BOLT (category "bolts") in warehouse W. 6 received by hand at 2.00 (12.00).
A direct order for cost centre CC1 at rate 1.1: 10 at 2.00 (ordered 22.00 base). 4 received
against it at 2.2000 (8.80); the stock had averaged 2.0000, so 0.80 above the average cost.
Then 5 issued at the new average (12.00 + 8.80) / 10 = 2.08: 10.40.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from inventory.services import budgets
from tests.api.helpers import assert_problem
from tests.finance_seed import seed_book

R = "/api/v1/reports"


@pytest.fixture
def book(backend, make):
    return seed_book(make)


@pytest.fixture
def finance(make):
    return make.headers("finance")


def _get(client, path, headers, **query):
    response = client.get(f"{R}/{path}", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_spend_ordered_and_received_by_centre(client, finance, book):
    body = _get(client, "spend", finance, group_by=["supplier", "cost_centre"])
    assert body["rows"] == [
        {"supplier_id": book["supplier"], "cost_centre_id": book["centre"],
         "ordered": "22.00", "received": "8.80"},
    ]  # fmt: skip
    assert body["totals"] == {"ordered": "22.00", "received": "8.80"}
    by_month = _get(client, "spend", finance)["rows"]
    assert [(r["category"], r["received"]) for r in by_month] == [("bolts", "8.80")]


def test_cogs_equals_minus_the_ledger_value_of_issues(client, finance, make, book):
    body = _get(client, "cogs", finance, group_by=["reason", "warehouse"])
    assert body["rows"] == [
        {"reason": "issue", "warehouse_id": book["w"], "quantity": "5.000", "value": "10.40"}
    ]
    hidden = _get(client, "cogs", make.headers("warehouse"))
    assert hidden["rows"][0]["value"] is None and hidden["rows"][0]["quantity"] == "5.000"


def test_price_variance_against_order_and_previous_average(client, finance, book):
    body = _get(client, "price-variance", finance)
    (row,) = body["rows"]
    assert row["unit_cost"] == "2.2000" and row["order_unit_cost"] == "2.2000"
    assert row["order_variance"] == "0.00"
    assert row["previous_average_cost"] == "2.0000"
    assert row["average_variance"] == "0.80"
    assert body["totals"]["value"] == "8.80"
    assert body["totals"]["average_variance"] == "0.80"


def test_budget_committed_moves_to_actual(client, finance, book):
    (row,) = _get(client, "budget", finance)["rows"]
    assert (row["amount"], row["on_order"], row["committed"], row["actual"], row["available"]) == (
        "100.00", "13.20", "13.20", "8.80", "78.00"
    )  # fmt: skip
    assert budgets.get_budget(row["budget_id"])["committed"] == Decimal("22.00")


def test_kpis(client, finance, book):
    body = _get(client, "kpis", finance)
    kpis = {r["kpi"]: r for r in body["rows"]}
    assert kpis["inventory_turnover"]["value"] == "2.0000"
    assert kpis["fill_rate_of_issues"]["value"] == "1.0000"
    assert body["totals"]["closing_stock_value"] == "10.40"


@pytest.mark.parametrize("role", ["purchasing", "approver", "viewer"])
def test_other_roles_get_403(client, make, role):
    headers = make.headers(role)
    for path in ("spend", "cogs", "price-variance", "budget", "kpis", "spend/chart"):
        assert_problem(client.get(f"{R}/{path}", headers=headers), 403)


def test_warehouse_sees_no_money_reports(client, make):
    headers = make.headers("warehouse")
    for path in ("spend", "price-variance", "budget", "spend/chart"):
        assert_problem(client.get(f"{R}/{path}", headers=headers), 403)


@pytest.mark.parametrize(
    "query, status",
    [
        ({"from": "2026-05-01", "to": "2026-04-01"}, 422),
        ({"from": "2020-01-01", "to": "2026-04-01"}, 422),
        ({"format": "pdf"}, 422),
        ({"supplier_id": "999"}, 404),
        ({"cost_centre_id": "999"}, 404),
    ],
)
def test_bad_input(client, finance, query, status):
    assert_problem(client.get(f"{R}/spend", query_string=query, headers=finance), status)


def test_unknown_report_is_404(client, finance):
    assert_problem(client.get(f"{R}/nonsense", headers=finance), 404)


def test_files_open_with_totals_and_filters(client, finance, book):
    response = client.get(f"{R}/cogs", query_string={"format": "csv"}, headers=finance)
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "month", "reason", "cost_centre_id", "warehouse_id", "category", "quantity", "value"
    ]  # fmt: skip
    assert ["Total", "", "", "", "", "5.000", "10.40"] in rows
    assert any(r[:2] == ["filter", "from"] for r in rows)
    response = client.get(f"{R}/spend", query_string={"format": "xlsx"}, headers=finance)
    book_ = load_workbook(io.BytesIO(response.get_data()))
    sheet = book_["Spend"]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[-1][0] == "Total" and Decimal(str(values[-1][-1])) == Decimal("8.8")
    assert book_["Filters"]["A2"].value == "from"


def test_spend_chart_is_svg(client, finance, book):
    response = client.get(f"{R}/spend/chart", headers=finance)
    assert response.mimetype == "image/svg+xml"
    assert "<svg" in response.get_data(as_text=True)
