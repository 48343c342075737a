"""Users, their roles and tokens, and failed logins: the reads and writes the user services need."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from inventory.db import driver
from inventory.db.base import is_postgresql, is_unreachable
from inventory.db.models import ApiToken, LoginFailure, User, UserRole
from inventory.domain.actors import Role

ADMIN = Role.ADMIN.value


def recent_failures(
    session: Session, column: str, value: str, since: datetime, limit: int
) -> list[datetime]:
    """The newest ``limit`` failed-login times after ``since`` for a ``username`` or an
    ``address``, newest first (one index range scan: the limit bounds the rows read)."""
    if limit <= 0:
        return []
    key = getattr(LoginFailure, column)
    return list(
        session.scalars(
            select(LoginFailure.at)
            .where(key == value, LoginFailure.at > since)
            .order_by(LoginFailure.at.desc())
            .limit(limit)
        )
    )


def record_failure(session: Session, username: str, address: str, at: datetime) -> None:
    session.add(LoginFailure(username=username[:80], address=address[:64], at=at))


def user_record(session: Session, user_id: int) -> dict | None:
    """The user as the API shows them (never the password hash), or None."""
    user = session.get(User, user_id)
    if user is None:
        return None
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "active": user.active,
        "roles": roles_of(session, user_id),
    }


def roles_of(session: Session, user_id: int) -> list[str]:
    return sorted(session.scalars(select(UserRole.role).where(UserRole.user_id == user_id)))


def user_id_by_username(session: Session, username: str) -> int | None:
    return session.scalar(select(User.id).where(User.username == username))


def password_hash_of(session: Session, user_id: int) -> str | None:
    return session.scalar(select(User.password_hash).where(User.id == user_id))


def lock_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id, with_for_update={"key_share": True})


def lock_active_admins(session: Session) -> None:
    """Lock the active admins' rows, in id order, so two changes that could each remove the
    last other admin run one after the other (SQLite's writer holds the database lock already).
    Counting afterwards sees what the other committed."""
    session.execute(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == ADMIN, User.active.is_(True))
        .order_by(User.id)
        .with_for_update(of=User)
    ).all()


def active_admin_count(session: Session) -> int:
    return (
        session.scalar(
            select(func.count(User.id))
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == ADMIN, User.active.is_(True))
        )
        or 0
    )


def replace_roles(session: Session, user_id: int, roles: list[str]) -> None:
    session.execute(delete(UserRole).where(UserRole.user_id == user_id))
    session.execute(insert(UserRole), [{"user_id": user_id, "role": r} for r in sorted(roles)])


def revoke_tokens(
    session: Session, user_id: int, at: datetime, *, keep_hash: str | None = None
) -> int:
    """Revoke every live token of the user (but the one whose hash is ``keep_hash``); returns
    how many."""
    tokens = ApiToken.__table__.c
    query = (
        update(ApiToken.__table__)
        .where(tokens.user_id == user_id, tokens.revoked_at.is_(None))
        .values(revoked_at=at)
        .returning(tokens.id)
    )
    if keep_hash is not None:
        query = query.where(tokens.token_hash != keep_hash)
    return len(session.execute(query).all())


def user_count(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0


def active_user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username, User.active))


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


# The same statement as text for PostgreSQL's driver, compiled once: every API request runs it
# first, and SQLAlchemy's execute around it cost about 70 Python calls a request.
_ACTOR_FOR_TOKEN_SQL = str(_ACTOR_FOR_TOKEN.compile(dialect=pg_psycopg.dialect()))


def actor_rows_for_token(session: Session, token_hash: str, now: datetime) -> list[tuple]:
    """``(id, username, role)`` per role of the active user whose live token hashes to
    ``token_hash`` (none: no such token, or it expired, was revoked or its user deactivated)."""
    params = {"token_hash": token_hash, "now": now}
    if is_postgresql(session):
        try:
            return driver.execute(session, _ACTOR_FOR_TOKEN_SQL, params, first=True).fetchall()
        except DBAPIError as exc:
            if not is_unreachable(exc):
                raise
            # A connection the server dropped: SQLAlchemy's own execute meets it too, and there
            # it invalidates the pool and says so, so the caller can try once more on a fresh one.
    return [tuple(row) for row in session.execute(_ACTOR_FOR_TOKEN, params)]


def token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


def all_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.id)).scalars())


def all_user_roles(session: Session) -> list:
    """Every ``(user_id, role)``."""
    return session.execute(select(UserRole.user_id, UserRole.role)).all()
