"""Pieces the finance reports share: month buckets as one CASE, raw fixed-point integers, and
integer arithmetic that stays exact on SQLite and PostgreSQL.

Fixed-point columns hold ``value × 10**places`` as integers (``inventory.db.types``), so sums of
products of them are exact integers in the database; ``wide`` keeps PostgreSQL from overflowing
64 bits on a product (NUMERIC there; SQLite's integers are already 64-bit and the products the
reports form stay far below that for amounts the books hold in practice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, Numeric, case, cast, func, literal, type_coerce

from inventory.db.base import db, is_postgresql
from inventory.db.types import UtcDateTime


@dataclass(frozen=True)
class Month:
    """A calendar month of the service's time zone, clipped to a report's window, as the UTC
    instants ``[start, stop)``."""

    label: str  # YYYY-MM
    start: datetime
    stop: datetime


def pg() -> bool:
    return is_postgresql(db.session)


def moment(value: datetime):
    return literal(value, UtcDateTime())


def month_of(column, months: list[Month]):
    """The month label of a timestamp column, by one CASE over the (few) bucket bounds; rows
    outside the window get NULL, and callers filter them out with ``in_window``."""
    return case(*[(column < moment(m.stop), m.label) for m in months], else_=None)


def in_window(column, months: list[Month]):
    return (column >= moment(months[0].start)) & (column < moment(months[-1].stop))


def raw(column):
    """The integer a fixed-point column stores (``3.5`` at 3 places reads ``3500``)."""
    return type_coerce(column, BigInteger)


def wide(expression):
    """An integer expression that must not overflow: NUMERIC on PostgreSQL, read back as an
    integer either way."""
    if pg():
        return type_coerce(cast(expression, Numeric(38, 0)), BigInteger)
    return expression


def round_div(numerator, denominator):
    """``numerator / denominator`` rounded half away from zero to an integer, for a positive
    denominator; the same answer on both databases."""
    a = cast(numerator, Numeric(38, 0)) if pg() else numerator
    b = cast(denominator, Numeric(38, 0)) if pg() else denominator
    up = (2 * a + b) // (2 * b)
    down = -((-2 * a + b) // (2 * b))
    return type_coerce(case((a >= 0, up), else_=down), BigInteger)


def utc_day(column):
    """The UTC calendar day of a timestamp column, comparable with a DATE column."""
    if pg():
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def epoch_seconds(column):
    """Seconds since 1970-01-01 UTC of a timestamp column, as a number."""
    if pg():
        return func.extract("epoch", column)
    return (func.julianday(column) - 2440587.5) * 86400.0


def scaled(value, places: int) -> Decimal | None:
    """An integer sum of raw fixed-point values back as a ``Decimal`` with ``places``."""
    if value is None:
        return None
    return Decimal(int(value)).scaleb(-places)
