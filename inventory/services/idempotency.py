"""Idempotency-Key: the same key and body replays the first response and writes nothing more."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from inventory import clock
from inventory.db.base import db
from inventory.db.models import IdempotencyKey
from inventory.domain.actors import Actor
from inventory.errors import ValidationFailed
from inventory.services.tx import transaction

MAX_KEY_LENGTH = 200


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), body])).hexdigest()


def run_once(
    actor: Actor, key: str | None, print_: str, work: Callable[[], tuple[int, dict]]
) -> tuple[int, dict]:
    """Run ``work`` (which returns status and body) once per key, in one transaction with it.

    The key, the request's fingerprint and the response are stored in the same transaction as
    whatever ``work`` writes, so a crash leaves either both or neither.
    """
    if key is None:
        with transaction():
            return work()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            "The Idempotency-Key header is not valid.",
            errors={"Idempotency-Key": [f"Use 1 to {MAX_KEY_LENGTH} characters."]},
        )
    try:
        with transaction() as session:
            stored = session.get(IdempotencyKey, (actor.id, key))
            if stored is not None:
                return _replay(stored, print_)
            status, body = work()
            session.add(
                IdempotencyKey(
                    user_id=actor.id,
                    key=key,
                    fingerprint=print_,
                    status_code=status,
                    response=json.loads(json.dumps(body)),
                    created_at=clock.now(),
                )
            )
            return status, body
    except IntegrityError:
        # Another request with this key committed first: answer as it did.
        db.session.rollback()
        stored = db.session.get(IdempotencyKey, (actor.id, key))
        if stored is None:
            raise
        return _replay(stored, print_)


def _replay(stored: IdempotencyKey, print_: str) -> tuple[int, dict]:
    if stored.fingerprint != print_:
        raise ValidationFailed(
            "This Idempotency-Key was used with a different request body. Use a new key for a "
            "new request.",
            errors={"Idempotency-Key": ["Already used with another body."]},
        )
    return stored.status_code, stored.response
