"""The one writer of notices into the outbox (``notification`` rows)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, literal, select
from sqlalchemy.orm import Session

from inventory.db.models import User, UserRole
from inventory.db.procurement_models import Notification

_notices = Notification.__table__


def _row(user_id: int, subject: str, body: str, now: datetime) -> dict:
    return {
        "user_id": user_id,
        "subject": subject,
        "body": body,
        "created_at": now,
        "attempts": 0,
        "last_error": "",
    }


def insert_notices(
    session: Session, user_ids: list[int], subject: str, body: str, now: datetime
) -> None:
    """One unsent notice per user of ``user_ids``."""
    session.execute(insert(Notification), [_row(u, subject, body, now) for u in user_ids])


def insert_notices_for_roles(
    session: Session, roles: list[str], excluded: list[int], subject: str, body: str,
    now: datetime,
) -> int:  # fmt: skip
    """One unsent notice per active user holding any of ``roles`` (but ``excluded``), in one
    INSERT … SELECT; return how many."""
    holders = (
        select(UserRole.user_id)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role.in_(roles), User.active.is_(True))
        .distinct()
    )
    if excluded:
        holders = holders.where(UserRole.user_id.not_in(excluded))
    holders = holders.subquery()
    # RETURNING, since the driver's rowcount for INSERT … SELECT is not reliable (-1 seen).
    return len(
        session.execute(
            insert(_notices)
            .from_select(
                ["user_id", "subject", "body", "created_at", "attempts", "last_error"],
                select(
                    holders.c.user_id,
                    literal(subject),
                    literal(body),
                    literal(now, Notification.created_at.type),
                    literal(0),
                    literal(""),
                ),
            )
            .returning(_notices.c.id)
        ).all()
    )
