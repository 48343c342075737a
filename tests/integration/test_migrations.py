"""The models mirror the migrations: autogenerate, run against a migrated database, finds nothing.

The schema comes only from ``migrations/``; the models in ``inventory/db`` must describe it
exactly, or the next ``flask db migrate`` would pick up drift nobody meant.

Types are compared (``compare_type``): alembic compares a ``TypeDecorator`` through its ``impl``,
so ``Fixed`` reads as the ``BigInteger`` and ``UtcDateTime`` as the ``DateTime(timezone=True)``
the migrations create, with no false differences and no custom comparator. Server defaults are
compared too, with one correction for SQLite (see ``_same_server_default``).
"""

from __future__ import annotations

import uuid
import warnings
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    inspect,
    text,
)
from sqlalchemy.exc import IntegrityError, SAWarning

from api import create_app
from inventory.db.base import db
from inventory.db.types import Fixed, UtcDateTime
from tests.conftest import PG_ADMIN_URL, PG_REACHABLE, _pg_url


def _unquoted(default: str | None) -> str | None:
    if default is None:
        return None
    text = default.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        text = text[1:-1]
    return text


def _same_server_default(_ctx, _inspected, _column, inspected, _metadata, rendered_metadata):
    """Alembic's SQLite comparison strips quotes only around one or more characters, so an empty
    string default ('') reads back as a difference from itself. Settle the equal cases here and
    leave every other judgement to alembic (None)."""
    if _unquoted(inspected) == _unquoted(rendered_metadata):
        return False
    return None


@contextmanager
def _expression_indexes_unseen_on_sqlite():
    """SQLite cannot reflect an expression index (``lower(sku)``): SQLAlchemy and alembic say so
    and leave it out of the comparison. ``test_code_indexes_exist`` checks those by name."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*expression-based index", SAWarning)
        warnings.filterwarnings("ignore", ".*expression-based index", UserWarning)
        yield


def _differences(connection) -> list:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "compare_server_default": _same_server_default},
    )
    with _expression_indexes_unseen_on_sqlite():
        return compare_metadata(context, db.metadata)


def test_models_and_migrations_agree(backend, app):
    with db.engine.connect() as connection:
        differences = _differences(connection)
    assert differences == [], "models and migrations differ; write a migration for:\n" + "\n".join(
        map(str, differences)
    )


def test_the_comparison_sees_drift(backend, app):
    """The check above can fail: a column, a type or a default the migrations never made."""
    drifted = MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.sorted_tables:
        table.to_metadata(drifted)
    Table("item", drifted, Column("colour", String(20)), extend_existing=True)
    drifted.tables["warehouse"].c.code.type = String(99)
    with db.engine.connect() as connection, _expression_indexes_unseen_on_sqlite():
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, drifted)
    flat = [d for entry in differences for d in (entry if isinstance(entry, list) else [entry])]
    found = {(d[0], d[2], d[3] if d[0] == "modify_type" else d[3].name) for d in flat}
    assert ("add_column", "item", "colour") in found
    assert ("modify_type", "warehouse", "code") in found


def test_fixed_point_and_time_columns_are_stored_as_their_impl(backend, app):
    """What the decorators put in the database, read back from the database itself."""
    inspector = inspect(db.engine)
    columns = {c["name"]: c["type"] for c in inspector.get_columns("stock_ledger")}
    assert isinstance(db.metadata.tables["stock_ledger"].c.value.type, Fixed)
    assert isinstance(columns["value"], BigInteger | Integer)
    assert isinstance(db.metadata.tables["stock_ledger"].c.posted_at.type, UtcDateTime)
    assert isinstance(columns["posted_at"], DateTime)


CODE_TABLES = {"item": "sku", "warehouse": "code", "supplier": "code", "cost_centre": "code"}


def _insert_code(table: str, code: str) -> None:
    now = datetime(2026, 12, 6, tzinfo=UTC)
    values = {"name": code, "created_at": now, "updated_at": now}
    values |= {
        "item": {"sku": code, "category": "", "unit_of_measure": "pcs", "valuation_cost": 0},
        "warehouse": {"code": code, "active": True},
        "cost_centre": {"code": code, "active": True},
        "supplier": {
            "code": code,
            "currency": "EUR",
            "payment_terms": "",
            "default_lead_time_days": 7,
            "status": "active",
            "contact_name": "",
            "email": "",
            "phone": "",
        },
    }[table]
    if table == "item":
        values["active"] = True
    db.session.execute(db.metadata.tables[table].insert().values(**values))


@pytest.mark.parametrize("table", sorted(CODE_TABLES))
def test_the_database_refuses_codes_that_differ_only_by_case(backend, app, table):
    """Past the services' own check (a concurrent twin), the unique index on lower(code) holds."""
    _insert_code(table, "bolt-m8")
    db.session.commit()
    with pytest.raises(IntegrityError) as refused:
        _insert_code(table, "BOLT-M8")
        db.session.flush()
    db.session.rollback()
    # What api.problems turns into a 409 rather than a 500.
    assert getattr(refused.value.orig, "sqlstate", None) == "23505" or (
        "UNIQUE constraint failed" in str(refused.value.orig)
    )


@pytest.fixture
def empty_database(backend, tmp_path):
    """A database with no schema yet, for running the migrations step by step."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    if not PG_REACHABLE:
        pytest.skip("PostgreSQL is not reachable")
    name = f"qm_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_case_insensitive_codes_upgrade_stops_on_existing_twins(empty_database):
    """0003 changes nothing and lists the twins while codes differ only by case; once they are
    renamed it goes through, and it can be undone."""
    fresh = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True, "LOG_LEVEL": "WARNING"}
    )
    with fresh.app_context():
        upgrade(revision="0002_procurement")
        _insert_code("item", "bolt-m8")
        _insert_code("item", "BOLT-M8")
        _insert_code("warehouse", "Main")
        _insert_code("warehouse", "MAIN")
        _insert_code("supplier", "ACME")  # alone in its case: no trouble
        db.session.commit()

        # Straight through alembic, to read the error: `flask db upgrade` prints the same
        # message and exits 1 (Flask-Migrate does so for every RuntimeError).
        config = fresh.extensions["migrate"].migrate.get_config()
        with pytest.raises(RuntimeError) as stopped:
            command.upgrade(config, "head")
        message = str(stopped.value)
        assert "differ only by case" in message and "Nothing was changed" in message
        assert "item 1: 'bolt-m8'" in message and "item 2: 'BOLT-M8'" in message
        assert "warehouse 1: 'Main'" in message and "warehouse 2: 'MAIN'" in message
        assert "ACME" not in message
        db.session.rollback()
        version = text("SELECT version_num FROM alembic_version")
        assert db.session.scalar(version) == "0002_procurement"

        db.session.execute(text("UPDATE item SET sku = 'bolt-m8-old' WHERE id = 1"))
        db.session.execute(text("UPDATE warehouse SET code = 'MAIN-2' WHERE id = 2"))
        db.session.commit()
        db.session.remove()
        upgrade(revision="0003_case_insensitive_codes")
        assert db.session.scalar(version) == "0003_case_insensitive_codes"
        with pytest.raises(IntegrityError):
            _insert_code("cost_centre", "ops")
            _insert_code("cost_centre", "OPS")
            db.session.flush()
        db.session.rollback()
        db.session.remove()

        downgrade(revision="0002_procurement")
        _insert_code("cost_centre", "ops")
        _insert_code("cost_centre", "OPS")  # allowed again without the index
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
