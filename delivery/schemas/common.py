"""Field types shared by every schema."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Literal

import marshmallow as ma
from marshmallow import validate

from delivery.config import service_zone
from inventory import clock
from inventory.domain import wording

MAX_ID = 2**31 - 1
# Far beyond any real stock or price, and within what the fixed-point columns hold exactly.
MAX_AMOUNT = Decimal("1000000000000")


def Id(**kwargs) -> ma.fields.Integer:  # noqa: N802 - reads as a field type
    """An id in a JSON body: a JSON integer, never a string or a float."""
    return ma.fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kwargs)


def QueryId(**kwargs) -> ma.fields.Integer:  # noqa: N802
    """An id in the query string, where every value arrives as text (``?item_id=7``)."""
    return ma.fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)


class Flag(ma.fields.Boolean):
    """A boolean that is only ``true`` or ``false``: marshmallow's own also reads 0, 1, "no" and
    "on", so a client's mistake would pass as a choice. The strings "true" and "false" stay
    accepted because a query string has no other way to say it."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        raise self.make_error("invalid")


class DecimalString(ma.fields.Decimal):
    """An exact decimal written as a JSON string ("12.500"); the spec documents it as a string
    (``create_app`` registers the mapping), since JSON numbers lose digits in most clients."""


def Amount(  # noqa: N802
    *,
    signed: bool = False,
    positive: bool = False,
    maximum: Decimal = MAX_AMOUNT,
    **kwargs,
) -> DecimalString:
    """A quantity or money amount. Read from a string or a JSON number, always written as a
    string with the column's decimal places. ``positive``: zero is refused too, for amounts
    the services only take above zero (a quantity to order, an exchange rate), so the schema
    and the OpenAPI document say what the service does. ``maximum``: a tighter upper bound."""
    low = -maximum if signed else Decimal(0)
    sign = "-?" if signed else ""
    metadata = {"pattern": f"^{sign}[0-9]+(\\.[0-9]+)?$", **kwargs.pop("metadata", {})}
    bounds = validate.Range(low, maximum, min_inclusive=not positive)
    return DecimalString(as_string=True, validate=bounds, metadata=metadata, **kwargs)


