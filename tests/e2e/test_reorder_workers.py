"""The distributed reorder run: two Celery worker processes on Redis share a run's chunks
against PostgreSQL, a chord closes the run, and what it wrote equals an in-process run's.

Skipped without Redis (REDIS_TEST_URL) or PostgreSQL, like the other worker and PostgreSQL tests.
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from sqlalchemy import select, update

from api import create_app
from inventory.db.base import db
from inventory.db.replenishment_models import ForecastSeries, ReorderRun, ReorderSuggestion
from inventory.services import replenishment
from tests.conftest import Factory, _empty_pg
from tests.e2e.test_celery_worker import REDIS_REACHABLE, REDIS_URL, ROOT, Worker
from tests.integration.test_reorder_run import RUN_DAY, Shop, _standin_forecast

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.xdist_group("celery-worker"),
    pytest.mark.skipif(not REDIS_REACHABLE, reason=f"Redis is not reachable at {REDIS_URL}"),
]
CONFIG_MODULE = "qm_test_reorder_celeryconfig"
# STAND-IN, test only: until Part F's forecasting.forecast is on main, the workers get the same
# stand-in the in-process tests use (installed only when the real one is missing).
STANDIN = """
import forecasting
if not hasattr(forecasting, "forecast"):
    from tests.integration.test_reorder_run import _standin_forecast
    forecasting.forecast = _standin_forecast
"""


@pytest.fixture
def cluster(tmp_path, pg_database):
    _empty_pg(pg_database)
    tag = f"qm-test-{uuid.uuid4().hex[:12]}"
    prefix = {"global_keyprefix": f"{tag}:"}
    settings = {
        "task_default_queue": tag,
        "broker_transport_options": prefix,
        "result_backend_transport_options": prefix,
    }
    (tmp_path / f"{CONFIG_MODULE}.py").write_text(
        STANDIN + "".join(f"{key} = {value!r}\n" for key, value in settings.items())
    )
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
    workers: list[Worker] = []

    def start(name: str) -> Worker:
        worker = Worker(tmp_path, settings, ["-n", f"{name}@%h"], env)
        workers.append(worker)
        return worker

    with app.app_context():
        try:
            yield celery, start
        finally:
            for worker in workers:
                worker.stop()
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


def test_two_workers_share_the_chunks_and_gather_the_run(cluster, monkeypatch):
    import forecasting

    if not hasattr(forecasting, "forecast"):  # STAND-IN, as in the workers
        monkeypatch.setattr(forecasting, "forecast", _standin_forecast, raising=False)
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
