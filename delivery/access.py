"""Who may call what, for the API and the pages alike: role declarations and the login policy.

Every view declares its roles with ``roles(...)`` or ``public``; the API checks a bearer token
against them (api/auth.py) and the pages check the signed-in session (web/session.py). Both read
the declaration through ``declared_roles``, so a page and an endpoint cannot disagree on what a
role means.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import timedelta

from flask import current_app, g

from inventory.domain.actors import ALL_ROLES, Actor, Role
from inventory.domain.login_throttle import ThrottleLimits
from inventory.errors import PermissionDenied
from inventory.services import users

PUBLIC = "public"
EVERYONE = frozenset(ALL_ROLES)
# The pages' blueprint: signed in by session cookie, not by bearer token.
WEB_BLUEPRINT = "web"


def roles(*names: Role | str):
    """Admit callers holding any of ``names``; documented in the spec as ``x-roles``."""
    allowed = frozenset(str(n) for n in names)
    unknown = allowed - ALL_ROLES
    if unknown:
        raise ValueError(f"unknown roles {unknown}")
    return _declare(
        allowed,
        {
            "security": [{"bearerAuth": []}],
            "x-roles": sorted(allowed),
            "responses": {"401": "UNAUTHORIZED", "403": "FORBIDDEN"},
        },
    )


def public(func):
    return _declare(PUBLIC, {"security": [], "x-roles": ["public"]})(func)


def _declare(allowed, doc: dict):
    def decorator(func):
        func._qm_roles = allowed
        apidoc = deepcopy(getattr(func, "_apidoc", {}))
        manual = apidoc.setdefault("manual_doc", {})
        for key, value in doc.items():
            if isinstance(value, dict):
                manual.setdefault(key, {}).update(value)
            else:
                manual[key] = value
        func._apidoc = apidoc
        return func

    return decorator


def declared_roles(endpoint: str | None, method: str):
    view = current_app.view_functions.get(endpoint or "")
    if view is None:
        return PUBLIC  # unknown path: let routing answer 404/405
    view_class = getattr(view, "view_class", None)
    func = getattr(view_class, method.lower(), None) if view_class else view
    if method == "HEAD" and func is None and view_class is not None:
        func = getattr(view_class, "get", None)
    return getattr(func, "_qm_roles", None)


def admit(actor: Actor, allowed) -> None:
    """Refuse ``actor`` unless it holds one of ``allowed`` roles."""
    if not actor.has_any(allowed):
        raise PermissionDenied(
            f"This needs one of the roles {', '.join(sorted(allowed))}; you have "
            f"{', '.join(sorted(actor.roles)) or 'none'}. "
            "Ask an admin to grant one of those roles."
        )


def current_actor() -> Actor:
    return g.actor


def login_policy() -> users.LoginPolicy:
    config = current_app.config
    return users.LoginPolicy(
        limits=ThrottleLimits(
            per_username=config["LOGIN_MAX_FAILURES"],
            per_address=config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
            window=timedelta(seconds=config["LOGIN_WINDOW_SECONDS"]),
        ),
        token_ttl=timedelta(hours=config["TOKEN_TTL_HOURS"]),
    )
