"""The driver path's array literals and errors, on the real PostgreSQL."""

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from inventory.db import driver, posting_reads
from inventory.db.base import db

pytestmark = pytest.mark.postgres

AWKWARD = ['a "quoted" word', "comma, brace { }", "back\\slash", "", " lead", "NULL", None, "é"]


def test_text_array_round_trips_awkward_strings(pg_app):
    row = driver.execute(
        db.session, "SELECT CAST(%(x)s AS text[])", {"x": driver.text_array(AWKWARD)}
    )
    assert row.fetchone()[0] == AWKWARD
    db.session.rollback()


def test_int_array_carries_ints_dates_and_nulls(pg_app):
    ints = [1, None, -7, 2**40]
    days = [date(2026, 11, 24), None]
    row = driver.execute(
        db.session,
        "SELECT CAST(%(i)s AS bigint[]), CAST(%(d)s AS date[]), CAST(%(e)s AS int[])",
        {"i": driver.int_array(ints), "d": driver.int_array(days), "e": driver.int_array([])},
    ).fetchone()
    assert row == (ints, days, [])
    db.session.rollback()


def test_errors_come_back_as_sqlalchemy_errors(pg_app):
    # the deadlock retry and the 409 handler look for SQLAlchemy's exceptions
    with pytest.raises(IntegrityError):
        driver.execute(db.session, "INSERT INTO warehouse (id) VALUES (NULL)")
    db.session.rollback()


def _prepared(session, fragment: str) -> list[tuple[int, int]]:
    """(generic plans, custom plans) of this connection's prepared statements whose text holds
    ``fragment``."""
    return [
        tuple(row)
        for row in driver.execute(
            session,
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE strpos(statement, %(fragment)s) > 0",
            {"fragment": fragment},
            prepare=False,
        )
    ]


def test_the_hot_path_runs_prepared_with_its_generic_plan(pg_app):
    # Planned anew on every run, the posting's statements cost PostgreSQL a third more CPU.
    for _ in range(3):
        posting_reads.references(db.session, {1, 2}, {1}, [(1, 1), (2, 1)])
    assert _prepared(db.session, "'item'") == [(3, 0)]
    db.session.rollback()


def test_other_statements_are_planned_for_their_values(pg_app):
    # A report's range filter needs the plan for its values: never a generic one.
    for day in range(1, 8):
        db.session.execute(
            text("SELECT count(*) FROM stock_ledger WHERE posted_at >= :since /* sqla */"),
            {"since": date(2026, 11, day)},
        )
        driver.execute(
            db.session,
            "SELECT count(*) FROM stock_ledger WHERE posted_at >= %(since)s /* own plan */",
            {"since": date(2026, 11, day)},
            prepare=False,
        )
    assert _prepared(db.session, "/* sqla */") == []
    assert _prepared(db.session, "/* own plan */") == []
    db.session.rollback()
