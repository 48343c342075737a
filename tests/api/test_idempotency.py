"""Idempotency-Key: a retried document-creating POST replays its first answer and writes once."""

from __future__ import annotations

import threading

import pytest

from inventory.db.base import db
from tests.api.helpers import assert_problem, row_counts
from tests.conftest import Factory

DOCS = "/api/v1/stock-documents"


@pytest.fixture
def setup(make):
    warehouse, item = make.warehouse(), make.item()
    return make.headers("warehouse"), warehouse, item


def _receipt(warehouse, item, quantity="2"):
    return {
        "type": "receipt",
        "warehouse_id": warehouse,
        "lines": [{"item_id": item, "quantity": quantity, "unit_cost": "1.25"}],
    }


def test_same_key_same_body_replays_the_first_response(backend, client, setup):
    headers, warehouse, item = setup
    keyed = {**headers, "Idempotency-Key": "order-1001"}
    before = row_counts()
    first = client.post(DOCS, json=_receipt(warehouse, item), headers=keyed)
    assert first.status_code == 201, first.get_json()
    after_first = row_counts()
    second = client.post(DOCS, json=_receipt(warehouse, item), headers=keyed)
    assert second.status_code == 201
    assert second.get_json() == first.get_json()
    assert row_counts() == after_first  # the replay wrote nothing at all
    assert after_first["stock_document"] == before["stock_document"] + 1
    assert after_first["idempotency_key"] == before["idempotency_key"] + 1
    balances = client.get("/api/v1/stock-balances", headers=headers).get_json()
    assert balances == [
        {"item_id": item, "warehouse_id": warehouse, "quantity": "2.000", "value": "2.50"}
    ]


def test_same_key_different_body_is_refused(backend, client, setup):
    headers, warehouse, item = setup
    keyed = {**headers, "Idempotency-Key": "order-1002"}
    assert client.post(DOCS, json=_receipt(warehouse, item), headers=keyed).status_code == 201
    before = row_counts()
    response = client.post(DOCS, json=_receipt(warehouse, item, "3"), headers=keyed)
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"] == {"Idempotency-Key": ["Already used with another body."]}
    assert row_counts() == before


def test_without_a_key_each_post_is_a_new_document(client, setup):
    headers, warehouse, item = setup
    ids = {client.post(DOCS, json=_receipt(warehouse, item), headers=headers).get_json()["id"]}
    ids.add(client.post(DOCS, json=_receipt(warehouse, item), headers=headers).get_json()["id"])
    assert len(ids) == 2


def test_keys_belong_to_their_user(client, make, setup):
    headers, warehouse, item = setup
    other = make.headers("warehouse")
    one = client.post(
        DOCS, json=_receipt(warehouse, item), headers={**headers, "Idempotency-Key": "k"}
    )
    two = client.post(
        DOCS, json=_receipt(warehouse, item), headers={**other, "Idempotency-Key": "k"}
    )
    assert (one.status_code, two.status_code) == (201, 201)
    assert one.get_json()["id"] != two.get_json()["id"]


def test_a_refused_request_does_not_use_up_its_key(client, setup):
    headers, warehouse, item = setup
    keyed = {**headers, "Idempotency-Key": "retry-after-fix"}
    issue = {
        "type": "issue",
        "warehouse_id": warehouse,
        "lines": [{"item_id": item, "quantity": 5}],
    }
    assert_problem(client.post(DOCS, json=issue, headers=keyed), 409, "insufficient_stock")
    assert row_counts()["idempotency_key"] == 0
    # Once stock is in, the same request under the same key goes through.
    client.post(DOCS, json=_receipt(warehouse, item, "5"), headers=headers)
    assert client.post(DOCS, json=issue, headers=keyed).status_code == 201


def test_stocktake_create_count_and_post_replay_under_their_keys(client, make):
    warehouse, item = make.warehouse(), make.item()
    make.document("receipt", warehouse, [(item, "10", "2")])
    headers = make.headers("warehouse")

    def twice(path, key, body=None):
        keyed = {**headers, "Idempotency-Key": key}
        first = client.post(path, json=body, headers=keyed)
        assert first.status_code in (200, 201), first.get_json()
        counts = row_counts()
        second = client.post(path, json=body, headers=keyed)
        assert (second.status_code, second.get_json()) == (first.status_code, first.get_json())
        assert row_counts() == counts
        return first.get_json()

    take = twice("/api/v1/stocktakes", "count-week-47", {"warehouse_id": warehouse})["id"]
    assert len(client.get("/api/v1/stocktakes", headers=headers).get_json()) == 1
    lines = {"lines": [{"item_id": item, "counted_quantity": "10"}]}
    twice(f"/api/v1/stocktakes/{take}/counts", "count-week-47-a", lines)
    posted = twice(f"/api/v1/stocktakes/{take}/post", "count-week-47-post")
    assert posted["status"] == "posted"
    # The same key on another stocktake's counts is another request: refused, not replayed.
    other = client.post(
        f"/api/v1/stocktakes/{take + 1}/counts",
        json=lines,
        headers={**headers, "Idempotency-Key": "count-week-47-a"},
    )
    assert_problem(other, 422, "validation_failed")


def test_cancel_is_idempotent_too(client, setup):
    headers, warehouse, item = setup
    doc = client.post(DOCS, json=_receipt(warehouse, item), headers=headers).get_json()["id"]
    keyed = {**headers, "Idempotency-Key": f"cancel-{doc}"}
    first = client.post(f"{DOCS}/{doc}/cancel", headers=keyed)
    assert first.status_code == 200 and first.get_json()["status"] == "cancelled"
    ledger = row_counts()["stock_ledger"]
    second = client.post(f"{DOCS}/{doc}/cancel", headers=keyed)
    assert second.status_code == 200 and second.get_json() == first.get_json()
    assert row_counts()["stock_ledger"] == ledger
    # Without the key, cancelling twice is the conflict it is.
    assert_problem(client.post(f"{DOCS}/{doc}/cancel", headers=headers), 409)


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_an_unusable_key_is_a_field_error(client, setup, key):
    headers, warehouse, item = setup
    response = client.post(
        DOCS, json=_receipt(warehouse, item), headers={**headers, "Idempotency-Key": key}
    )
    assert "Idempotency-Key" in assert_problem(response, 422)["errors"]
    assert row_counts()["stock_document"] == 0


@pytest.mark.postgres
def test_concurrent_retries_with_one_key_create_one_document(pg_app):
    make = Factory()
    warehouse, item = make.warehouse(), make.item()
    headers = {**make.headers("warehouse"), "Idempotency-Key": "burst-1"}
    db.session.remove()
    threads_n = 8
    start = threading.Barrier(threads_n)
    results: list = [None] * threads_n

    def post(slot: int) -> None:
        with pg_app.app_context():
            client = pg_app.test_client()
            start.wait()
            try:
                response = client.post(DOCS, json=_receipt(warehouse, item), headers=headers)
                results[slot] = (response.status_code, response.get_json())
            except BaseException as exc:  # surfaced by the assertions below
                results[slot] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(isinstance(r, tuple) for r in results), results
    assert {status for status, _ in results} == {201}, results
    assert len({body["id"] for _, body in results}) == 1
    counts = row_counts()
    assert counts["stock_document"] == 1
    assert counts["idempotency_key"] == 1
    assert counts["stock_ledger"] == 1
    balances = pg_app.test_client().get("/api/v1/stock-balances", headers=headers).get_json()
    assert [b["quantity"] for b in balances] == ["2.000"]
