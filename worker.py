"""Celery's entry point: ``celery -A worker worker`` runs the jobs, ``celery -A worker beat``
sends them on schedule (``make worker`` runs both in one process)."""

from celery.signals import worker_process_init

from api import create_app
from inventory.db.base import db

# Not named ``app``: ``celery -A worker`` would take that attribute for the Celery app.
flask_app = create_app()
if "celery" not in flask_app.extensions:
    raise SystemExit(
        "worker.py: CELERY_BROKER_URL is not set. Point it at Redis, e.g. "
        "CELERY_BROKER_URL=redis://127.0.0.1:6379/0, or run the jobs from cron with "
        "`flask jobs run NAME` instead."
    )
celery = flask_app.extensions["celery"]


@worker_process_init.connect
def _fresh_connections(**_kwargs):
    # A forked pool process must not reuse connections opened in the parent (SQLAlchemy's
    # advice for os.fork); close=False leaves the parent's own sockets alone.
    with flask_app.app_context():
        db.engine.dispose(close=False)
