"""Readiness: can this process reach what it depends on. Each check is one cheap ping
with a short timeout, since load balancers call it every few seconds."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis
from sqlalchemy.exc import SQLAlchemyError

from inventory.db.base import db, is_statement_timeout, ping

log = logging.getLogger("quartermaster.health")

BROKER_TIMEOUT_SECONDS = 1.0
# How long the database's ping may run on PostgreSQL before it is cancelled and reported down.
DATABASE_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Check:
    """One dependency's state. A required one that is down makes the whole process unready."""

    ok: bool
    required: bool
    detail: str = ""

    def as_dict(self) -> dict:
        body: dict = {"status": "ok" if self.ok else "down", "required": self.required}
        if not self.ok:
            body["detail"] = self.detail
        return body


def database() -> Check:
    """Every request needs the database: one ``SELECT 1`` through the pool, connecting within
    the engine's connect timeout and, on PostgreSQL, cancelled after
    ``DATABASE_TIMEOUT_SECONDS``, so a hung database cannot hold the health check."""
    try:
        ping(db.session, DATABASE_TIMEOUT_SECONDS)
        db.session.rollback()  # ends the ping's transaction and its statement_timeout
        return Check(ok=True, required=True)
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("health: database down: %s", _first_line(error))
        # The body is public: say what is down, not where it lives.
        if is_statement_timeout(error):
            detail = (
                f"The database did not answer within {DATABASE_TIMEOUT_SECONDS:g} s; "
                "requests may wait or fail until it does."
            )
        else:
            detail = "The database cannot be reached; requests answer 503 until it is back."
        return Check(ok=False, required=True, detail=detail)


def broker(url: str) -> Check:
    """The Celery broker (Redis): only jobs need it, so the API still serves while it is down."""
    try:
        with redis.Redis.from_url(
            url,
            socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
            socket_timeout=BROKER_TIMEOUT_SECONDS,
        ) as client:
            client.ping()
        return Check(ok=True, required=False)
    except (redis.RedisError, OSError, ValueError) as error:
        log.warning("health: broker down: %s", _first_line(error))
        return Check(
            ok=False,
            required=False,
            detail="The job broker cannot be reached; scheduled jobs wait until it is back.",
        )


def report(checks: dict[str, Check]) -> tuple[dict, bool]:
    """The health body and whether the process is ready (every required dependency is up)."""
    ready = all(c.ok for c in checks.values() if c.required)
    everything = all(c.ok for c in checks.values())
    status = "ok" if everything else ("degraded" if ready else "unavailable")
    return {"status": status, "dependencies": {n: c.as_dict() for n, c in checks.items()}}, ready


def _first_line(error: BaseException) -> str:
    text_ = str(getattr(error, "orig", None) or error).strip()
    return text_.splitlines()[0] if text_ else type(error).__name__
