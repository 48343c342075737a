"""Stock documents through the API: read one, post a draft, list, balances and the item ledger."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem

DOCS = "/api/v1/stock-documents"


@pytest.fixture
def clerk(make):
    return make.headers("warehouse")


def test_read_and_post_a_draft(backend, client, clerk, make):
    warehouse, item = make.warehouse(), make.item()
    draft = {
        "type": "receipt",
        "warehouse_id": warehouse,
        "reference": "GRN-1",
        "draft": True,
        "lines": [{"item_id": item, "quantity": "4", "unit_cost": "2.5"}],
    }
    created = client.post(DOCS, json=draft, headers=clerk)
    assert created.status_code == 201, created.get_json()
    doc = created.get_json()
    assert doc["status"] == "draft" and doc["posted_at"] is None

    read = client.get(f"{DOCS}/{doc['id']}", headers=make.headers("viewer"))
    assert read.status_code == 200, read.get_json()
    assert read.get_json() == doc
    assert read.get_json()["lines"] == [
        {
            "id": doc["lines"][0]["id"],
            "line_no": 1,
            "item_id": item,
            "quantity": "4.000",
            "unit_cost": "2.5000",
        }
    ]

    posted = client.post(f"{DOCS}/{doc['id']}/post", headers=clerk)
    assert posted.status_code == 200, posted.get_json()
    assert posted.get_json()["status"] == "posted" and posted.get_json()["posted_at"]
    assert_problem(client.post(f"{DOCS}/{doc['id']}/post", headers=clerk), 409)

    balances = client.get("/api/v1/stock-balances", headers=clerk).get_json()
    assert balances == [
        {"item_id": item, "warehouse_id": warehouse, "quantity": "4.000", "value": "10.00"}
    ]
    ledger = client.get(f"/api/v1/items/{item}/ledger", headers=clerk).get_json()
    assert [(e["document_id"], e["quantity"], e["balance_value"]) for e in ledger] == [
        (doc["id"], "4.000", "10.00")
    ]


def test_a_posted_document_answers_as_it_reads_back(backend, client, clerk, make):
    """The create answers from what it wrote, not by reading back: it must say what a read says,
    amounts rounded to their columns and lines in order, for every document type."""
    main, other = make.warehouse(), make.warehouse()
    first, second = make.item(), make.item()
    bodies = [
        {"type": "receipt", "warehouse_id": main, "reference": "R", "lines": [
            {"item_id": second, "quantity": "10.5", "unit_cost": "1.2345"},
            {"item_id": first, "quantity": "7", "unit_cost": "3"},
            {"item_id": second, "quantity": "0.25", "unit_cost": "2"},
        ]},
        {"type": "issue", "warehouse_id": main, "lines": [{"item_id": first, "quantity": "2"}]},
        {"type": "transfer", "warehouse_id": main, "to_warehouse_id": other,
         "lines": [{"item_id": second, "quantity": "1.5"}, {"item_id": first, "quantity": "1"}]},
        {"type": "adjustment", "warehouse_id": other, "lines": [
            {"item_id": first, "quantity": "-0.5"},
            {"item_id": second, "quantity": "3", "unit_cost": "4.1"},
        ]},
    ]  # fmt: skip
    for body in bodies:
        created = client.post(DOCS, json=body, headers=clerk)
        assert created.status_code == 201, created.get_json()
        shown = created.get_json()
        assert shown["status"] == "posted"
        assert [x["line_no"] for x in shown["lines"]] == list(range(1, len(body["lines"]) + 1))
        read = client.get(f"{DOCS}/{shown['id']}", headers=clerk)
        assert read.get_json() == shown
    assert client.get(f"{DOCS}/{shown['id']}", headers=clerk).get_json()["lines"][1] == {
        "id": shown["lines"][1]["id"],
        "line_no": 2,
        "item_id": second,
        "quantity": "3.000",
        "unit_cost": "4.1000",
    }


def test_list_documents_by_status_and_type(client, clerk, make):
    warehouse, item = make.warehouse(), make.item()
    posted = make.receive(warehouse, item, "3", "1")
    draft = make.document("issue", warehouse, [(item, "1", None)], draft=True)

    def ids(**query):
        response = client.get(DOCS, query_string=query, headers=clerk)
        assert response.status_code == 200, response.get_json()
        return [d["id"] for d in response.get_json()]

    assert ids() == [draft, posted]  # newest first
    assert ids(status="draft") == [draft]
    assert ids(type="receipt") == [posted]
    assert ids(warehouse_id=warehouse, status="posted") == [posted]
    assert_problem(client.get(DOCS, query_string={"status": "lost"}, headers=clerk), 422)
