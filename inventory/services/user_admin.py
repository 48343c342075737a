"""Maintaining people: their name, e-mail, roles and active flag, and their passwords.

Every change is audited with the account before and after (never a password or its hash).
Deactivating a user or resetting their password revokes their tokens at once, so a reactivated
user logs in afresh; role changes need no revocation (roles are read on every request).
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.security import check_password_hash

from inventory import clock
from inventory.db import user_queries as uq
from inventory.db.base import db
from inventory.db.models import User
from inventory.domain import accounts
from inventory.domain.actors import Actor
from inventory.errors import NotFound, ValidationFailed
from inventory.passwords import hash_password
from inventory.services import audit, users
from inventory.services.tx import transaction

SUBJECT = "user"
EDITABLE = ("full_name", "email", "roles", "active")


def get_user(user_id: int) -> dict:
    record = uq.user_record(db.session, user_id)
    if record is None:
        raise NotFound(f"No user with id {user_id}.")
    return record


def user_id_for(username: str) -> int:
    user_id = uq.user_id_by_username(db.session, username)
    if user_id is None:
        raise NotFound(f"No user named {username!r}.")
    return user_id


def update_user(
    actor: Actor | None,
    user_id: int,
    changes: dict,
    check_current: Callable[[dict], None] = lambda current: None,
) -> dict:
    """Change any of ``full_name``, ``email``, ``roles`` and ``active`` if ``check_current``
    accepts the user as they are now (the If-Match). Deactivating revokes the user's tokens; a
    change that leaves no active admin is refused (409)."""
    changes = {k: v for k, v in changes.items() if k in EDITABLE}
    _validate(changes)
    with transaction() as session:
        if "roles" in changes or "active" in changes:
            # Before the user's own row: every such change takes the locks in one order.
            uq.lock_active_admins(session)
        user = _locked(session, user_id)
        before = uq.user_record(session, user_id)
        check_current(before)
        for field in ("full_name", "email", "active"):
            if field in changes:
                setattr(user, field, changes[field])
        if "roles" in changes and sorted(set(changes["roles"])) != before["roles"]:
            uq.replace_roles(session, user_id, sorted(set(changes["roles"])))
        session.flush()
        after = uq.user_record(session, user_id)
        accounts.check_an_admin_remains(before, after, uq.active_admin_count(session))
        if before["active"] and not after["active"]:
            uq.revoke_tokens(session, user_id, clock.now())
        if after != before:
            audit.record(actor, f"{SUBJECT}.update", SUBJECT, user_id, before=before, after=after)
        return after


def reset_password(actor: Actor | None, user_id: int, password: str) -> int:
    """Set a user's password (an admin's reset) and revoke all their tokens; returns how many
    tokens were revoked."""
    _check_password("password", password)
    with transaction() as session:
        user = _locked(session, user_id)
        user.password_hash = hash_password(password)
        revoked = uq.revoke_tokens(session, user_id, clock.now())
        audit.record(
            actor,
            f"{SUBJECT}.password_reset",
            SUBJECT,
            user_id,
            after={"tokens_revoked": revoked},
        )
    return revoked


def change_own_password(
    actor: Actor,
    current_token: str,
    current_password: str,
    new_password: str,
    address: str,
    policy: users.LoginPolicy,
) -> None:
    """The signed-in user changes their password, proving they know the current one. A wrong
    one counts as a failed login (so a stolen token cannot be used to guess the password); the
    user's other tokens are revoked, the one making this call stays valid."""
    _check_password("new_password", new_password)
    users.check_throttle(actor.username, address, policy)
    stored = uq.password_hash_of(db.session, actor.id)
    if stored is None or not check_password_hash(stored, current_password):
        users.record_failure(actor.username, address)
        raise ValidationFailed(
            "The current password is not right; nothing was changed.",
            errors={"current_password": ["This is not your current password."]},
        )
    with transaction() as session:
        user = _locked(session, actor.id)
        user.password_hash = hash_password(new_password)
        revoked = uq.revoke_tokens(
            session, actor.id, clock.now(), keep_hash=users.token_digest(current_token)
        )
        audit.record(
            actor,
            f"{SUBJECT}.password_change",
            SUBJECT,
            actor.id,
            after={"tokens_revoked": revoked},
        )


def _locked(session, user_id: int) -> User:
    user = uq.lock_user(session, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def _validate(changes: dict) -> None:
    errors: dict[str, list[str]] = {}
    if "roles" in changes and (problems := accounts.role_errors(changes["roles"])):
        errors["roles"] = problems
    # A blank e-mail clears it (the column's "none"), as the user page's empty field says.
    if changes.get("email") and (problems := accounts.email_errors(changes["email"])):
        errors["email"] = problems
    if errors:
        raise ValidationFailed("The user is not valid; see the field errors.", errors=errors)


def _check_password(field: str, password: str) -> None:
    problems = accounts.password_errors(password)
    if problems:
        raise ValidationFailed("The password is not valid.", errors={field: problems})
