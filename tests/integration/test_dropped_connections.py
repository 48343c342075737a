"""The pool has no pre-ping: a connection the server dropped must not turn into a 500."""

from __future__ import annotations

import psycopg
import pytest

from inventory.db.base import db

pytestmark = pytest.mark.postgres


@pytest.fixture
def backend() -> str:
    return "postgres"


def _drop_the_pools_connections() -> int:
    """Terminate the app's server connections, as a restart or failover would, from a
    connection of its own outside the pool."""
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]


def test_a_request_after_the_server_dropped_the_pool_still_succeeds(backend, client, make):
    headers = make.headers("warehouse")
    warehouse = make.warehouse()
    # Fill the pool with connections the next request will be handed.
    for _ in range(3):
        assert client.get("/api/v1/warehouses", headers=headers).status_code == 200
    db.session.remove()
    assert _drop_the_pools_connections() >= 1

    got = client.get(f"/api/v1/warehouses/{warehouse}", headers=headers)
    assert got.status_code == 200, got.get_data(as_text=True)
    posted = client.post(
        "/api/v1/stock-documents",
        json={
            "type": "receipt",
            "warehouse_id": warehouse,
            "lines": [{"item_id": make.item(), "quantity": "1", "unit_cost": "2"}],
        },
        headers=headers,
    )
    assert posted.status_code == 201, posted.get_data(as_text=True)
