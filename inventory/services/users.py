"""Users, roles, bearer tokens and the login throttle."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError
from werkzeug.security import check_password_hash

from inventory import clock
from inventory.db import user_queries as uq
from inventory.db.base import db
from inventory.db.models import ApiToken, User, UserRole
from inventory.domain import login_throttle as throttle
from inventory.domain import wording
from inventory.domain.actors import ALL_ROLES, Actor
from inventory.errors import Conflict, NotFound, TooManyAttempts, Unauthenticated, ValidationFailed
from inventory.passwords import hash_password
from inventory.services import audit
from inventory.services.tx import transaction

MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_at: datetime


@dataclass(frozen=True)
class LoginPolicy:
    limits: throttle.ThrottleLimits = throttle.ThrottleLimits()
    token_ttl: timedelta = timedelta(hours=12)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    actor: Actor | None,
    *,
    username: str,
    password: str,
    roles: list[str],
    full_name: str = "",
    email: str = "",
) -> User:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(roles) - ALL_ROLES)
    if unknown:
        errors["roles"] = [
            f"Unknown roles {', '.join(unknown)}; choose from {', '.join(sorted(ALL_ROLES))}."
        ]
    if not roles:
        errors["roles"] = ["A user needs at least one role."]
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [f"Use at least {MIN_PASSWORD_LENGTH} characters."]
    if wording.blank(username):  # a zero-width space alone would be an invisible user
        errors["username"] = ["A username cannot be blank."]
    if errors:
        raise ValidationFailed("The user is not valid; see the field errors.", errors=errors)
    with transaction() as session:
        if uq.user_id_by_username(session, username) is not None:
            raise Conflict(f"The username {username!r} is taken; pick another.")
        user = User(
            username=username,
            password_hash=hash_password(password),
            full_name=full_name,
            email=email,
            active=True,
            created_at=clock.now(),
        )
        session.add(user)
        session.flush()
        session.add_all(UserRole(user_id=user.id, role=r) for r in sorted(set(roles)))
        audit.record(
            actor,
            "user.create",
            "user",
            user.id,
            after={"username": username, "email": email, "roles": sorted(set(roles))},
        )
    return user


def user_count() -> int:
    return uq.user_count(db.session)


def issue_token(user_id: int, ttl: timedelta) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    expires_at = clock.now() + ttl
    with transaction() as session:
        session.add(
            ApiToken(
                user_id=user_id,
                token_hash=token_digest(token),
                created_at=clock.now(),
                expires_at=expires_at,
            )
        )
    return IssuedToken(token, expires_at)


@functools.cache
def _unknown_user_hash() -> str:
    """A hash of a random password, made once per process, checked for unknown usernames."""
    return hash_password(secrets.token_urlsafe(16))


def login(username: str, password: str, address: str, policy: LoginPolicy) -> IssuedToken:
    """Exchange a password for a bearer token; too many recent failures of this username, or
    from this address, are refused with 429 (``inventory.domain.login_throttle``)."""
    check_throttle(username, address, policy)
    user = uq.active_user_by_username(db.session, username)
    # An unknown username costs the same hash check as a known one, so the answer's timing does
    # not tell which usernames exist.
    stored = user.password_hash if user is not None else _unknown_user_hash()
    if not check_password_hash(stored, password) or user is None:
        record_failure(username, address)
        raise Unauthenticated("Wrong username or password.")
    with transaction():
        issued = issue_token(user.id, policy.token_ttl)
        audit.record(Actor(user.id, user.username), "auth.login", "user", user.id)
    return issued


def check_throttle(username: str, address: str, policy: LoginPolicy) -> None:
    """Refuse with 429 while the username or the address has too many recent failures."""
    now = clock.now()
    limits = policy.limits
    since = now - limits.window
    refusal = throttle.login_refusal(
        uq.recent_failures(db.session, "username", username, since, limits.per_username),
        uq.recent_failures(db.session, "address", address, since, limits.per_address),
        limits,
        now,
    )
    if refusal is not None:
        raise TooManyAttempts(refusal.message, retry_after=refusal.retry_after)


def record_failure(username: str, address: str) -> None:
    with transaction() as session:
        uq.record_failure(session, username, address, clock.now())


def actor_for_token(token: str) -> Actor | None:
    token_hash, now = token_digest(token), clock.now()
    try:
        rows = uq.actor_rows_for_token(db.session, token_hash, now)
    except DBAPIError as exc:
        # The request's first statement: a connection the server dropped (restart, failover)
        # shows here. The pool is invalidated by then, so one more try gets a live connection.
        if not exc.connection_invalidated:
            raise
        db.session.rollback()
        rows = uq.actor_rows_for_token(db.session, token_hash, now)
    if not rows:
        return None
    user_id, username, _ = rows[0]
    return Actor(user_id, username, frozenset(role for _, _, role in rows))


def revoke_token(actor: Actor, token: str) -> None:
    with transaction() as session:
        row = uq.token_by_hash(session, token_digest(token))
        if row is None:
            raise NotFound("No such token.")
        row.revoked_at = clock.now()
        audit.record(actor, "auth.revoke", "api_token", row.id)


def list_users() -> list[dict]:
    users = uq.all_users(db.session)
    roles: dict[int, list[str]] = {}
    for user_id, role in uq.all_user_roles(db.session):
        roles.setdefault(user_id, []).append(role)
    return [
        {
            "id": u.id,
            "username": u.username,
            "full_name": u.full_name,
            "email": u.email,
            "active": u.active,
            "roles": sorted(roles.get(u.id, [])),
        }
        for u in users
    ]
