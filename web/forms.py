"""Forms on the pages: validated by the API's own schemas, sent at most once.

``load`` runs a marshmallow schema from ``delivery.schemas`` over the form's values and gives the
errors field by field, for the template to show beside each field. ``once`` runs a write under
the form's idempotency key (a hidden field made fresh for every rendered form), through the same
store the API's ``Idempotency-Key`` uses: a double click or a resent form replays the first
answer instead of posting twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping

import marshmallow as ma
from flask import g, request

from inventory.errors import Conflict, ValidationFailed
from inventory.services import idempotency
from web.blueprint import pages

KEY_FIELD = "idempotency_key"


def load(schema: ma.Schema, values: Mapping) -> tuple[dict | None, dict[str, str]]:
    """The loaded data, or None and one message per field (nested fields as ``lines.0.qty``)."""
    try:
        return schema.load(dict(values)), {}
    except ma.ValidationError as invalid:
        return None, flatten(invalid.normalized_messages())


# marshmallow's words, as a person filling in a form needs them.
PLAIN = {
    "Missing data for required field.": "Fill this in.",
    "Field may not be null.": "Fill this in.",
    "Not a valid integer.": "Give a whole number.",
    "Not a valid number.": "Give a number, like 12 or 12.5.",
    "Not a valid date.": "Give a day, like 2026-12-31.",
}


def flatten(messages, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten(value, name))
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = " ".join(PLAIN.get(m, m) for m in messages)
    elif isinstance(messages, list):
        for value in messages:
            flat.update(flatten(value, prefix))
    else:
        flat[prefix or "_schema"] = str(messages)
    return flat


def form_id(value: str | None):
    """A form's id field for the schemas' strict integers: digits become a number, anything
    else stays as typed so the schema names it beside the field. (``isdecimal``: "²" is a digit
    ``int`` refuses; 12 digits and more stay text, refused before reaching the database.)"""
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdecimal() and len(text) < 12 else text


def new_key() -> str:
    return uuid.uuid4().hex


@pages.context_processor
def _form_helpers():
    return {"new_idempotency_key": new_key, "idempotency_field": KEY_FIELD}


def once(work: Callable[[], tuple[int, dict]]) -> tuple[int, dict]:
    """Run ``work`` once per the form's idempotency key (no key: run it, unguarded). The same
    key with other choices (a stale copy of the form in a second tab) is refused, not answered
    with the first post's success."""
    key = request.form.get(KEY_FIELD) or None
    fingerprint = ""
    if key is not None:
        fingerprint = idempotency.fingerprint(request.method, request.path, _choices())
    try:
        return idempotency.run_once(g.actor, key, fingerprint, work)
    except ValidationFailed as refused:
        if "Idempotency-Key" not in (refused.errors or {}):
            raise
        raise Conflict(
            "This form was already sent, with other choices. Reload the page to see what it "
            "did, then choose again."
        ) from refused


def _choices() -> bytes:
    # What the person chose: every field but the key itself and the session's CSRF token.
    fields = sorted(
        (name, value)
        for name, values in request.form.lists()
        if name not in (KEY_FIELD, "csrf_token")
        for value in values
    )
    return json.dumps(fields).encode()
