"""What the service says: the role a step needs, grammatical counts and articles, amounts echoed
in their canonical form on create and update as on read, and the stocktake lines to recount."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inventory import clock
from inventory.domain import requests as rr
from inventory.domain.wording import article, plural
from inventory.errors import InvalidTransition
from tests.api.helpers import assert_problem, writes_nothing
from tests.integration.approval_helpers import APPROVAL_TABLES

PR = "/api/v1/purchase-requests"
TODAY = clock.now().date()


def test_finance_on_an_approver_step_is_told_the_role_it_needs(backend, client, make):
    admin, buyer = make.headers("admin"), make.headers("purchasing")
    finance = make.headers("finance")
    centre = client.post("/api/v1/cost-centres", json={"code": "OPS", "name": "Ops"}, headers=admin)
    budget = {
        "cost_centre_id": centre.get_json()["id"],
        "period": "now",
        "starts_on": str(TODAY - timedelta(days=1)),
        "ends_on": str(TODAY + timedelta(days=1)),
        "amount": "50000",
    }
    assert client.post("/api/v1/budgets", json=budget, headers=admin).status_code == 201
    rule = {"name": "small", "min_amount": "0", "max_amount": "10000", "steps": ["approver"]}
    assert client.post("/api/v1/approval-rules", json=rule, headers=admin).status_code == 201
    line = {"item_id": make.item(), "quantity": "1", "estimated_price": "100"}
    body = {"cost_centre_id": centre.get_json()["id"], "lines": [line]}
    request_id = client.post(PR, json=body, headers=buyer).get_json()["id"]
    assert client.post(f"{PR}/{request_id}/submit", headers=buyer).status_code == 200
    with writes_nothing(APPROVAL_TABLES):
        refused = client.post(f"{PR}/{request_id}/approve", json={}, headers=finance)
    problem = assert_problem(refused, 403, "permission_denied")
    # 100 is well inside the small band: the step needs another role, not a bigger band.
    assert problem["detail"] == (
        "This request waits at step 0 for someone holding the role 'approver', which you do not "
        "hold; that step needs 'approver'."
    )
    assert problem["waiting_role"] == "approver"


def test_counts_and_articles_are_grammatical():
    assert [plural(k, "line") for k in (0, 1, 2)] == ["0 lines", "1 line", "2 lines"]
    assert plural(1, "day") == "1 day" and plural(3, "day") == "3 days"
    assert article("item") == "an item" and article("warehouse") == "a warehouse"
    assert article("approved purchase request", capital=True) == "An approved purchase request"
    with pytest.raises(InvalidTransition) as caught:
        rr.check_request_transition("approved", "submitted")
    assert caught.value.detail.startswith("An approved purchase request cannot become submitted;")


def test_a_duplicate_sku_names_the_item_that_holds_it(client, make):
    admin = make.headers("admin")
    item = {"sku": "BOLT-M8", "name": "Bolt", "unit_of_measure": "pcs"}
    assert client.post("/api/v1/items", json=item, headers=admin).status_code == 201
    problem = assert_problem(client.post("/api/v1/items", json=item, headers=admin), 409)
    assert problem["detail"].startswith("Item 1 already has the SKU 'BOLT-M8'; SKUs are unique")


@pytest.mark.parametrize(
    ("url", "create", "change", "canonical"),
    [
        ("/api/v1/budgets", None, {"amount": "60000"}, {"amount": "60000.00"}),
        (
            "/api/v1/approval-rules",
            {"name": "r", "min_amount": "5", "max_amount": "70", "steps": ["approver"]},
            {"max_amount": "80"},
            {"min_amount": "5.00", "max_amount": "80.00"},
        ),
        (
            "/api/v1/items",
            {"sku": "A1", "name": "a", "unit_of_measure": "pcs", "valuation_cost": "5"},
            {"valuation_cost": "6"},
            {"valuation_cost": "6.0000"},
        ),
    ],
    ids=["budget", "approval-rule", "item"],
)
def test_amounts_are_echoed_as_they_read_back(client, make, url, create, change, canonical):
    admin = make.headers("admin")
    if create is None:  # the budget: "50000" came back as "50000" on create
        centre = client.post("/api/v1/cost-centres", json={"code": "C", "name": "C"}, headers=admin)
        create = {
            "cost_centre_id": centre.get_json()["id"],
            "period": "now",
            "starts_on": str(TODAY),
            "ends_on": str(TODAY),
            "amount": "50000",
        }
    created = client.post(url, json=create, headers=admin)
    assert created.status_code == 201, created.get_json()
    record = f"{url}/{created.get_json()['id']}"
    read = client.get(record, headers=admin)
    assert created.get_json() == read.get_json()
    changed = client.patch(record, json=change, headers={**admin, "If-Match": read.headers["ETag"]})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json().items() >= canonical.items()
    assert changed.get_json() == client.get(record, headers=admin).get_json()


def test_an_exchange_rate_is_echoed_as_it_reads_back(client, make):
    admin = make.headers("admin")
    rate = {"currency": "USD", "valid_from": str(TODAY), "rate": "2"}
    created = client.post("/api/v1/exchange-rates", json=rate, headers=admin)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["rate"] == "2.000000"
    listed = client.get("/api/v1/exchange-rates", headers=admin).get_json()
    assert listed == [created.get_json()]


def test_the_stocktake_names_the_lines_to_recount(backend, client, make):
    warehouse, bolt, nut = make.warehouse(), make.item("BOLT-M8"), make.item("NUT-M8")
    make.receive(warehouse, bolt, "10", "2")
    make.receive(warehouse, nut, "4", "1")
    counter = make.headers("warehouse")
    take = client.post("/api/v1/stocktakes", json={"warehouse_id": warehouse}, headers=counter)
    take_id = take.get_json()["id"]
    lines = {x["sku"]: x["id"] for x in take.get_json()["lines"]}
    counts = {"lines": [{"item_id": bolt, "counted_quantity": "4"}]}
    assert client.post(f"/api/v1/stocktakes/{take_id}/counts", json=counts, headers=counter)
    not_counted = assert_problem(
        client.post(f"/api/v1/stocktakes/{take_id}/post", headers=counter), 409
    )
    assert "1 of 2 lines is not counted yet" in not_counted["detail"]
    assert f"NUT-M8 (line {lines['NUT-M8']})" in not_counted["detail"]
    counts = {"lines": [{"item_id": nut, "counted_quantity": "4"}]}
    assert client.post(f"/api/v1/stocktakes/{take_id}/counts", json=counts, headers=counter)
    refused = assert_problem(
        client.post(f"/api/v1/stocktakes/{take_id}/post", headers=counter), 409
    )
    assert refused["detail"].startswith(
        f"1 line is out of tolerance: BOLT-M8 (line {lines['BOLT-M8']})."
    )
    assert refused["detail"].endswith("or recount that line.")
    assert refused["out_of_tolerance_lines"] == [
        {"line_id": lines["BOLT-M8"], "item_id": bolt, "sku": "BOLT-M8"}
    ]