def _storable_text(value: str) -> None:
    # JSON can carry a NUL or a lone surrogate ("\\u0000", "\\ud800"); neither database can store
    # them, so refuse them here rather than fail with a 500 on insert.
    if "\x00" in value:
        raise ma.ValidationError("Text cannot contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ma.ValidationError("Text must be valid Unicode (no lone surrogates).") from None


def _also(extra) -> list:
    if extra is None:
        return []
    return list(extra) if isinstance(extra, list | tuple) else [extra]


def _not_blank(value: str) -> None:
    if wording.blank(value):
        raise ma.ValidationError("Must not be blank.")


def Text(  # noqa: N802
    max_length: int, *, min_length: int = 0, secret: bool = False, **kwargs
) -> ma.fields.String:
    """Text up to ``max_length``; one that must have a character (``min_length=1``: names, a
    username, a reason) must also have one a reader can see. A ``secret`` (a password) is
    taken as typed: spaces are characters there."""
    checks = [validate.Length(min_length, max_length), _storable_text]
    if min_length == 1 and not secret:
        checks.append(_not_blank)
    return ma.fields.String(validate=checks + _also(kwargs.pop("validate", None)), **kwargs)


class _TrimmedText(ma.fields.String):
    def __init__(self, max_length: int, **kwargs):
        self.max_length = max_length
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        # Measured as sent, so what the spec's maxLength allows is exactly what is accepted.
        if len(raw) > self.max_length:
            raise ma.ValidationError(f"Longer than maximum length {self.max_length}.")
        if wording.blank(raw):
            raise ma.ValidationError("Must not be blank.")
        return raw.strip()


def Code(max_length: int, **kwargs) -> ma.fields.String:  # noqa: N802
    """A code people type and search for (SKU, warehouse, supplier or cost centre code): read
    without surrounding whitespace, never blank, and unique whatever its case (the services check,
    an index on ``lower(code)`` holds)."""
    metadata = {
        "pattern": r"\S",
        "description": "Surrounding whitespace is dropped; unique ignoring case.",
        **kwargs.pop("metadata", {}),
    }
    return _TrimmedText(
        max_length,
        validate=[validate.Length(1, max_length), _storable_text],
        metadata=metadata,
        **kwargs,
    )


def _utc_representable(value: datetime) -> None:
    # 9999-12-31T23:00-05:00 parses, but is past the last moment a datetime holds in UTC.
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ma.ValidationError("The moment is out of range.") from None


def in_the_days_served(value: datetime) -> None:
    """For a bound a default window is computed from (30 days before, a microsecond after):
    it must not step off the calendar."""
    if not clock.FIRST_DAY <= value.astimezone(UTC).date() <= clock.LAST_DAY:
        raise ma.ValidationError(f"Must be between {clock.FIRST_DAY} and {clock.LAST_DAY}.")


def When(**kwargs) -> ma.fields.AwareDateTime:  # noqa: N802
    """A timestamp; one sent without a zone is read as UTC."""
    checks = [_utc_representable] + _also(kwargs.pop("validate", None))
    return ma.fields.AwareDateTime(default_timezone=UTC, validate=checks, **kwargs)


_PLAIN_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class DayOrMoment(ma.fields.Field):
    """A query bound in time. A timestamp is that instant (read in the service's time zone when
    it has no offset); a plain day (``2026-12-06``) is that whole day in the service's time
    zone, so a lower bound is its first instant and an upper bound its last one. Loads as an
    aware UTC datetime."""

    default_error_messages = {"invalid": "Not a day (YYYY-MM-DD) or an ISO 8601 timestamp."}

    def __init__(self, *, bound: Literal["start", "end"], **kwargs):
        self.bound = bound
        day = "from its first instant" if bound == "start" else "up to its last instant"
        metadata = kwargs.pop("metadata", {})
        metadata["description"] = (
            f"{metadata.get('description', '')} A timestamp (2026-12-06T17:30:00Z) is that "
            f"instant; a day (2026-12-06) is the whole day, {day}, in the service's time zone."
        ).strip()
        metadata.setdefault("type", "string")
        metadata.setdefault("anyOf", [{"format": "date"}, {"format": "date-time"}])
        metadata.setdefault("example", "2026-12-06")
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        zone = service_zone()
        if _PLAIN_DAY.match(value):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise self.make_error("invalid") from None
            local = datetime.combine(day, time.min if self.bound == "start" else time.max, zone)
        else:
            local = ma.fields.AwareDateTime(default_timezone=zone).deserialize(value)
        try:
            return local.astimezone(UTC)
        except OverflowError:
            raise ma.ValidationError("The moment is out of range.") from None


def ordered(first: str, last: str):
    """A schema check that ``first`` does not come after ``last``: a reversed range is a
    mistake to point out, not a question whose answer is empty."""

    @ma.validates_schema
    def check(self, data, **kwargs):
        if first in data and last in data and data[first] > data[last]:
            raise ma.ValidationError(f"Must not be after {last}.", field_name=first)

    return check


def ExportFormat() -> ma.fields.String:  # noqa: N802
    """``?format=``: the list as JSON (one page) or the whole report as a CSV or XLSX file."""
    return ma.fields.String(
        validate=validate.OneOf(["json", "csv", "xlsx"]),
        metadata={
            "default": "json",
            "description": "json: one page. csv, xlsx: every matching row as a file download. "
            "Without it, an Accept header of text/csv or the XLSX media type asks for the file.",
        },
    )


def sort_field(columns) -> ma.fields.String:
    choices = sorted(list(columns) + [f"-{c}" for c in columns])
    return ma.fields.String(
        validate=validate.OneOf(choices),
        metadata={"description": "Sort by a column; '-' sorts descending."},
    )
