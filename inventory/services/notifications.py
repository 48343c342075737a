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

from inventory import clock
from inventory.db import notification_queries, notification_writes
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
        notification_writes.insert_notices(session, ids, subject[:SUBJECT_LENGTH], body, now)
    return len(ids)


def notify_roles(
    roles: Iterable[str], subject: str, body: str, *, exclude: Iterable[int] = ()
) -> int:
    """Queue a notice for every active user holding any of ``roles``, in one INSERT … SELECT."""
    roles, excluded = sorted(set(roles)), sorted(set(exclude))
    if not roles:
        return 0
    now = clock.now()
    with transaction() as session:
        return notification_writes.insert_notices_for_roles(
            session, roles, excluded, subject[:SUBJECT_LENGTH], body, now
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
        rows = notification_queries.claim_unsent(session, MAX_ATTEMPTS, BATCH_SIZE)
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
    return notification_queries.pending_counts(session, MAX_ATTEMPTS)


def _pending_now() -> dict:
    with transaction() as session:
        return _pending(session)
