"""The one hierarchy of domain errors. Each has a stable ``code`` and maps to one HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"
    status = 400
    title = "Request refused"

    def __init__(self, detail: str, *, errors: dict | None = None, extra: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        self.extra = extra or {}


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 422
    title = "Validation failed"


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    title = "Conflict"


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    title = "Insufficient stock"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "Invalid state transition"


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    title = "Forbidden"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401
    title = "Unauthorized"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    status = 429
    title = "Too many attempts"

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail, extra={"retry_after": retry_after})
        self.retry_after = retry_after


class DatabaseUnavailable(DomainError):
    """The database cannot be reached for now (restart, failover): the request may be retried."""

    code = "database_unavailable"
    status = 503
    title = "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail, extra={"retry_after": retry_after})
        self.retry_after = retry_after
