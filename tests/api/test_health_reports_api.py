"""The stock health and control reports over HTTP: money only for finance and admin, quantities
for warehouse, 403 for the rest; bad input as problem+json; the files; the jobs from the CLI."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from inventory import clock
from inventory.db.models import Stocktake
from inventory.domain.approvals import OverBudget
from inventory.services import budgets, purchase_requests
from tests.api.helpers import assert_problem
from tests.integration.approval_helpers import Procurement
from tests.integration.purchasing_helpers import count

REPORTS = ("ageing", "slow-moving", "abc-xyz", "exceptions", "supply-risk")


@pytest.fixture
def stocked(make):
    wh, item = make.warehouse(), make.item()
    make.receive(wh, item, 4, "2.50")
    return wh, item


@pytest.mark.parametrize("role", ["purchasing", "approver", "viewer"])
@pytest.mark.parametrize("report", REPORTS)
def test_other_roles_get_403(client, make, report, role):
    response = client.get(f"/api/v1/reports/{report}", headers=make.headers(role))
    assert_problem(response, 403, "permission_denied")


def test_warehouse_sees_quantities_without_values(client, make, stocked):
    wh, item = stocked
    rows = client.get("/api/v1/reports/ageing", headers=make.headers("warehouse")).get_json()
    assert rows[0]["quantity"] == "4.000" and rows[0]["qty_0_30"] == "4.000"
    assert not [key for key in rows[0] if key.startswith("value")]
    csv = client.get("/api/v1/reports/ageing?format=csv", headers=make.headers("warehouse"))
    assert csv.status_code == 200 and "Value" not in csv.get_data(as_text=True).splitlines()[0]
    for report in ("exceptions", "supply-risk"):
        response = client.get(f"/api/v1/reports/{report}", headers=make.headers("warehouse"))
        assert_problem(response, 403)


def test_finance_sees_values(client, make, stocked):
    headers = make.headers("finance")
    [row] = client.get("/api/v1/reports/ageing", headers=headers).get_json()
    assert (row["value"], row["value_0_30"], row["value_over_365"]) == ("10.00", "10.00", "0.00")
    sheet = client.get("/api/v1/reports/ageing?format=xlsx", headers=headers)
    assert sheet.status_code == 200 and sheet.data[:2] == b"PK"
    assert client.get("/api/v1/reports/supply-risk", headers=headers).get_json()["spend"] == []
    assert client.get("/api/v1/reports/exceptions", headers=headers).get_json() == []


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/reports/ageing?format=pdf", "format"),
        ("/api/v1/reports/slow-moving?slow_days=100&dead_days=30", "slow_days"),
        ("/api/v1/reports/abc-xyz?abc=D", "abc"),
        ("/api/v1/reports/exceptions?since=2026-03-01&until=2026-02-01", "since"),
        ("/api/v1/reports/exceptions?since=2024-01-01&until=2026-02-01", "until"),
        ("/api/v1/reports/exceptions?kind=theft", "kind"),
        ("/api/v1/reports/supply-risk?since=2026-03-01&until=2026-02-01", "since"),
    ],
)
def test_bad_input_is_a_problem(client, make, url, field):
    body = assert_problem(client.get(url, headers=make.headers("admin")), 422)
    assert field in str(body.get("errors", {})), body


@pytest.mark.parametrize("report", ["ageing", "slow-moving", "abc-xyz", "exceptions"])
def test_a_filter_on_an_unknown_id_is_404(client, make, report):
    name = "warehouse_id" if report != "abc-xyz" else "item_id"
    response = client.get(f"/api/v1/reports/{report}?{name}=9999", headers=make.headers("admin"))
    assert f"{name}=9999" in assert_problem(response, 404, "not_found")["detail"]


def test_the_audit_log_as_a_file(client, make, stocked):
    response = client.get("/api/v1/audit-events?format=csv", headers=make.headers("finance"))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.splitlines()[0].startswith("id,at,actor_id,action")
    assert "stock_document" in text
    assert_problem(
        client.get("/api/v1/audit-events?format=csv", headers=make.headers("warehouse")), 403
    )


def test_the_jobs_from_the_cli(app, client, make, stocked):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "classify-items"])
    assert result.exit_code == 0, result.output
    rows = client.get("/api/v1/reports/abc-xyz", headers=make.headers("admin")).get_json()
    assert [(r["abc_class"], r["xyz_class"]) for r in rows] == [("C", "Z")]
    warehouse_view = client.get("/api/v1/reports/abc-xyz", headers=make.headers("warehouse"))
    assert "consumption_value" not in warehouse_view.get_json()[0]
    result = runner.invoke(args=["jobs", "run", "cycle-counts"])
    assert result.exit_code == 0, result.output
    opened = count(Stocktake)
    assert runner.invoke(args=["jobs", "run", "cycle-counts"]).exit_code == 0
    assert count(Stocktake) == opened  # idempotent per day


def test_the_files_end_with_totals_and_the_filters_used(client, make):
    wh, other, item = make.warehouse(), make.warehouse(), make.item()
    with clock.pinned(clock.now() - timedelta(days=10)):
        make.receive(wh, item, 4, "2.50")
        make.receive(wh, make.item(), 2, "1.25")
        make.receive(other, item, 7, "1.00")  # outside the ageing filter: not in its totals
    headers = make.headers("finance")
    response = client.get(f"/api/v1/reports/ageing?format=csv&warehouse_id={wh}", headers=headers)
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, total = lines[0], lines[-2]
    assert lines[-3] == [] and lines[-1] == ["filter", "warehouse_id", str(wh)]
    totals = dict(zip(header, total, strict=True))
    assert (totals["item_id"], totals["quantity"], totals["value"]) == ("Total", "6.000", "12.50")
    assert (totals["qty_0_30"], totals["value_0_30"]) == ("6.000", "12.50")

    response = client.get(
        "/api/v1/reports/slow-moving?format=xlsx&slow_days=1&dead_days=2", headers=headers
    )
    book = load_workbook(io.BytesIO(response.get_data()))
    rows = list(book["Slow-moving"].iter_rows(values_only=True))
    titles, total = rows[0], dict(zip(rows[0], rows[-1], strict=True))
    assert len(rows) == 1 + 3 + 1 and titles[0] == "Item id"
    assert (total["Item id"], total["Quantity"], total["Value"]) == ("Total", 13, 19.5)
    assert total["Idle days"] is None
    filters = list(book["Filters"].iter_rows(values_only=True))
    assert filters[0] == ("Filter", "Value")
    assert ("slow_days", "1") in filters and ("dead_days", "2") in filters

    response = client.get("/api/v1/reports/exceptions?format=csv", headers=headers)
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    filters = {line[1] for line in lines if line[:1] == ["filter"]}
    assert lines[2][0] == "Total" and {"since", "until", "price_threshold_pct"} <= filters


def test_over_budget_lists_approvals_flagged_through_not_refused_ones(client, make):
    # One centre's budget flags an over-budget approval, the other's refuses it.
    p = Procurement(make, budget="1000", action="flag")
    flagged = p.request("1500")
    purchase_requests.approve(p.approver, flagged)
    strict = budgets.create_centre(p.admin, code="STRICT", name="Strict")["id"]
    p.add_budget(strict, "1000", "refuse")
    refused = p.request("1500", centre=strict)
    with pytest.raises(OverBudget):
        purchase_requests.approve(p.approver, refused)
    within = p.request("100", centre=strict)
    purchase_requests.approve(p.approver, within)

    response = client.get(
        "/api/v1/reports/exceptions?kind=over_budget", headers=make.headers("finance")
    )
    assert response.status_code == 200
    assert [(r["kind"], r["reference"], r["value"]) for r in response.get_json()] == [
        ("over_budget", f"purchase_request:{flagged}", "1500.00")
    ]
