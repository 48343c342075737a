"""The real thing for jobs: a Celery worker subprocess on Redis runs them against a SQLite file
this process reads too, and its embedded beat fires them on the JOB_SCHEDULE it was given.

Needs Redis at REDIS_TEST_URL (default redis://127.0.0.1:6379): skipped without it, except
under CI=true, where an unreachable Redis is an error. Each test's keys, queue and results carry
a prefix of their own (Celery's ``global_keyprefix``), so parallel runs never share a queue, and
the test deletes them afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import select

from api import create_app
from api.celery_app import RUN_JOB
from inventory.db.base import db
from inventory.db.models import JobRun
from inventory.services import notifications, users
from tests.integration.test_notifications import Sink, _free_port

ROOT = Path(__file__).parents[2]
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379")
WAIT = 60  # seconds: a liveness wait for a busy machine, not a speed assertion
CONFIG_MODULE = "qm_test_celeryconfig"


def _redis_reachable() -> bool:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


REDIS_REACHABLE = _redis_reachable()
if os.environ.get("CI") == "true" and not REDIS_REACHABLE:
    raise RuntimeError(f"CI=true but Redis is unreachable at {REDIS_URL}")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.redis,
    # Two worker subprocesses at once would only compete for the same CPUs.
    pytest.mark.xdist_group("celery-worker"),
    pytest.mark.skipif(not REDIS_REACHABLE, reason=f"Redis is not reachable at {REDIS_URL}"),
]


class Worker:
    """A ``celery -A worker worker`` subprocess in its own session, its output in a file."""

    def __init__(self, tmp_path: Path, settings: dict, args: list[str], env: dict):
        self.log = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
        queue = settings["task_default_queue"]
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool", "solo"]
                + ["--concurrency", "1", "-Q", queue, "-n", f"{queue}@%h", "--loglevel", "INFO"]
                + ["--without-mingle", "--without-gossip", *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # embedded beat is a child: stop the whole group
            )

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "--- worker output (tail) ---\n" + "\n".join(text.splitlines()[-lines:])

    def wait_for(self, condition, what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(
                    f"the worker exited ({self.process.returncode}) before {what}\n{self.tail()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {WAIT}s\n{self.tail()}")
            time.sleep(0.2)

    def stop(self) -> None:
        group = self.process.pid  # the session leader's pid is the group id
        _signal_group(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _signal_group(group, signal.SIGKILL)
            self.process.wait(timeout=10)
        _signal_group(group, signal.SIGKILL)  # whatever child outlived its parent


def _signal_group(group: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, sig)


def celery_test_settings(tmp_path: Path, config_module: str) -> tuple[str, dict]:
    """A tag unique to this test and Celery settings that keep its queue and Redis keys apart,
    also written as ``config_module`` in ``tmp_path`` for the worker processes."""
    tag = f"qm-test-{uuid.uuid4().hex[:12]}"
    prefix = {"global_keyprefix": f"{tag}:"}
    settings = {
        "task_default_queue": tag,
        "broker_transport_options": prefix,
        "result_backend_transport_options": prefix,
    }
    # The worker reads them through Celery's own CELERY_CONFIG_MODULE hook; the app's settings
    # (broker, schedule, serializers) take precedence, and none of these is among them.
    (tmp_path / f"{config_module}.py").write_text(
        "".join(f"{key} = {value!r}\n" for key, value in settings.items())
    )
    return tag, settings


@pytest.fixture
def isolated(tmp_path, sqlite_template):
    """A migrated SQLite file, Celery settings unique to this test, and the app on both."""
    tag, settings = celery_test_settings(tmp_path, CONFIG_MODULE)
    path = tmp_path / "db.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "LOG_LEVEL": "WARNING",
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_RESULT_BACKEND": "",
            "JOB_SCHEDULE": "",
        }
    )
    celery = app.extensions["celery"]
    celery.conf.update(settings)
    env = {key: value for key, value in os.environ.items() if not key.startswith("SMTP_")}
    for key in ("CELERY_RESULT_BACKEND", "JOB_SCHEDULE", "FLASK_APP"):
        env.pop(key, None)
    env.update(
        DATABASE_URL=url,
        CELERY_BROKER_URL=REDIS_URL,
        CELERY_CONFIG_MODULE=CONFIG_MODULE,
        PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    with celery_workers(app, tmp_path, settings, env, tag) as (celery, start):
        yield celery, lambda *args, **extra_env: start(list(args), extra_env)


@contextlib.contextmanager
def celery_workers(app, tmp_path: Path, settings: dict, env: dict, tag: str):
    """Inside the app context: ``(celery, start)``, where ``start(args, extra_env)`` launches a
    worker process; afterwards every worker is stopped and the test's Redis keys removed."""
    celery = app.extensions["celery"]
    workers: list[Worker] = []

    def start(args: list[str], extra_env: dict | None = None) -> Worker:
        worker = Worker(tmp_path, settings, args, {**env, **(extra_env or {})})
        workers.append(worker)
        return worker

    with app.app_context():
        try:
            yield celery, start
        finally:
            for worker in workers:
                worker.stop()
            _close_connections(celery)
            celery.close()
            db.session.remove()
            db.engine.dispose()
            client = redis.Redis.from_url(REDIS_URL)
            try:
                keys = list(client.scan_iter(match=f"{tag}:*"))
                if keys:
                    client.delete(*keys)
            finally:
                client.close()


