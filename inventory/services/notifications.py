"""The notification outbox and its delivery by e-mail.

Writers call ``notify``/``notify_roles`` inside their own transaction, so a notice exists exactly
when the work it announces was committed. The ``deliver-notifications`` job sends unsent rows by
SMTP when ``SMTP_HOST`` is set (``SMTP_PORT``, default 25; ``SMTP_FROM``, default
``quartermaster@localhost``), read from the environment when the job runs.

Delivery is at least once: rows are marked sent in the transaction that locked them, after the
message left, so a crash between the two sends that message again on the next run. Rows of users
without an e-mail address wait until they get one; a row that failed ``MAX_ATTEMPTS`` times is
left with its last error for an operator to look at.
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Iterable
from email.message import EmailMessage

from sqlalchemy import func, insert, literal, select

from inventory import clock
from inventory.db.base import is_postgresql
from inventory.db.models import User, UserRole
from inventory.db.procurement_models import Notification
from inventory.services.tx import transaction

MAX_ATTEMPTS = 5
BATCH_SIZE = 200
SMTP_TIMEOUT_SECONDS = 10
SUBJECT_LENGTH = 200


def notify(user_ids: Iterable[int], subject: str, body: str) -> int:
    """Queue one notice per user (duplicates ignored); returns how many were queued."""
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    now = clock.now()
    with transaction() as session:
        session.execute(
            insert(Notification),
            [
                {
                    "user_id": user_id,
                    "subject": subject[:SUBJECT_LENGTH],
                    "body": body,
                    "created_at": now,
                    "attempts": 0,
                    "last_error": "",
                }
                for user_id in ids
            ],
        )
    return len(ids)


def notify_roles(
    roles: Iterable[str], subject: str, body: str, *, exclude: Iterable[int] = ()
) -> int:
    """Queue a notice for every active user holding any of ``roles``, in one INSERT … SELECT."""
    roles, excluded = sorted(set(roles)), sorted(set(exclude))
    if not roles:
        return 0
    holders = (
        select(UserRole.user_id)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role.in_(roles), User.active.is_(True))
        .distinct()
    )
    if excluded:
        holders = holders.where(UserRole.user_id.not_in(excluded))
    holders = holders.subquery()
    now = clock.now()
    with transaction() as session:
        # RETURNING, since the driver's rowcount for INSERT … SELECT is not reliable (-1 seen).
        return len(
            session.execute(
                insert(Notification.__table__)
                .from_select(
                    ["user_id", "subject", "body", "created_at", "attempts", "last_error"],
                    select(
                        holders.c.user_id,
                        literal(subject[:SUBJECT_LENGTH]),
                        literal(body),
                        literal(now, Notification.created_at.type),
                        literal(0),
                        literal(""),
                    ),
                )
                .returning(Notification.__table__.c.id)
            ).all()
        )


def smtp_settings(env=os.environ) -> dict | None:
    host = env.get("SMTP_HOST", "").strip()
    if not host:
        return None
    return {
        "host": host,
        "port": int(env.get("SMTP_PORT") or 25),
        "sender": env.get("SMTP_FROM") or "quartermaster@localhost",
    }


def deliver_notifications(env=os.environ) -> dict:
    """Send up to BATCH_SIZE unsent notices by e-mail; report what was sent and what waits."""
    settings = smtp_settings(env)
    with transaction() as session:
        waiting = _pending(session)
        if settings is None:
            return {"smtp": "not configured (set SMTP_HOST)", "sent": 0, **waiting}
        query = (
            select(Notification, User.email)
            .join(User, User.id == Notification.user_id)
            .where(
                Notification.sent_at.is_(None),
                Notification.attempts < MAX_ATTEMPTS,
                User.email != "",
            )
            .order_by(Notification.id)
            .limit(BATCH_SIZE)
        )
        if is_postgresql(session):
            # Two job runs at once each take different rows rather than sending twice.
            query = query.with_for_update(of=Notification, skip_locked=True)
        rows = session.execute(query).all()
        sent, failed = _send(rows, settings)
    return {"sent": sent, "failed": failed, **_pending_now()}


def _send(rows, settings: dict) -> tuple[int, int]:
    if not rows:
        return 0, 0
    sent = failed = 0
    try:
        smtp = smtplib.SMTP(settings["host"], settings["port"], timeout=SMTP_TIMEOUT_SECONDS)
    except (OSError, smtplib.SMTPException) as exc:
        for notice, _ in rows:
            _failed(notice, f"cannot connect to {settings['host']}:{settings['port']}: {exc}")
        return 0, len(rows)
    with smtp:
        for notice, address in rows:
            message = EmailMessage()
            message["From"] = settings["sender"]
            message["To"] = address
            message["Subject"] = notice.subject
            message.set_content(notice.body)
            try:
                smtp.send_message(message)
            except (OSError, smtplib.SMTPException) as exc:
                _failed(notice, str(exc))
                failed += 1
                continue
            notice.attempts += 1
            notice.sent_at = clock.now()
            notice.last_error = ""
            sent += 1
    return sent, failed


def _failed(notice: Notification, error: str) -> None:
    notice.attempts += 1
    notice.last_error = error[:2000]


def _pending(session) -> dict:
    unsent = Notification.sent_at.is_(None)
    no_address = session.scalar(
        select(func.count(Notification.id))
        .join(User, User.id == Notification.user_id)
        .where(unsent, User.email == "")
    )
    given_up = session.scalar(
        select(func.count(Notification.id)).where(unsent, Notification.attempts >= MAX_ATTEMPTS)
    )
    return {"waiting_for_address": no_address or 0, "given_up": given_up or 0}


def _pending_now() -> dict:
    with transaction() as session:
        return _pending(session)
