"""The notification outbox as its delivery job reads it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.db.base import is_postgresql
from inventory.db.models import User
from inventory.db.procurement_models import Notification


def claim_unsent(session: Session, max_attempts: int, limit: int) -> list:
    """Up to ``limit`` unsent notices (oldest first) with their user's e-mail address, for users
    who have one, tried fewer than ``max_attempts`` times: rows ``(Notification, email)``. On
    PostgreSQL the notices are locked, skipping rows another run holds."""
    query = (
        select(Notification, User.email)
        .join(User, User.id == Notification.user_id)
        .where(
            Notification.sent_at.is_(None),
            Notification.attempts < max_attempts,
            User.email != "",
        )
        .order_by(Notification.id)
        .limit(limit)
    )
    if is_postgresql(session):
        # Two job runs at once each take different rows rather than sending twice.
        query = query.with_for_update(of=Notification, skip_locked=True)
    return session.execute(query).all()


def pending_counts(session: Session, max_attempts: int) -> dict:
    """Unsent notices waiting for their user's address, and those given up on."""
    unsent = Notification.sent_at.is_(None)
    no_address = session.scalar(
        select(func.count(Notification.id))
        .join(User, User.id == Notification.user_id)
        .where(unsent, User.email == "")
    )
    given_up = session.scalar(
        select(func.count(Notification.id)).where(unsent, Notification.attempts >= max_attempts)
    )
    return {"waiting_for_address": no_address or 0, "given_up": given_up or 0}
