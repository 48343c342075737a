"""The outbox and its delivery job, against a local SMTP sink (aiosmtpd) on a free port."""

from __future__ import annotations

import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from inventory import jobs
from inventory.db.base import db
from inventory.db.models import JobRun
from inventory.db.procurement_models import Notification
from inventory.services import notifications, user_admin, users


class Sink:
    """Keeps every message it is handed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink(monkeypatch):
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("SMTP_FROM", "qm@example.test")
    yield sink
    controller.stop()


def _user(make, role: str, email: str) -> int:
    return users.create_user(
        None,
        username=f"{role}-{email or 'none'}",
        password="correct-horse",
        roles=[role],
        email=email,
    ).id


def test_notices_waiting_for_an_address_go_once_the_user_has_one(backend, make, smtp_sink):
    nobody = _user(make, "approver", "")
    notifications.notify([nobody], "Purchase request 7 waits", "See the inbox.")
    first = jobs.run("deliver-notifications")
    assert (first["sent"], first["waiting_for_address"]) == (0, 1)

    user_admin.update_user(make.admin, nobody, {"email": "late@example.test"})

    second = jobs.run("deliver-notifications")
    assert (second["sent"], second["waiting_for_address"]) == (1, 0)
    assert [rcpt for rcpt, _ in smtp_sink.messages] == [["late@example.test"]]
    assert jobs.run("deliver-notifications")["sent"] == 0  # the same run twice sends nothing more


def test_notify_roles_reaches_active_holders_but_the_excluded(backend, make):
    alice = _user(make, "approver", "alice@example.test")
    bob = _user(make, "approver", "bob@example.test")
    _user(make, "finance", "fin@example.test")
    assert notifications.notify_roles(["approver"], "Hello", "Body", exclude=[bob]) == 1
    assert notifications.notify([alice, alice, bob], "Direct", "Body") == 2
    db.session.rollback()
    rows = db.session.execute(select(Notification.user_id, Notification.subject)).all()
    assert sorted(rows) == sorted([(alice, "Hello"), (alice, "Direct"), (bob, "Direct")])


def test_the_job_delivers_unsent_notices_by_email(backend, make, smtp_sink):
    alice = _user(make, "approver", "alice@example.test")
    nobody = _user(make, "approver", "")
    notifications.notify([alice, nobody], "Purchase request 7 waits", "See the inbox.")

    detail = jobs.run("deliver-notifications")

    assert detail["sent"] == 1 and detail["failed"] == 0
    assert detail["waiting_for_address"] == 1  # the user without an address
    ((recipients, message),) = smtp_sink.messages
    assert recipients == ["alice@example.test"]
    assert message["Subject"] == "Purchase request 7 waits"
    assert message["From"] == "qm@example.test"
    assert message.get_payload().strip() == "See the inbox."
    db.session.rollback()
    sent = db.session.scalar(select(Notification).where(Notification.user_id == alice))
    assert sent.sent_at is not None and sent.attempts == 1 and sent.last_error == ""
    assert db.session.scalar(select(JobRun.outcome)) == "succeeded"
    # A second run sends nothing again.
    assert jobs.run("deliver-notifications")["sent"] == 0
    assert len(smtp_sink.messages) == 1


def test_an_unreachable_server_records_the_error_and_retries_later(backend, make, monkeypatch):
    alice = _user(make, "approver", "alice@example.test")
    notifications.notify([alice], "Subject", "Body")
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(_free_port()))  # nothing listens there

    detail = jobs.run("deliver-notifications")

    assert (detail["sent"], detail["failed"]) == (0, 1)
    db.session.rollback()
    row = db.session.scalar(select(Notification))
    assert row.sent_at is None and row.attempts == 1 and "cannot connect" in row.last_error


def test_without_smtp_the_job_sends_nothing(backend, make, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    notifications.notify([_user(make, "approver", "a@example.test")], "S", "B")
    detail = jobs.run("deliver-notifications")
    assert detail["sent"] == 0 and "not configured" in detail["smtp"]
    db.session.rollback()
    assert db.session.scalar(select(Notification.attempts)) == 0
