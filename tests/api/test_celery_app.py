"""The Celery app as create_app builds it (no Redis needed: nothing here talks to the broker)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api import create_app
from api.celery_app import RUN_JOB, ScheduleError, init_celery
from inventory.db.base import db
from inventory.db.models import JobRun

BROKER = "redis://127.0.0.1:6379/0"


def _app(**settings):
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "LOG_LEVEL": "WARNING", **settings})


def test_without_a_broker_there_is_no_celery():
    assert "celery" not in _app(CELERY_BROKER_URL="").extensions


def test_with_a_broker_the_app_carries_celery_configured_from_its_settings():
    celery = _app(
        CELERY_BROKER_URL=BROKER,
        JOB_SCHEDULE="rescore-suppliers=off; reorder=off; classify-items=off; cycle-counts=off",
    ).extensions["celery"]
    conf = celery.conf
    assert (conf.broker_url, conf.result_backend) == (BROKER, BROKER)
    assert (conf.task_serializer, conf.result_serializer, conf.accept_content) == (
        "json",
        "json",
        ["json"],
    )
    assert conf.timezone == "UTC" and conf.enable_utc
    assert conf.broker_connection_retry_on_startup is True
    assert list(conf.beat_schedule) == ["deliver-notifications"]
    assert RUN_JOB in celery.tasks
    assert conf.task_ignore_result and celery.tasks[RUN_JOB].ignore_result is False

    other = _app(CELERY_BROKER_URL=BROKER, CELERY_RESULT_BACKEND="redis://results:6379/1")
    assert other.extensions["celery"].conf.result_backend == "redis://results:6379/1"


def test_a_schedule_it_cannot_read_stops_the_app_at_start():
    with pytest.raises(ScheduleError, match="there is no job 'nightly'"):
        _app(CELERY_BROKER_URL=BROKER, JOB_SCHEDULE="nightly=cron:0 3 * * *")


def test_run_job_runs_the_job_in_the_app_context_and_records_it(app):
    app.config["CELERY_BROKER_URL"] = BROKER
    celery = init_celery(app)

    # apply() runs the task here, as a worker would, without a broker.
    result = celery.tasks[RUN_JOB].apply(args=["deliver-notifications"])

    assert result.successful(), result.traceback
    assert result.get()["sent"] == 0
    db.session.rollback()
    assert db.session.scalars(select(JobRun.outcome)).all() == ["succeeded"]
    unknown = celery.tasks[RUN_JOB].apply(args=["nightly"])
    assert unknown.failed() and "No job 'nightly'" in str(unknown.result)
