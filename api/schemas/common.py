"""Field types shared by every schema."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

import marshmallow as ma
from marshmallow import validate

MAX_ID = 2**31 - 1
# Far beyond any real stock or price, and within what the fixed-point columns hold exactly.
MAX_AMOUNT = Decimal("1000000000000")


def Id(**kwargs) -> ma.fields.Integer:  # noqa: N802 - reads as a field type
    return ma.fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kwargs)


def Amount(*, signed: bool = False, **kwargs) -> ma.fields.Decimal:  # noqa: N802
    low = -MAX_AMOUNT if signed else Decimal(0)
    return ma.fields.Decimal(as_string=True, validate=validate.Range(low, MAX_AMOUNT), **kwargs)


def Text(max_length: int, *, min_length: int = 0, **kwargs) -> ma.fields.String:  # noqa: N802
    return ma.fields.String(validate=validate.Length(min_length, max_length), **kwargs)


def When(**kwargs) -> ma.fields.AwareDateTime:  # noqa: N802
    """A timestamp; one sent without a zone is read as UTC."""
    return ma.fields.AwareDateTime(default_timezone=UTC, **kwargs)


def sort_field(columns) -> ma.fields.String:
    choices = sorted(list(columns) + [f"-{c}" for c in columns])
    return ma.fields.String(
        validate=validate.OneOf(choices),
        metadata={"description": "Sort by a column; '-' sorts descending."},
    )
