"""Exact numbers and their rounding rule.

Quantities carry 3 decimal places, unit costs 4 and money values 2. Rounding is half-even
(banker's rounding) so that many small roundings do not drift in one direction; the residue
that rounding could leave is removed by the valuation rule (see ``valuation``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

QTY_PLACES = 3
COST_PLACES = 4
VALUE_PLACES = 2

_QTY = Decimal(1).scaleb(-QTY_PLACES)
_COST = Decimal(1).scaleb(-COST_PLACES)
_VALUE = Decimal(1).scaleb(-VALUE_PLACES)

ZERO = Decimal(0)


def qty(x: Decimal | int | str) -> Decimal:
    return Decimal(x).quantize(_QTY, rounding=ROUND_HALF_EVEN)


def cost(x: Decimal | int | str) -> Decimal:
    return Decimal(x).quantize(_COST, rounding=ROUND_HALF_EVEN)


def value(x: Decimal | int | str) -> Decimal:
    return Decimal(x).quantize(_VALUE, rounding=ROUND_HALF_EVEN)


def places(x: Decimal) -> int:
    """How many decimal places ``x`` is written with (``Decimal('1.50')`` has 2)."""
    exponent = x.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
