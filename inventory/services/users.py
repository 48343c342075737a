"""Users, roles, bearer tokens and the login throttle."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import DBAPIError
from werkzeug.security import check_password_hash, generate_password_hash

from inventory import clock
from inventory.db import user_queries as uq
from inventory.db.base import db
from inventory.db.models import ApiToken, User, UserRole
from inventory.domain import login_throttle as throttle
from inventory.domain.actors import ALL_ROLES, Actor
from inventory.errors import Conflict, NotFound, TooManyAttempts, Unauthenticated, ValidationFailed
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
        errors["roles"] = [f"Unknown roles {unknown}; choose from {sorted(ALL_ROLES)}."]
    if not roles:
        errors["roles"] = ["A user needs at least one role."]
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [f"Use at least {MIN_PASSWORD_LENGTH} characters."]
    if not username.strip():
        errors["username"] = ["A username cannot be blank."]
    if errors:
        raise ValidationFailed("The user is not valid; see the field errors.", errors=errors)
    with transaction() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise Conflict(f"The username {username!r} is taken; pick another.")
        user = User(
            username=username,
            password_hash=generate_password_hash(password),
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
    return db.session.scalar(select(func.count(User.id))) or 0


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


def login(username: str, password: str, address: str, policy: LoginPolicy) -> IssuedToken:
    """Exchange a password for a bearer token; too many recent failures of this username, or
    from this address, are refused with 429 (``inventory.domain.login_throttle``)."""
    check_throttle(username, address, policy)
    user = db.session.scalar(select(User).where(User.username == username, User.active))
    if user is None or not check_password_hash(user.password_hash, password):
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


# Every authenticated request runs this: built once (building it costs more than running it),
# on the Core tables, which skips the ORM's per-execution set-up for a plain row query.
_user, _role, _token = User.__table__.c, UserRole.__table__.c, ApiToken.__table__.c
_ACTOR_FOR_TOKEN = (
    select(_user.id, _user.username, _role.role)
    .select_from(
        User.__table__.join(ApiToken.__table__, _token.user_id == _user.id).join(
            UserRole.__table__, _role.user_id == _user.id
        )
    )
    .where(
        _token.token_hash == bindparam("token_hash"),
        _token.revoked_at.is_(None),
        _token.expires_at > bindparam("now"),
        _user.active,
    )
)


def actor_for_token(token: str) -> Actor | None:
    params = {"token_hash": token_digest(token), "now": clock.now()}
    try:
        rows = db.session.execute(_ACTOR_FOR_TOKEN, params).all()
    except DBAPIError as exc:
        # The request's first statement: a connection the server dropped (restart, failover)
        # shows here. The pool is invalidated by then, so one more try gets a live connection.
        if not exc.connection_invalidated:
            raise
        db.session.rollback()
        rows = db.session.execute(_ACTOR_FOR_TOKEN, params).all()
    if not rows:
        return None
    return Actor(rows[0].id, rows[0].username, frozenset(r.role for r in rows))


def revoke_token(actor: Actor, token: str) -> None:
    with transaction() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
        if row is None:
            raise NotFound("No such token.")
        row.revoked_at = clock.now()
        audit.record(actor, "auth.revoke", "api_token", row.id)


def list_users() -> list[dict]:
    users = db.session.execute(select(User).order_by(User.id)).scalars().all()
    roles: dict[int, list[str]] = {}
    for user_id, role in db.session.execute(select(UserRole.user_id, UserRole.role)):
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
