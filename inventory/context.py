"""Per-request facts that services record (the request id in the audit log) without Flask."""

from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="")
