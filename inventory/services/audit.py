"""The audit log: every write adds one event in the transaction that makes the write."""

from __future__ import annotations

from inventory import clock, context
from inventory.db.audit_rows import INSERT
from inventory.domain.actors import Actor
from inventory.services.tx import transaction


def record(
    actor: Actor | None,
    action: str,
    entity_type: str,
    entity_id,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    with transaction() as session:
        # A Core insert: the audit row needs none of the unit of work's bookkeeping.
        session.execute(
            INSERT, event(actor, action, entity_type, entity_id, before=before, after=after)
        )


def event(
    actor: Actor | None,
    action: str,
    entity_type: str,
    entity_id,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> dict:
    """The audit row's columns, for a writer that inserts it itself (in its own statement)."""
    return {
        "at": clock.now(),
        "actor_id": actor.id if actor else None,
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "before": _jsonable(before),
        "after": _jsonable(after),
        "request_id": context.request_id.get(),
    }


def _jsonable(data: dict | None) -> dict | None:
    if data is None:
        return None
    return {key: _plain(value) for key, value in data.items()}


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
