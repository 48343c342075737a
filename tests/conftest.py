"""Fixtures: app → database → factories. Every test gets a clean database.

SQLite: the migrated schema is built once per worker and copied for each test.
PostgreSQL (when reachable; always under CI=true): one database per worker, created and dropped
here, migrated once and emptied before each test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from decimal import Decimal

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from api import create_app
from inventory import passwords
from inventory.db.base import db
from inventory.domain.actors import Actor
from inventory.domain.documents import DocumentType, LineIn
from inventory.services import master_data, stock, users

PG_ADMIN_URL = os.environ.get("PG_TEST_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_reachable() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


# The suite hashes about 4,000 passwords (every test's users); at full strength, 0.1 s each, that
# was a third of the suite's time (10 min 36 s -> 7 min 14 s on one machine in one hour). Servers
# the tests start in processes of their own keep the full strength, and tests/unit/
# test_passwords.py checks that it is what the service uses.
passwords.METHOD = "scrypt:1024:8:1"

PG_REACHABLE = _pg_reachable()
if os.environ.get("CI") == "true" and not PG_REACHABLE:
    raise RuntimeError(f"CI=true but PostgreSQL is unreachable at {PG_ADMIN_URL}")


def pytest_configure(config):
    """Refuse ``--dist loadgroup`` under a pytest that would split every ``xdist_group``.

    pytest-xdist 3.8 keeps a group on one worker by suffixing the node id, which pytest 9.2 no
    longer lets it do: the groups were silently spread over both workers, and tests sharing a
    server or a broker queue ran beside each other. requirements-dev.txt pins the last pytest
    that works; this says so at once if an upgrade brings the split back.
    """
    major, minor = (int(part) for part in pytest.__version__.split(".")[:2])
    if config.getoption("dist", "no") == "loadgroup" and (major, minor) >= (9, 2):
        raise pytest.UsageError(
            f"pytest {pytest.__version__} lets pytest-xdist's loadgroup split xdist_group "
            "tests across workers; install the pytest that requirements-dev.txt pins"
        )


def _pg_url(dbname: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{dbname}"


def _migrated_app(url: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    return app


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _migrated_app(f"sqlite:///{path}")
    return str(path)


@contextlib.contextmanager
def migrated_pg_database(prefix: str = "qm_test"):
    """A new PostgreSQL database, migrated; dropped afterwards (skips without PostgreSQL)."""
    if not PG_REACHABLE:
        pytest.skip("PostgreSQL is not reachable")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _pg_url(name)
    try:
        _migrated_app(url)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_database():
    with migrated_pg_database() as url:
        yield url


_PG_CONTENTS: dict[str, tuple[list[str], list[str]]] = {}


def _empty_pg(url: str) -> None:
    """Every table emptied and every sequence back at 1, in one round trip.

    DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE of some 60 tables gives each a
    new file (about 0.4 s a test, paid by every PostgreSQL test). With the session's replication
    role at ``replica`` neither the foreign keys nor the append-only triggers fire: only a test
    reset may step around them."""
    if url not in _PG_CONTENTS:
        with psycopg.connect(url, autocommit=True) as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version' ORDER BY tablename"
                )
            ]
            sequences = [
                r[0]
                for r in conn.execute(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' "
                    "ORDER BY sequencename"
                )
            ]
        _PG_CONTENTS[url] = tables, sequences
    tables, sequences = _PG_CONTENTS[url]
    restart = ", ".join(f"setval('public.\"{name}\"', 1, false)" for name in sequences)
    script = "SET session_replication_role = replica; " + "".join(
        f'DELETE FROM public."{table}"; ' for table in tables
    )
    if restart:
        script += f"SELECT {restart};"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(script)


def build_app(backend: str, request, tmp_path):
    if backend == "sqlite":
        path = tmp_path / "db.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database")
        _empty_pg(url)
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "LOG_LEVEL": "WARNING",
            "DB_POOL_SIZE": 40,
        }
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def app(request, tmp_path):
    """The app on SQLite; tests that take ``backend`` run on PostgreSQL too."""
    name = request.getfixturevalue("backend") if "backend" in request.fixturenames else "sqlite"
    application = build_app(name, request, tmp_path)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def pg_app(request, tmp_path):
    """The app on PostgreSQL only (concurrency tests)."""
    application = build_app("postgres", request, tmp_path)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class Factory:
    """Makes users, master data and stock through the services, as a real caller would."""

    def __init__(self):
        self._n = 0
        self.admin = self.user("admin", username="root-admin")

    def _next(self) -> int:
        self._n += 1
        return self._n

    def user(self, *roles: str, username: str | None = None) -> Actor:
        name = username or f"user{self._next()}-{'-'.join(roles)}"
        created = users.create_user(
            None, username=name, password="correct-horse", roles=list(roles)
        )
        return Actor(created.id, created.username, frozenset(roles))

    def token(self, actor: Actor) -> str:
        from datetime import timedelta

        return users.issue_token(actor.id, timedelta(hours=1)).access_token

    def headers(self, *roles: str) -> dict:
        return {"Authorization": f"Bearer {self.token(self.user(*roles))}"}

    def warehouse(self, code: str | None = None) -> int:
        code = code or f"WH{self._next()}"
        return master_data.create("warehouse", self.admin, {"code": code, "name": code})["id"]

    def item(self, sku: str | None = None, *, category: str = "", valuation_cost: str = "0") -> int:
        sku = sku or f"SKU{self._next()}"
        return master_data.create(
            "item",
            self.admin,
            {
                "sku": sku,
                "name": f"Item {sku}",
                "unit_of_measure": "pcs",
                "category": category,
                "valuation_cost": Decimal(valuation_cost),
            },
        )["id"]

    def document(
        self,
        doc_type: str,
        warehouse_id: int,
        lines,
        *,
        to_warehouse_id=None,
        actor: Actor | None = None,
        draft: bool = False,
    ) -> int:
        return stock.create_document(
            actor or self.admin,
            stock.NewDocument(
                type=DocumentType(doc_type),
                warehouse_id=warehouse_id,
                to_warehouse_id=to_warehouse_id,
                draft=draft,
                lines=[
                    LineIn(item, Decimal(str(q)), None if c is None else Decimal(str(c)))
                    for item, q, c in lines
                ],
            ),
        )

    def receive(self, warehouse_id: int, item_id: int, qty, cost) -> int:
        return self.document("receipt", warehouse_id, [(item_id, qty, cost)])


@pytest.fixture
def make(app) -> Factory:
    return Factory()


def ledger_matches_balances() -> list:
    """Rows where the balance projection disagrees with the ledger's sums (empty = exact)."""
    return db.session.execute(
        text("""
        SELECT b.item_id, b.warehouse_id, b.quantity, b.value, l.q, l.v
        FROM stock_balance b
        LEFT JOIN (SELECT item_id, warehouse_id, SUM(quantity) q, SUM(value) v
                   FROM stock_ledger GROUP BY item_id, warehouse_id) l
          ON l.item_id = b.item_id AND l.warehouse_id = b.warehouse_id
        WHERE b.quantity <> COALESCE(l.q, 0) OR b.value <> COALESCE(l.v, 0)
    """)
    ).all()


def layers_match_balances() -> list:
    """FIFO balances whose open layers do not add up to them (empty = exact)."""
    return db.session.execute(
        text("""
        SELECT b.item_id, b.warehouse_id, b.quantity, b.value, l.q, l.v
        FROM stock_balance b JOIN item i ON i.id = b.item_id AND i.valuation_method = 'fifo'
        LEFT JOIN (SELECT item_id, warehouse_id, SUM(remaining_quantity) q,
                          SUM(remaining_value) v
                   FROM fifo_layer GROUP BY item_id, warehouse_id) l
          ON l.item_id = b.item_id AND l.warehouse_id = b.warehouse_id
        WHERE b.quantity <> COALESCE(l.q, 0) OR b.value <> COALESCE(l.v, 0)
    """)
    ).all()
