"""Stale edits on the pages: an edit form carries the version (a hash of the record as the
API's schema dumps it, like the API's ETag) and the values it was rendered from; if the record
changed meanwhile, the save is refused and the page shows what changed (old and new values)."""

from __future__ import annotations

import hashlib
import json

import marshmallow as ma


class StaleEdit(Exception):
    """The record changed since the form was rendered; ``current`` is it now (dumped)."""

    def __init__(self, current: dict):
        super().__init__("The record changed since this form was opened.")
        self.current = current


def dumped(record: dict, schema: ma.Schema) -> dict:
    return json.loads(json.dumps(schema.dump(record), sort_keys=True, default=str))


def version_of(record: dict, schema: ma.Schema) -> str:
    text = json.dumps(dumped(record, schema), sort_keys=True)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def guard(version: str, schema: ma.Schema):
    """A ``check_current`` for the services' updates: refuse unless the record is still the
    version the form was rendered from."""

    def check(current: dict) -> None:
        if version_of(current, schema) != version:
            raise StaleEdit(dumped(current, schema))

    return check


def original_of(form) -> dict:
    try:
        value = json.loads(form.get("original", "{}"))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# What a person edits; the version stamps change with every save and say nothing to them.
_STAMPS = {"updated_at", "created_at", "version"}


def changes(original: dict, current: dict) -> list[tuple[str, str, str]]:
    """(field, as the form had it, as it is now) for each field that differs, in words."""
    return [
        (key.replace("_", " ").capitalize(), _shown(original.get(key)), _shown(current.get(key)))
        for key in sorted(current)
        if key in original and original.get(key) != current.get(key) and key not in _STAMPS
    ]


def _shown(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def as_json(record: dict, schema: ma.Schema) -> str:
    return json.dumps(dumped(record, schema), sort_keys=True)
