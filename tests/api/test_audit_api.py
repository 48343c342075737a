"""The audit log through the API: every write shows who made it, and the record before and after."""

from __future__ import annotations

from tests.api.helpers import assert_problem

AUDIT = "/api/v1/audit-events"


def test_writes_appear_in_the_audit_log_for_finance(backend, client, make):
    clerk = make.user("warehouse", "purchasing")
    clerk_headers = {"Authorization": f"Bearer {make.token(clerk)}"}
    warehouse = make.warehouse()

    created = client.post(
        "/api/v1/items",
        json={"sku": "AUD-1", "name": "Audited", "unit_of_measure": "pcs"},
        headers={**clerk_headers, "X-Request-ID": "req-create-item"},
    )
    item = created.get_json()["id"]
    etag = client.get(f"/api/v1/items/{item}", headers=clerk_headers).headers["ETag"]
    client.patch(
        f"/api/v1/items/{item}",
        json={"name": "Audited twice"},
        headers={**clerk_headers, "If-Match": etag},
    )
    document = client.post(
        "/api/v1/stock-documents",
        json={
            "type": "receipt",
            "warehouse_id": warehouse,
            "reference": "PO-77",
            "lines": [{"item_id": item, "quantity": "2", "unit_cost": "3.5"}],
        },
        headers=clerk_headers,
    ).get_json()["id"]

    finance = make.headers("finance")
    response = client.get(AUDIT, query_string={"actor_id": clerk.id}, headers=finance)
    assert response.status_code == 200, response.get_json()
    events = response.get_json()
    assert [e["action"] for e in events] == [  # newest first
        "stock_document.create",
        "item.update",
        "item.create",
    ]
    assert all(e["actor_id"] == clerk.id for e in events)
    doc_event, update_event, create_event = events

    assert create_event["entity_type"] == "item" and create_event["entity_id"] == str(item)
    assert create_event["before"] is None
    assert create_event["after"]["sku"] == "AUD-1"
    assert create_event["after"]["valuation_cost"] == "0.0000"
    assert create_event["request_id"] == "req-create-item"

    assert update_event["before"]["name"] == "Audited"
    assert update_event["after"]["name"] == "Audited twice"

    assert doc_event["entity_type"] == "stock_document"
    assert doc_event["entity_id"] == str(document)
    assert doc_event["after"] == {
        "type": "receipt",
        "status": "posted",
        "reference": "PO-77",
        "lines": 1,
        "cost_centre_id": None,  # only an issue is charged to a cost centre
    }

    by_entity = client.get(
        AUDIT, query_string={"entity_type": "item", "entity_id": str(item)}, headers=finance
    ).get_json()
    assert [e["action"] for e in by_entity] == ["item.update", "item.create"]


def test_only_finance_and_admin_read_the_audit_log(client, make):
    assert client.get(AUDIT, headers=make.headers("admin")).status_code == 200
    for role in ("viewer", "warehouse", "purchasing", "approver"):
        assert_problem(client.get(AUDIT, headers=make.headers(role)), 403, "permission_denied")
    assert_problem(client.get(AUDIT), 401)
