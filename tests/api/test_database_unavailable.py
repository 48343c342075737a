"""A database that cannot be reached is a 503 with Retry-After, and the health check names it;
a statement the database refuses is still a 500. The stop-and-start against a real server is in
tests/e2e/test_database_outage.py."""

from __future__ import annotations

import shutil
import socket

import psycopg
import pytest
import redis
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api import create_app
from delivery.access import public
from inventory.db.base import db, is_unreachable
from tests.api.helpers import assert_problem

REDIS_URL = "redis://127.0.0.1:6379/0"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unreachable_app():
    """The app pointed at a PostgreSQL port nobody listens on."""
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/quartermaster"
    application = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "LOG_LEVEL": "CRITICAL"}
    )
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def test_every_request_is_a_503_with_retry_after_while_the_database_cannot_be_reached(
    unreachable_app,
):
    client = unreachable_app.test_client()
    bearer = {"Authorization": "Bearer some-token"}
    responses = [
        client.get("/api/v1/items", headers=bearer),  # fails in the token lookup
        client.get("/api/v1/items", headers=bearer),  # the same call twice
        client.post("/api/v1/auth/token", json={"username": "a", "password": "b" * 8}),
        client.post(
            "/api/v1/stock-documents",
            json={"type": "receipt", "warehouse_id": 1, "lines": []},
            headers={**bearer, "Idempotency-Key": "k-1"},
        ),
    ]
    for response in responses:
        body = assert_problem(response, 503, "database_unavailable")
        assert response.headers["Retry-After"] == "3"
        assert "Retry-After" in body["detail"] and "same Idempotency-Key" in body["detail"]
        assert "127.0.0.1" not in response.get_data(as_text=True)


def test_health_names_the_database_when_it_is_down(unreachable_app):
    response = unreachable_app.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "3"
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["dependencies"].keys() == {"database"}  # no broker configured
    database = body["dependencies"]["database"]
    assert (database["status"], database["required"]) == ("down", True)
    assert "cannot be reached" in database["detail"]


def test_a_statement_the_database_refuses_is_still_a_500(backend, app):
    # SQLite says OperationalError for a missing table: not an outage.
    @app.get("/api/v1/test-only/missing-table")
    @public
    def missing_table():
        db.session.execute(text("SELECT * FROM no_such_table"))

    response = app.test_client().get("/api/v1/test-only/missing-table")
    assert_problem(response, 500, "internal_error")
    assert "Retry-After" not in response.headers


def _wrapped(cls, orig, *, invalidated=False):
    return cls("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(OperationalError, psycopg.OperationalError("connection refused")),
        _wrapped(OperationalError, psycopg.errors.AdminShutdown("terminating connection")),
        _wrapped(OperationalError, psycopg.errors.CrashShutdown("crash")),
        _wrapped(OperationalError, psycopg.errors.CannotConnectNow("starting up")),
        _wrapped(OperationalError, psycopg.errors.ConnectionFailure("08006")),
        _wrapped(OperationalError, psycopg.errors.TooManyConnections("too many clients")),
        _wrapped(InterfaceError, psycopg.InterfaceError("closed"), invalidated=True),
        PoolTimeout("QueuePool limit of size 10 overflow 10 reached, connection timed out"),
    ],
    ids=["refused", "57P01", "57P02", "57P03", "08006", "53300", "invalidated", "pool-timeout"],
)
def test_connectivity_errors_are_unreachable(error):
    assert is_unreachable(error)


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(OperationalError, psycopg.errors.QueryCanceled("statement timeout")),
        _wrapped(ProgrammingError, psycopg.errors.UndefinedTable("no such table")),
        _wrapped(InterfaceError, psycopg.InterfaceError("the cursor is closed")),
        _wrapped(OperationalError, Exception("sqlite: no such table")),
        RuntimeError("database is down"),
    ],
    ids=["57014", "42P01", "interface", "sqlite", "not-sqlalchemy"],
)
def test_other_errors_are_not(error):
    assert not is_unreachable(error)


def _redis_reachable() -> bool:
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def _health_with_broker(broker: str):
    application = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "LOG_LEVEL": "CRITICAL",
            "CELERY_BROKER_URL": broker,
        }
    )
    with application.app_context():
        try:
            return application.test_client().get("/api/v1/health")
        finally:
            db.session.remove()
            db.engine.dispose()


def test_a_down_broker_is_named_but_the_api_stays_in_service():
    response = _health_with_broker(f"redis://127.0.0.1:{_closed_port()}/0")
    assert response.status_code == 200  # the API does not need the broker: stay in rotation
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["dependencies"]["database"] == {"status": "ok", "required": True}
    broker = body["dependencies"]["broker"]
    assert (broker["status"], broker["required"]) == ("down", False)
    assert "jobs" in broker["detail"]


@pytest.mark.redis
def test_a_reachable_broker_is_ok():
    if not _redis_reachable():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    response = _health_with_broker(REDIS_URL)
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "dependencies": {
            "database": {"status": "ok", "required": True},
            "broker": {"status": "ok", "required": False},
        },
    }


def test_a_pool_with_every_connection_busy_is_a_503_not_a_500(sqlite_template, tmp_path):
    """The database is up but this process has no free connection within the pool's timeout."""
    path = tmp_path / "db.sqlite3"
    shutil.copy(sqlite_template, path)
    application = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.1},
            "TESTING": True,
            "LOG_LEVEL": "CRITICAL",
        }
    )
    with application.app_context():
        held = db.engine.connect()  # the pool's only connection
        try:
            response = application.test_client().get(
                "/api/v1/items", headers={"Authorization": "Bearer some-token"}
            )
            assert_problem(response, 503, "database_unavailable")
            assert response.headers["Retry-After"] == "3"
        finally:
            held.close()
        response = application.test_client().get(
            "/api/v1/items", headers={"Authorization": "Bearer some-token"}
        )
        assert_problem(response, 401)  # a free connection again: the token lookup answers
        db.session.remove()
        db.engine.dispose()


def test_health_answers_and_its_timeout_stays_in_its_transaction(backend, app, client):
    for _ in range(2):  # the same call twice, on the same pooled connection
        response = client.get("/api/v1/health")
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["dependencies"]["database"] == {"status": "ok", "required": True}
    if backend == "postgres":  # SET LOCAL: other requests on the connection keep no timeout
        assert db.session.execute(text("SHOW statement_timeout")).scalar() == "0"


@pytest.mark.postgres
def test_a_database_that_does_not_answer_in_time_is_down_not_waited_for(pg_app, monkeypatch):
    from inventory.db import base
    from inventory.services import health

    # A ping the server takes 30 s to answer stands for a database that is stuck.
    monkeypatch.setattr(base, "PING_SQL", "SELECT pg_sleep(30)")
    monkeypatch.setattr(health, "DATABASE_TIMEOUT_SECONDS", 0.2)
    response = pg_app.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "3"
    database = response.get_json()["dependencies"]["database"]
    assert database["status"] == "down"
    assert database["detail"].startswith("The database did not answer within 0.2 s")
    # The cancelled ping's transaction was rolled back: the session serves the next request.
    monkeypatch.setattr(base, "PING_SQL", "SELECT 1")
    assert pg_app.test_client().get("/api/v1/health").status_code == 200
