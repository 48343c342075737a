"""Settings, all from the environment (documented in docs/operations.md)."""

from __future__ import annotations

import os
import secrets
import time
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

ROOT = Path(__file__).resolve().parent.parent


def database_url(raw: str | None) -> str:
    """Accept the usual ``postgres://``/``postgresql://`` URLs and use psycopg 3 for them."""
    url = raw or f"sqlite:///{ROOT / 'instance' / 'quartermaster.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(env=os.environ) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL")),
        "SECRET_KEY": env.get("SECRET_KEY") or _kept_secret_key(),
        # Pages' session cookie: Secure always when set, else whenever the request is HTTPS.
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "").lower() in ("1", "true"),
        "TOKEN_TTL_HOURS": float(env.get("TOKEN_TTL_HOURS", "12")),
        "LOGIN_MAX_FAILURES": int(env.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": int(env.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "100")),
        "LOGIN_WINDOW_SECONDS": int(env.get("LOGIN_WINDOW_SECONDS", "900")),
        # How many reverse proxies in front of us append to X-Forwarded-For; 0 ignores it.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_BODY_BYTES", str(1024 * 1024))),
        "DB_POOL_SIZE": int(env.get("DB_POOL_SIZE", "10")),
        "DB_CONNECT_TIMEOUT": int(env.get("DB_CONNECT_TIMEOUT", "5")),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        "CELERY_BROKER_URL": env.get("CELERY_BROKER_URL", ""),
        "CELERY_RESULT_BACKEND": env.get("CELERY_RESULT_BACKEND", ""),
        "JOB_SCHEDULE": env.get("JOB_SCHEDULE", ""),
        "SERVICE_TIME_ZONE": env.get("SERVICE_TIME_ZONE", "UTC"),
        # A reorder run still "running" after this long lost its process (a killed worker, a
        # restart): the next run marks it failed instead of waiting for it forever.
        "REORDER_RUN_STALE_MINUTES": int(env.get("REORDER_RUN_STALE_MINUTES", "180")),
        # Chunks an in-process reorder run works on at once (forked processes); 0: the cores.
        "REORDER_IN_PROCESS_WORKERS": int(env.get("REORDER_IN_PROCESS_WORKERS", "0")),
        # Stock health (inventory/services/stock_health.py).
        "CYCLE_COUNTS_PER_YEAR": env.get("CYCLE_COUNTS_PER_YEAR", "A=4,B=2,C=1"),
        "CYCLE_COUNT_USER": env.get("CYCLE_COUNT_USER", "cycle-counts"),
        "ABC_CUTS": env.get("ABC_CUTS", "0.8,0.95"),
        "XYZ_CUTS": env.get("XYZ_CUTS", "0.5,1.0"),
    }


def _kept_secret_key() -> str:
    """A key kept in ``instance/secret_key``: every gunicorn worker, and every restart, must sign
    page sessions with the same key, or a signed-in person is signed out at random."""
    path = ROOT / "instance" / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(exist_ok=True)
    key = secrets.token_hex(32)
    try:
        # O_EXCL: of workers starting together, one writes the key and the others read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(100):  # the writer is between open and write
            written = path.read_text().strip()
            if written:
                return written
            time.sleep(0.01)
        raise RuntimeError(f"{path} is empty; delete it and start again") from None
    with os.fdopen(fd, "w") as out:
        out.write(key)
    return key


def service_zone() -> ZoneInfo:
    """The zone in which a plain day in a query (``?as_of=2026-12-06``) is a calendar day."""
    return time_zone(current_app.config["SERVICE_TIME_ZONE"])


@cache
def time_zone(name: str) -> ZoneInfo:
    """``name`` as an IANA zone; ``create_app`` calls it so a misspelt zone stops the start."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"SERVICE_TIME_ZONE={name!r} is not an IANA time zone (e.g. UTC, Europe/Berlin)."
        ) from None


API_SETTINGS = {
    "API_TITLE": "Quartermaster",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
    # showExtensions shows each operation's x-roles (who may call it) on /api/docs.
    "OPENAPI_SWAGGER_UI_CONFIG": {"showExtensions": True, "displayRequestDuration": True},
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "JSON_SORT_KEYS": False,
}
