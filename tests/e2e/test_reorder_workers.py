"""The distributed reorder run: two Celery worker processes on Redis share a run's chunks
against PostgreSQL, a chord closes the run, and what it wrote equals an in-process run's.

Skipped without Redis (REDIS_TEST_URL) or PostgreSQL, like the other worker and PostgreSQL tests.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select, update

from api import create_app
from inventory.db.base import db
from inventory.db.replenishment_models import ForecastSeries, ReorderRun, ReorderSuggestion
from inventory.services import replenishment
from tests.conftest import Factory, _empty_pg
from tests.e2e.test_celery_worker import (
    REDIS_REACHABLE,
    REDIS_URL,
    ROOT,
    celery_test_settings,
    celery_workers,
)
from tests.integration.test_reorder_run import RUN_DAY, Shop

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.xdist_group("celery-worker"),
    pytest.mark.skipif(not REDIS_REACHABLE, reason=f"Redis is not reachable at {REDIS_URL}"),
]
CONFIG_MODULE = "qm_test_reorder_celeryconfig"


@pytest.fixture
def cluster(tmp_path, pg_database):
    _empty_pg(pg_database)
    tag, settings = celery_test_settings(tmp_path, CONFIG_MODULE)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": pg_database,
            "TESTING": True,
            "LOG_LEVEL": "WARNING",
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_RESULT_BACKEND": "",
            "JOB_SCHEDULE": "",
        }
    )
    celery = app.extensions["celery"]
    celery.conf.update(settings)
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_RESULT_BACKEND", "FLASK_APP")}
    env.update(
        DATABASE_URL=pg_database,
        CELERY_BROKER_URL=REDIS_URL,
        CELERY_CONFIG_MODULE=CONFIG_MODULE,
        JOB_SCHEDULE="",
        PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), str(ROOT), env.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    with celery_workers(app, tmp_path, settings, env, tag) as (celery, start):
        yield celery, lambda name: start(["-n", f"{name}@%h"])


def _outcome(run_id: int) -> tuple[list, list]:
    db.session.rollback()
    series = db.session.execute(
        select(ForecastSeries.item_id, ForecastSeries.demand_class, ForecastSeries.mean)
        .where(ForecastSeries.run_id == run_id)
        .order_by(ForecastSeries.item_id)
    ).all()
    suggested = db.session.execute(
        select(ReorderSuggestion.item_id, ReorderSuggestion.quantity, ReorderSuggestion.supplier_id)
        .where(ReorderSuggestion.run_id == run_id)
        .order_by(ReorderSuggestion.item_id)
    ).all()
    return [tuple(r) for r in series], [tuple(r) for r in suggested]


def test_two_workers_share_the_chunks_and_gather_the_run(cluster):
    celery, start = cluster
    shop = Shop(Factory())
    items = [shop.item(weekly=9 + k % 3) for k in range(6)]  # 9, 10, 11 a week
    in_process = replenishment.run_reorder(run_date=RUN_DAY, fan_out=False, chunk_size=1)
    assert in_process["status"] == "succeeded"
    # Same day and inputs would answer with that run; set it aside to run the same inputs again.
    db.session.execute(
        update(ReorderRun).where(ReorderRun.id == in_process["id"]).values(status="failed")
    )
    db.session.commit()

    w1, w2 = start("w1"), start("w2")
    for worker in (w1, w2):
        worker.wait_for(lambda w=worker: "ready." in w.log.read_text(errors="replace"), "ready")
    seen = []
    run = replenishment.run_reorder(
        run_date=RUN_DAY, fan_out=True, chunk_size=1, progress=lambda d, t: seen.append((d, t))
    )
    assert run["status"] == "succeeded", f"{run}\n{w1.tail()}\n{w2.tail()}"
    assert run["parameters"]["mode"] == "celery"
    workers = {chunk["worker"].split("@")[0] for chunk in run["counts"]["chunks"]}
    assert workers == {"w1", "w2"}, run["counts"]["chunks"]
    assert len(run["counts"]["chunks"]) == len(items)
    assert run["progress"]["done"] == run["progress"]["total"] == len(items)
    assert seen[-1] == (len(items), len(items))
    assert _outcome(run["id"]) == _outcome(in_process["id"])
    assert len(_outcome(run["id"])[1]) == 2  # 100 − 8 × 11 left: short; 100 − 8 × 9 or 10: not
