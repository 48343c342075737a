"""The driver path's array literals and errors, on the real PostgreSQL."""

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from inventory.db import driver
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
