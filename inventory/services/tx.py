"""The transaction every use case runs in, with a retry for the database's own refusals."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from inventory.db.base import db, write_intent

_depth: ContextVar[int] = ContextVar("tx_depth", default=0)
T = TypeVar("T")

# PostgreSQL: serialization_failure, deadlock_detected. Fixed lock order should make both
# impossible; the retry is the belt to those braces.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}


@contextmanager
def transaction() -> Iterator[Session]:
    """Open the use case's transaction, or join the one already open; commit once at the end."""
    session = db.session
    if _depth.get():
        yield session
        return
    # On SQLite a read transaction left open by earlier reads (the token check) must end, so the
    # write begins with BEGIN IMMEDIATE and its lock. On PostgreSQL (READ COMMITTED, every
    # statement sees the latest commits) the write simply carries on in it: no rollback, no
    # second pool checkout.
    if session.get_bind().dialect.name == "sqlite":
        session.rollback()
    depth_token = _depth.set(1)
    intent_token = write_intent.set(True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        write_intent.reset(intent_token)
        _depth.reset(depth_token)


def retrying(func: Callable[..., T]) -> Callable[..., T]:
    """Run a use case again when PostgreSQL refused it for a deadlock or serialization failure."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> T:
        if _depth.get():
            return func(*args, **kwargs)
        for attempt in range(5):
            try:
                return func(*args, **kwargs)
            except DBAPIError as exc:
                sqlstate = getattr(exc.orig, "sqlstate", None)
                if sqlstate not in _RETRYABLE_SQLSTATES or attempt == 4:
                    raise
                time.sleep(0.01 * (2**attempt))
        raise AssertionError("unreachable")

    return wrapper
