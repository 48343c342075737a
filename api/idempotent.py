"""Idempotency-Key for document-creating POSTs: one helper and one spec fragment for all."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import jsonify, request

from delivery.access import current_actor
from inventory.services import idempotency

IDEMPOTENCY_DOC = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "maxLength": 200},
            "description": "Send the same key to retry safely: the first response is replayed.",
        }
    ]
}


def run_once(data, work: Callable[[], tuple[int, dict]]):
    """Run ``work`` (status and JSON body) under the request's Idempotency-Key, if it has one.

    The fingerprint is of the parsed body, so the same request formatted differently still
    counts as the same request.
    """
    key = request.headers.get("Idempotency-Key")
    fingerprint = ""  # only a keyed request is compared with an earlier one
    if key is not None:
        fingerprint = idempotency.fingerprint(
            request.method, request.path, json.dumps(data, sort_keys=True, default=str).encode()
        )
    status, body = idempotency.run_once(current_actor(), key, fingerprint, work)
    response = jsonify(body)
    response.status_code = status
    return response
