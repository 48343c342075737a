"""The valuation report, periods and an item's valuation method through the API."""

from __future__ import annotations

from datetime import UTC, datetime

from inventory import clock
from tests.api.helpers import assert_problem

REPORT = "/api/v1/reports/valuation"


def _etag_patch(client, headers, item, changes):
    etag = client.get(f"/api/v1/items/{item}", headers=headers).headers["ETag"]
    return client.patch(
        f"/api/v1/items/{item}", json=changes, headers={**headers, "If-Match": etag}
    )


def test_valuation_shows_money_to_finance_quantities_to_warehouse_and_nothing_to_others(
    client, make
):
    w, item = make.warehouse(), make.item(category="bolts")
    make.receive(w, item, "4", "2.5")
    finance = client.get(REPORT, headers=make.headers("finance")).get_json()
    assert finance["rows"] == [
        {"item_id": item, "warehouse_id": w, "quantity": "4.000", "value": "10.00"}
    ]
    assert finance["totals"] == {"quantity": "4.000", "value": "10.00"}
    clerk = client.get(REPORT, headers=make.headers("warehouse")).get_json()
    assert clerk["rows"] == [{"item_id": item, "warehouse_id": w, "quantity": "4.000"}]
    assert "value" not in clerk["totals"]
    for role in ("viewer", "purchasing", "approver"):
        assert_problem(client.get(REPORT, headers=make.headers(role)), 403)
    assert (
        client.get(f"{REPORT}?category=nuts", headers=make.headers("finance")).get_json()["rows"]
        == []
    )
    assert_problem(client.get(f"{REPORT}?warehouse_id=999", headers=make.headers("admin")), 404)
    csv = client.get(f"{REPORT}?format=csv", headers=make.headers("finance"))
    assert csv.status_code == 200 and b"10.00" in csv.data


def test_periods_close_in_order_and_postings_inside_are_refused(client, make):
    admin = make.headers("admin")
    w, item = make.warehouse(), make.item()
    with clock.pinned(datetime(2025, 3, 10, tzinfo=UTC)):
        make.receive(w, item, "2", "3")
    closed = client.post("/api/v1/periods/2025-03/close", headers=make.headers("finance"))
    assert closed.status_code == 201, closed.get_json()
    assert_problem(client.post("/api/v1/periods/2025-03/close", headers=admin), 409)
    assert_problem(client.post("/api/v1/periods/2025-05/close", headers=admin), 409)
    assert_problem(client.post("/api/v1/periods/2025-13/close", headers=admin), 422)
    listing = client.get("/api/v1/periods", headers=admin).get_json()
    assert [p["period"] for p in listing["closed"]] == ["2025-03"] and listing["next"] == "2025-04"
    with clock.pinned(datetime(2025, 3, 20, tzinfo=UTC)):
        body = {"type": "issue", "warehouse_id": w, "lines": [{"item_id": item, "quantity": "1"}]}
        refused = client.post("/api/v1/stock-documents", json=body, headers=admin)
    assert "2025-03" in assert_problem(refused, 409)["detail"]
    as_of = client.get(f"{REPORT}?as_of=2025-03-31", headers=admin).get_json()
    assert as_of["totals"] == {"quantity": "2.000", "value": "6.00"}
    assert_problem(
        client.post("/api/v1/periods/2025-03/reopen", headers=make.headers("finance")), 403
    )
    reopened = client.post("/api/v1/periods/2025-03/reopen", headers=admin)
    assert reopened.get_json() == {"reopened": ["2025-03"]}
    assert_problem(client.post("/api/v1/periods/2025-03/reopen", headers=admin), 409)


def test_an_items_valuation_method_changes_only_without_stock(client, make):
    admin = make.headers("admin")
    created = client.post(
        "/api/v1/items",
        json={"sku": "FIFO-1", "name": "x", "unit_of_measure": "pcs", "valuation_method": "fifo"},
        headers=admin,
    )
    assert created.get_json()["valuation_method"] == "fifo"
    item = created.get_json()["id"]
    make.receive(make.warehouse(), item, "1", "1")
    refused = _etag_patch(client, admin, item, {"valuation_method": "moving_average"})
    assert_problem(refused, 409)
    assert_problem(_etag_patch(client, admin, item, {"valuation_method": "lifo"}), 422)
