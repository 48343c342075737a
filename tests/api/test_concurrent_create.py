"""Two people creating the same SKU at the same moment: one wins, the other gets a clear 409."""

import threading

import pytest

from inventory.db.base import db
from tests.conftest import Factory


@pytest.mark.parametrize(
    "skus",
    [["TWIN-1"], ["twin-1", "TWIN-1", " Twin-1 "]],
    ids=["same", "case-twins"],  # the index on lower(sku) holds where the service's check raced
)
def test_simultaneous_creates_of_one_sku_give_one_201_and_409s(pg_app, skus):
    make = Factory()
    headers = make.headers("warehouse")
    db.session.remove()
    threads_n = 8
    start = threading.Barrier(threads_n)
    results: list = [None] * threads_n

    def create(slot: int) -> None:
        with pg_app.app_context():
            client = pg_app.test_client()
            start.wait()
            try:
                response = client.post(
                    "/api/v1/items",
                    headers=headers,
                    json={"sku": skus[slot % len(skus)], "name": "Twin", "unit_of_measure": "pcs"},
                )
                results[slot] = (response.status_code, response.content_type)
            except BaseException as exc:  # surfaced by the assertions below
                results[slot] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(r[0] for r in results if isinstance(r, tuple))
    assert len(statuses) == threads_n, results
    assert statuses.count(201) == 1, results
    assert set(statuses) == {201, 409}, results
    assert all(ct == "application/problem+json" for code, ct in results if code == 409)
    items = pg_app.test_client().get("/api/v1/items?q=TWIN", headers=headers).get_json()
    assert [i["sku"].upper() for i in items] == ["TWIN-1"]
