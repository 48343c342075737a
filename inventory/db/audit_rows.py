"""The audit row as statements write it: the plain insert, and its columns as parameters of the
one-statement writers (``posting``, ``receipt_writes``) that insert it in a CTE of their own."""

from __future__ import annotations

import json

from sqlalchemy import insert

from inventory.db.models import AuditEvent

INSERT = insert(AuditEvent.__table__)
_JSON = ("before", "after")


def audit_params(event: dict, *, without: tuple[str, ...] = ()) -> dict:
    """An audit row's columns (``audit.event``) as ``audit_``-prefixed parameters, the JSON
    columns as text."""
    params = {f"audit_{k}": v for k, v in event.items() if k not in _JSON and k not in without}
    for k in _JSON:
        params[f"audit_{k}"] = None if event[k] is None else json.dumps(event[k])
    return params
