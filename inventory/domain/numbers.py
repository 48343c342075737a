"""Exact numbers and their rounding rule.

Quantities carry 3 decimal places, unit costs 4 and money values 2. Rounding is half-even
(banker's rounding) so that many small roundings do not drift in one direction; the residue
that rounding could leave is removed by the valuation rule (see ``valuation``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Context, Decimal

from inventory.errors import ValidationFailed

QTY_PLACES = 3
COST_PLACES = 4
VALUE_PLACES = 2

_QTY = Decimal(1).scaleb(-QTY_PLACES)
_COST = Decimal(1).scaleb(-COST_PLACES)
_VALUE = Decimal(1).scaleb(-VALUE_PLACES)

ZERO = Decimal(0)
# Rounding to the places never fails for want of digits (the default context keeps 28, and an
# amount × a price × a rate can need more); what is then too large to store is refused by
# ``fits`` with a 422, not by the decimal module with a 500.
_WIDE = Context(prec=100, rounding=ROUND_HALF_EVEN)

# Every fixed-point column stores ``value × 10**places`` as a signed 64-bit integer (see
# ``inventory.db.types``), on SQLite and PostgreSQL alike, so this bounds what the books hold.
STORABLE_UNITS = 2**63 - 1
LINE_TOO_LARGE = "Quantity × price is larger than the books can hold."
TOTAL_TOO_LARGE = "The lines add up to more than the books can hold."


def qty(x: Decimal | int | str) -> Decimal:
    return Decimal(x).quantize(_QTY, rounding=ROUND_HALF_EVEN, context=_WIDE)


def cost(x: Decimal | int | str) -> Decimal:
    return Decimal(x).quantize(_COST, rounding=ROUND_HALF_EVEN, context=_WIDE)


def value(x: Decimal | int | str) -> Decimal:
    return Decimal(x).quantize(_VALUE, rounding=ROUND_HALF_EVEN, context=_WIDE)


def fixed(x: Decimal | int | str, places: int) -> Decimal:
    """``x`` with exactly ``places`` decimals, as a column with that many gives it back."""
    return Decimal(x).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN, context=_WIDE)


def places(x: Decimal) -> int:
    """How many decimal places ``x`` is written with (``Decimal('1.50')`` has 2)."""
    exponent = x.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def fits(x: Decimal, places: int) -> bool:
    """Whether ``x`` can be stored in a column with ``places`` decimals."""
    return abs(Decimal(x).scaleb(places)) <= STORABLE_UNITS


def refuse_too_large(subject: str, errors: dict) -> None:
    """The one answer (422) for amounts the columns cannot hold, rather than an overflow in the
    database: ``subject`` names what was refused ("document", "purchase request")."""
    raise ValidationFailed(f"The {subject}'s amounts are too large to record.", errors=errors)


def storable_total(
    subject: str,
    amounts: Sequence[Decimal] | Mapping[str, Decimal],
    *,
    where: str = "lines",
    field: str | None = "quantity",
) -> Decimal:
    """Σ ``amounts`` (one money value per line: in line order, or keyed by the index the caller
    sent), refusing (422) a line amount or a total that a money column cannot hold. The field
    errors point at ``<where>.<index>.<field>`` (``<where>.<index>`` when ``field`` is None)."""
    keyed = amounts if isinstance(amounts, Mapping) else dict(enumerate(amounts))
    too_large = {
        str(i): {field: [LINE_TOO_LARGE]} if field else [LINE_TOO_LARGE]
        for i, amount in keyed.items()
        if not fits(amount, VALUE_PLACES)
    }
    if too_large:
        refuse_too_large(subject, {where: too_large})
    total = value(sum(keyed.values(), ZERO))
    if not fits(total, VALUE_PLACES):
        refuse_too_large(subject, {where: [TOTAL_TOO_LARGE]})
    return total
