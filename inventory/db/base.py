"""The Flask-SQLAlchemy extension object and the engine set-up each database needs."""

from __future__ import annotations

from contextvars import ContextVar

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

# Stable constraint names, so migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(
    metadata=MetaData(naming_convention=NAMING),
    session_options={
        "expire_on_commit": False,
    },
)


def is_postgresql(session) -> bool:
    """Whether ``session`` talks to PostgreSQL (else SQLite): the few statements that differ
    choose by it."""
    return session.get_bind().dialect.name == "postgresql"


# Set by ``services.tx.transaction`` so SQLite takes its write lock when a write begins, while
# reads keep to shared locks.
write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


def configure_engine(engine: Engine) -> None:
    """SQLite has no row locks, so a writing transaction takes the write lock up front.

    ``BEGIN IMMEDIATE`` serializes writers: two postings can never interleave their
    read-check-write, which is what keeps stock from going negative there. Reads begin deferred.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - driver hook
        dbapi_connection.isolation_level = None  # let us issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # pragma: no cover - driver hook
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")
