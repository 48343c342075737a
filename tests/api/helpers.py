"""Assertions the API tests share: problem bodies and "nothing was written"."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import text

from inventory.db.base import db

PROBLEM = "application/problem+json"
PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "code"}
# Every table a stock or master-data request can write to.
WRITTEN_TABLES = (
    "item",
    "warehouse",
    "stock_document",
    "stock_document_line",
    "stock_ledger",
    "stock_balance",
    "idempotency_key",
    "audit_event",
)


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """``response`` is an RFC 9457 problem with ``status`` (and ``code``); return its body."""
    body_text = response.get_data(as_text=True)
    assert response.status_code == status, body_text
    assert response.mimetype == PROBLEM, (response.mimetype, body_text)
    body = response.get_json()
    assert body.keys() >= PROBLEM_FIELDS, body
    assert body["status"] == status
    assert body["instance"] == response.request.path
    assert body["type"].endswith("/" + body["code"])
    assert body["title"] and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body


def row_counts(tables=WRITTEN_TABLES) -> dict[str, int]:
    db.session.rollback()  # read what is committed now, not an older snapshot
    counts = {t: db.session.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in tables}
    db.session.rollback()
    return counts


@contextmanager
def writes_nothing(tables=WRITTEN_TABLES):
    """Fail unless the block leaves every table's row count as it found it."""
    before = row_counts(tables)
    yield
    assert row_counts(tables) == before
