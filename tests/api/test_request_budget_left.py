"""Purchase requests approved over a budget that flags carry ``budget_left`` in the exceptions
report — what the budget had left at that approval (budget − committed without the request) —
as direct orders do, in JSON, CSV and XLSX, on SQLite and PostgreSQL (``backend``). Edges: one
cent over an unused budget, a budget already overspent (negative), a request that needs no
approver (flagged at submit), and a request flagged before migration 0011b (null, no figures).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal as D

from openpyxl import load_workbook
from sqlalchemy import update

from inventory import clock
from inventory.db.base import db
from inventory.db.procurement_models import PurchaseRequest
from inventory.domain.requests import RequestLineIn
from inventory.services import approvals, budgets, purchase_requests
from tests.integration.approval_helpers import Procurement

URL = "/api/v1/reports/exceptions"


def _requests(client, make, **query) -> list[dict]:
    response = client.get(URL, query_string={"kind": "over_budget", **query},
                          headers=make.headers("finance"))  # fmt: skip
    assert response.status_code == 200, response.get_json()
    return response


def _json_rows(client, make) -> dict[str, dict]:
    rows = _requests(client, make).get_json()
    return {r["reference"]: r for r in rows if r["reference"].startswith("purchase_request:")}


def test_one_cent_over_an_unused_budget_shows_what_was_left(backend, client, make):
    p = Procurement(make, budget="1000", action="flag")
    over = p.request("1000.04")  # 4 × 250.01
    purchase_requests.approve(p.approver, over)
    row = _json_rows(client, make)[f"purchase_request:{over}"]
    assert (row["value"], row["budget_left"]) == ("1000.04", "1000.00")
    assert row["cost_centre_id"] == p.centre and row["actor_id"] == p.buyer.id
    assert "1000.00 left, over by 0.04" in row["detail"] and "(now approved)" in row["detail"]


def test_an_overspent_budget_shows_a_negative_figure_fixed_at_the_approval(backend, client, make):
    p = Procurement(make, budget="1000", action="flag")
    first = p.request("800")
    purchase_requests.approve(p.approver, first)  # within: 200 left
    second = p.request("400")
    purchase_requests.approve(p.approver, second)  # over: 200 left, over by 200
    third = p.request("100")
    purchase_requests.approve(p.approver, third)  # over: 1000 − 1200 = −200 left
    rows = _json_rows(client, make)
    assert f"purchase_request:{first}" not in rows
    assert rows[f"purchase_request:{second}"]["budget_left"] == "200.00"
    assert rows[f"purchase_request:{third}"]["budget_left"] == "-200.00"
    assert "-200.00 left, over by 300.00" in rows[f"purchase_request:{third}"]["detail"]

    # Freeing the budget later does not rewrite what was left when it was flagged.
    purchase_requests.cancel(p.buyer, first)
    assert _json_rows(client, make)[f"purchase_request:{second}"]["budget_left"] == "200.00"


def test_a_request_needing_no_approver_is_flagged_at_submit_with_its_figure(backend, client, make):
    # A band with no steps: submitting approves, and the budget still has its say.
    approvals.create_rule(make.admin, {"name": "free", "min_amount": D("0"), "steps": []})
    today = clock.now().date()
    centre = budgets.create_centre(make.admin, code="FREE", name="Free")["id"]
    budgets.create_budget(make.admin, {"cost_centre_id": centre, "period": "now",
                          "starts_on": today - timedelta(days=1),
                          "ends_on": today + timedelta(days=1), "amount": D("10"),
                          "over_budget_action": "flag"})  # fmt: skip
    buyer = make.user("purchasing")
    free = purchase_requests.create(buyer, centre, [RequestLineIn(make.item(), D("4"), D("5"))])
    purchase_requests.submit(buyer, free)
    assert purchase_requests.get(free)["status"] == "approved"
    row = _json_rows(client, make)[f"purchase_request:{free}"]
    assert (row["value"], row["budget_left"]) == ("20.00", "10.00")


def test_the_files_carry_budget_left(backend, client, make):
    p = Procurement(make, budget="1000", action="flag")
    over = p.request("1200")
    purchase_requests.approve(p.approver, over)
    reference = f"purchase_request:{over}"

    text = _requests(client, make, format="csv").get_data(as_text=True)
    lines = list(csv.reader(io.StringIO(text)))
    row = dict(zip(lines[0], next(x for x in lines if reference in x), strict=True))
    assert (row["value"], row["budget_left"]) == ("1200.00", "1000.00")

    book = load_workbook(io.BytesIO(_requests(client, make, format="xlsx").get_data()))
    sheet = list(book.worksheets[0].iter_rows(values_only=True))
    row = dict(zip(sheet[0], next(x for x in sheet if reference in x), strict=True))
    assert (row["Value"], row["Budget left"]) == (1200, 1000)


def test_a_request_flagged_before_the_figure_was_kept_shows_null(backend, client, make):
    p = Procurement(make, budget="1000", action="flag")
    old = p.request("1200")
    purchase_requests.approve(p.approver, old)
    # What migration 0011b leaves on requests flagged before it.
    db.session.execute(
        update(PurchaseRequest).where(PurchaseRequest.id == old).values(budget_left=None)
    )
    db.session.commit()
    row = _json_rows(client, make)[f"purchase_request:{old}"]
    assert row["budget_left"] is None and row["value"] == "1200.00"
    assert row["detail"] == "approved over budget (now approved)"
