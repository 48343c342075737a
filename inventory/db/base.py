"""The Flask-SQLAlchemy extension object and the engine set-up each database needs."""

from __future__ import annotations

import sys
from contextvars import ContextVar

import psycopg
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

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


PING_SQL = "SELECT 1"
_QUERY_CANCELED = "57014"  # statement_timeout (or a cancel request) ended the statement


def ping(session, timeout_seconds: float | None = None) -> None:
    """One ``SELECT 1`` on ``session``: raises SQLAlchemy's error when the database is down.

    On PostgreSQL ``timeout_seconds`` bounds it on the server (``SET LOCAL statement_timeout``,
    so only this transaction; the caller ends it): a database too busy or stuck to run it
    answers with an error (``is_statement_timeout``) instead of holding the caller. SQLite runs
    in this process and has no server to wait for. Connecting is bounded by the engine's
    connect timeout either way."""
    if timeout_seconds is not None and is_postgresql(session):
        milliseconds = max(1, round(timeout_seconds * 1000))
        session.execute(text(f"SET LOCAL statement_timeout = {milliseconds:d}"))
    session.execute(text(PING_SQL))


def is_statement_timeout(error: BaseException) -> bool:
    """Whether ``error`` is PostgreSQL ending a statement at its ``statement_timeout``."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) == _QUERY_CANCELED


def is_postgresql(session) -> bool:
    """Whether ``session`` talks to PostgreSQL (else SQLite): the few statements that differ
    choose by it."""
    return session.get_bind().dialect.name == "postgresql"


def shared_by_processes(session) -> bool:
    """Whether other processes may work on the database through their own connections at the
    same time as this one (a server; SQLite takes one writer at a time, and an in-memory SQLite
    database is this process's alone)."""
    return is_postgresql(session)


# Set by ``services.tx.transaction`` so SQLite takes its write lock when a write begins, while
# reads keep to shared locks.
write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


# PostgreSQL ended the session: class 08 (connection exception), administrator or crash shutdown
# (a restart's ``pg_ctl stop``), idle-session timeout.
_SESSION_ENDED = {"57P01", "57P02", "57P05"}
# ... or takes no sessions for now: "the database system is starting up" (57P03), too many
# clients (53300). Both pass within seconds; a retry is the right answer to either.
_NO_SESSION_NOW = {"57P03", "53300"}


def _session_ended(sqlstate: str | None) -> bool:
    return bool(sqlstate) and (sqlstate.startswith("08") or sqlstate in _SESSION_ENDED)


def is_unreachable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached right now (down, restarting,
    the connection dropped), so the same request may succeed in a few seconds; not a statement
    the database refused, which no retry will fix."""
    if isinstance(error, DisconnectionError | PoolTimeout):
        # A pool with every connection busy past its timeout: the database is up but this
        # process cannot reach it now, and a retry in seconds is the right answer, as above.
        return True
    if not isinstance(error, (OperationalError, InterfaceError)):
        return False
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate:
        return _session_ended(sqlstate) or sqlstate in _NO_SESSION_NOW
    # libpq's own failures (connection refused, server closed the connection, timeout) carry no
    # SQLSTATE. SQLite's OperationalError ("no such table") is not about reaching anything.
    return isinstance(error.orig, psycopg.OperationalError)


def configure_engine(engine: Engine) -> None:
    """PostgreSQL: a connection whose session the server ended is invalidated, with the pool.

    SQLite has no row locks, so a writing transaction takes the write lock up front.
    ``BEGIN IMMEDIATE`` serializes writers: two postings can never interleave their
    read-check-write, which is what keeps stock from going negative there. Reads begin deferred.
    """
    if engine.dialect.name == "postgresql":
        event.listen(engine, "handle_error", _invalidate_ended_sessions)
        event.listen(engine, "do_connect", _prepare_only_the_hot_path)
        return
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


# The hot path's keyed statements (inventory/db/driver.py) are prepared on each connection and
# run with their one generic plan. Under PostgreSQL's default ("auto") it planned them afresh on
# every execution: the plan is the same, but planning the posting's statements cost about a quarter
# of PostgreSQL's CPU per stock document (docs/performance.md). Forcing generic plans would harm
# a report filtered by a date range, so nothing else is prepared: psycopg's automatic preparing
# (after 5 runs of the same text) never comes, and every other statement is planned for its
# values. (A threshold of None would refuse even the statements asked for with prepare=True.)
GENERIC_PLANS = "-c plan_cache_mode=force_generic_plan"


def _prepare_only_the_hot_path(dialect, connection_record, cargs, cparams) -> None:
    options = cparams.get("options")
    cparams["options"] = f"{options} {GENERIC_PLANS}" if options else GENERIC_PLANS
    cparams["prepare_threshold"] = sys.maxsize


def _invalidate_ended_sessions(context) -> None:
    # SQLAlchemy counts an error as a disconnect when psycopg has already marked the connection
    # broken. A shutdown's FATAL can arrive while the socket still looks open; this way the
    # connection (and every older one in the pool) is replaced rather than handed out again.
    if _session_ended(getattr(context.original_exception, "sqlstate", None)):
        context.is_disconnect = True
