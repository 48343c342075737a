"""What a user account may hold and which changes to it are allowed.

The rules, in full:
- A user holds at least one role, each one of ``ALL_ROLES``.
- An e-mail address is where notifications go: one ``@`` with text on both sides, a dot in the
  domain, no spaces, at most 200 characters.
- A password has at least ``MIN_PASSWORD_LENGTH`` characters (at most 200).
- There is always at least one active admin: a change that would leave none (removing the admin
  role from, or deactivating, the last active admin) is refused, since nobody could then manage
  users except from the server's command line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from inventory.domain.actors import ALL_ROLES, Role
from inventory.errors import Conflict

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
MAX_EMAIL_LENGTH = 200
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def role_errors(roles: Iterable[str]) -> list[str]:
    roles = list(roles)
    if not roles:
        return ["A user needs at least one role."]
    unknown = sorted(set(roles) - ALL_ROLES)
    if unknown:
        return [f"Unknown roles {unknown}; choose from {sorted(ALL_ROLES)}."]
    return []


def email_errors(email: str) -> list[str]:
    if len(email) > MAX_EMAIL_LENGTH:
        return [f"Use at most {MAX_EMAIL_LENGTH} characters."]
    if not _EMAIL.fullmatch(email):
        return [f"{email!r} is not an e-mail address (like name@example.com)."]
    return []


def password_errors(password: str) -> list[str]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"Use at least {MIN_PASSWORD_LENGTH} characters."]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [f"Use at most {MAX_PASSWORD_LENGTH} characters."]
    return []


def is_active_admin(account: dict) -> bool:
    return bool(account["active"]) and Role.ADMIN.value in account["roles"]


def check_an_admin_remains(before: dict, after: dict, active_admins_after: int) -> None:
    """Refuse a change of one account (``before`` → ``after``, each with ``active`` and
    ``roles``) that leaves no active admin."""
    if is_active_admin(before) and not is_active_admin(after) and active_admins_after < 1:
        raise Conflict(
            f"{before['username']!r} is the last active admin; make another user an admin "
            "first, so someone can still manage users."
        )
