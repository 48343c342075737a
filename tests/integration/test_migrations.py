"""The models mirror the migrations: autogenerate, run against a migrated database, finds nothing.

The schema comes only from ``migrations/``; the models in ``inventory/db`` must describe it
exactly, or the next ``flask db migrate`` would pick up drift nobody meant.

Types are compared (``compare_type``): alembic compares a ``TypeDecorator`` through its ``impl``,
so ``Fixed`` reads as the ``BigInteger`` and ``UtcDateTime`` as the ``DateTime(timezone=True)``
the migrations create, with no false differences and no custom comparator. Server defaults are
compared too, with one correction for SQLite (see ``_same_server_default``).
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, inspect

from inventory.db.base import db
from inventory.db.types import Fixed, UtcDateTime


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


def _differences(connection) -> list:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "compare_server_default": _same_server_default},
    )
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
    with db.engine.connect() as connection:
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