def _close_connections(celery) -> None:
    """Close the Redis sockets this process opened through Celery. ``Celery.close`` only forgets
    its broker pool, and the result backend keeps its own client and pub/sub: left to the
    garbage collector, their sockets raise ResourceWarning in whichever test runs next on this
    worker, which ``filterwarnings = error`` turns into that test's error."""
    if celery._pool is not None:
        celery._pool.force_close_all()
    backend = celery.backend
    consumer = getattr(backend, "result_consumer", None)
    if consumer is not None and hasattr(consumer, "stop"):
        consumer.stop()
    client = backend.__dict__.get("client")  # a cached_property: only if it was ever made
    if client is not None:
        client.connection_pool.disconnect()


def _succeeded_runs(name: str) -> list[JobRun]:
    db.session.rollback()  # a fresh read: the worker commits from another process
    return db.session.scalars(
        select(JobRun).where(JobRun.name == name, JobRun.outcome == "succeeded")
    ).all()


def test_a_worker_runs_the_job_it_is_sent_and_returns_its_report(isolated):
    celery, start = isolated
    alice = users.create_user(
        None,
        username="alice",
        password="correct-horse",
        roles=["approver"],
        email="alice@example.test",
    ).id
    notifications.notify([alice], "Purchase order 7 arrived", "See the receipts.")
    sink, port = Sink(), _free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        worker = start(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SMTP_FROM="qm@example.test")
        result = celery.tasks[RUN_JOB].delay("deliver-notifications")
        worker.wait_for(result.ready, "result from run_job")
        assert result.successful(), f"{result.state}: {result.result}\n{worker.tail()}"
        detail = result.get(timeout=5)
        result.forget()
    finally:
        smtp.stop()

    assert detail == {"sent": 1, "failed": 0, "waiting_for_address": 0, "given_up": 0}
    ((recipients, message),) = sink.messages
    assert recipients == ["alice@example.test"]
    assert message["Subject"] == "Purchase order 7 arrived"
    (run,) = _succeeded_runs("deliver-notifications")
    assert run.detail == detail and run.finished_at is not None


def test_beat_fires_the_job_on_the_schedule_it_was_given(isolated, tmp_path):
    _, start = isolated
    worker = start(
        "-B",
        "--schedule",
        str(tmp_path / "beat-schedule"),
        JOB_SCHEDULE="deliver-notifications=1; rescore-suppliers=off",
    )
    worker.wait_for(
        lambda: len(_succeeded_runs("deliver-notifications")) >= 2,
        "a second scheduled run of deliver-notifications",
    )
    assert _succeeded_runs("rescore-suppliers") == []  # switched off: beat never sends it
