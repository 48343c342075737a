"""The hot path's statements on PostgreSQL, sent to the session's own psycopg connection.

Every posting and every goods receipt runs the same few statements of fixed text: the reference
check, the balance lock and the one-statement writes. Through SQLAlchemy each of them builds an
execution context and its result's metadata, and psycopg adapts list parameters element by
element in Python: measured on a 20-line receipt, more CPU in the web worker than PostgreSQL
spends running them. These statements need none of that: they go to the same connection, in the
same transaction, directly, and lists go as array literals that PostgreSQL parses itself.

Errors come back as SQLAlchemy's (``IntegrityError``, ``DBAPIError``), so the retry on
deadlocks and the 409 on a constraint apply as to any other statement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def execute(
    session: Session,
    sql: str,
    params: dict | None = None,
    *,
    first: bool = False,
    prepare: bool = True,
) -> psycopg.Cursor:
    """Run ``sql`` (``%(name)s`` placeholders) in ``session``'s transaction; return the cursor.

    ``first``: the transaction's first statement. psycopg would send its ``BEGIN`` alone and wait
    for the answer; in pipeline mode the two travel in one round trip.

    ``prepare``: a keyed statement of fixed text, prepared on the connection and run with its
    generic plan (``base.GENERIC_PLANS``). False for a statement whose best plan depends on its
    values (a date range, a scope that may be everything): it is planned on every run."""
    session.flush()  # what autoflush does before any statement the session runs itself
    connection = session.connection().connection.driver_connection
    try:
        if not first:
            return connection.execute(sql, params, prepare=prepare)
        with connection.pipeline():
            return connection.execute(sql, params, prepare=prepare)
    except psycopg.Error as exc:
        raise DBAPIError.instance(sql, params, exc, psycopg.Error) from exc


def rows(
    session: Session, sql: str, params: dict, columns: tuple[Callable | None, ...]
) -> list[tuple]:
    """The rows of ``sql``, each value passed through its column's converter (``converters``)."""
    found = execute(session, sql, params).fetchall()
    convert = [(i, f) for i, f in enumerate(columns) if f is not None]
    if not convert or not found:
        return found
    out = []
    for row in found:
        row = list(row)
        for i, f in convert:
            if row[i] is not None:
                row[i] = f(row[i], None)
        out.append(tuple(row))
    return out


def converters(*columns) -> tuple[Callable | None, ...]:
    """Per result column, what turns psycopg's value into what SQLAlchemy would give: the column
    type's own ``process_result_value(value, dialect)`` (fixed point to ``Decimal``, timestamps
    to UTC), or None where psycopg's value is it already."""
    return tuple(getattr(c.type, "process_result_value", None) for c in columns)


def int_array(values: Iterable[int | date | None]) -> str:
    """An ``int[]``, ``bigint[]`` or ``date[]`` literal: ``{1,2,NULL}``."""
    # str(None) is "None", and no int or date prints those letters
    return "{" + ",".join(map(str, values)).replace("None", "NULL") + "}"


def key_arrays(keys: Iterable[tuple[int, int]]) -> tuple[str, str]:
    """(item, warehouse) keys as two ``int[]`` literals, to unnest side by side."""
    keys = list(keys)
    return int_array(i for i, _ in keys), int_array(w for _, w in keys)


def text_array(values: Iterable[str | None]) -> str:
    """A ``text[]`` literal, every element quoted: ``{"a","b \\"c\\"",NULL}``."""
    return "{" + ",".join("NULL" if v is None else _quoted(v) for v in values) + "}"


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
