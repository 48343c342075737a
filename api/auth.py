"""The API's side of access: a bearer token checked against the view's declared roles.

The declarations themselves (``roles``, ``public``) live in delivery/access.py, shared with the
pages; this module only reads the token, before the body is parsed.
"""

from __future__ import annotations

from flask import g, request

from delivery.access import PUBLIC, WEB_BLUEPRINT, admit, declared_roles
from inventory.errors import PermissionDenied, Unauthenticated
from inventory.services import users

# Endpoints that serve documentation and static files, not data.
_OPEN_ENDPOINTS = {"static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui", "docs_assets"}


def authenticate() -> None:
    """``before_request``: set ``g.actor`` or refuse with 401/403 before the body is read."""
    g.actor = None
    if request.method == "OPTIONS" or request.endpoint in _OPEN_ENDPOINTS:
        return
    if request.blueprint == WEB_BLUEPRINT:
        return  # the pages sign in by session cookie (web/session.py)
    allowed = declared_roles(request.endpoint, request.method)
    if allowed == PUBLIC:
        return
    if allowed is None:  # fail closed: an endpoint that forgot to declare admits nobody
        raise PermissionDenied("This endpoint declares no roles, so nobody may call it.")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("This needs a bearer token.")
    actor = users.actor_for_token(token.strip())
    if actor is None:
        raise Unauthenticated("The token is unknown, expired or revoked; log in again.")
    admit(actor, allowed)
    g.actor = actor


def bearer_token() -> str:
    return request.headers.get("Authorization", "").partition(" ")[2].strip()
