"""Structured logs: one JSON line per request, carrying the request id a 500 body shows too."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import g, request

from inventory import context

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = logging.getLogger("quartermaster.request")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "method", "path", "status", "ms", "user"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(level: str) -> None:
    root = logging.getLogger("quartermaster")
    if not any(getattr(h, "_qm", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._qm = True
        root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


def start_request() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
    g.started = time.perf_counter()
    context.request_id.set(g.request_id)


def finish_request(response):
    response.headers["X-Request-ID"] = getattr(g, "request_id", "")
    if not log.isEnabledFor(logging.INFO):
        return response  # below the level: skip building the record
    actor = getattr(g, "actor", None)
    log.info(
        "request",
        extra={
            "request_id": getattr(g, "request_id", ""),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "ms": round(
                (time.perf_counter() - getattr(g, "started", time.perf_counter())) * 1000, 2
            ),
            "user": actor.username if actor else None,
        },
    )
    return response
