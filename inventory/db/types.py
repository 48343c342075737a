"""Exact fixed-point columns that behave the same on SQLite and PostgreSQL.

SQLite has no decimal type, so a value with ``places`` decimals is stored as the integer
``value × 10**places``. SQL sums of such columns stay exact integers on both databases.
"""

from __future__ import annotations

from datetime import UTC
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator

# What each column can hold is checked before writing by ``inventory.domain.numbers.fits``.


class Fixed(TypeDecorator):
    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int):
        super().__init__()
        self.places = places
        self._scale = Decimal(10) ** places

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int((Decimal(value) * self._scale).to_integral_value(rounding=ROUND_HALF_EVEN))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.places)

    @property
    def python_type(self):
        return Decimal


def Quantity() -> Fixed:  # noqa: N802 - reads as a column type
    return Fixed(3)


def UnitCost() -> Fixed:  # noqa: N802
    return Fixed(4)


def Money() -> Fixed:  # noqa: N802
    return Fixed(2)


class UtcDateTime(TypeDecorator):
    """A timestamp that is always UTC and always timezone-aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or value.tzinfo is None:
            return value
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
