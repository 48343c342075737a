"""Every error as ``application/problem+json`` (RFC 9457)."""

from __future__ import annotations

import http
import logging

import marshmallow as ma
from flask import Response, current_app, g, json, request
from flask_smorest import Api, abort
from flask_smorest import etag as smorest_etag
from flask_smorest.utils import prepare_response
from sqlalchemy.exc import DisconnectionError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)

from api.openapi_doc import PAGINATION_HEADER, LinksAndStatusesPlugin, open_bounds
from inventory.db.base import is_unreachable
from inventory.errors import DatabaseUnavailable, DomainError, ValidationFailed

PROBLEM = "application/problem+json"
# One or more entity tags, strong or weak, or "*" (RFC 9110 section 13.1.1).
IF_MATCH_PATTERN = r'^\s*(\*|(W/)?"[^"]*"(\s*,\s*(W/)?"[^"]*")*)\s*$'
# A restart or failover takes seconds; sooner only adds load to a database coming back.
RETRY_AFTER_SECONDS = 3
log = logging.getLogger("quartermaster.errors")

_HINTS = {
    400: "The request could not be read; send a JSON body with Content-Type: application/json.",
    401: "Send 'Authorization: Bearer <token>'; get a token from POST /api/v1/auth/token.",
    403: "Your roles do not allow this; ask an admin for the role the endpoint lists.",
    404: "Check the id or path; GET the collection to find what exists.",
    405: "This path does not accept that method; see /api/docs.",
    413: "The body is too large; send fewer lines per request.",
    415: "Send the body as JSON with Content-Type: application/json.",
    428: "Send If-Match with the ETag from your last GET of this record.",
    412: "The record changed since you read it; GET it again and re-apply your change.",
}


RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 0},
}


class ProblemSchema(ma.Schema):
    class Meta:
        # RFC 9457 extension members ("shortages", "current", ...) are part of the contract.
        unknown = ma.INCLUDE

    type = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    instance = ma.fields.String()
    code = ma.fields.String()
    request_id = ma.fields.String()
    errors = ma.fields.Dict()


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    code: str,
    errors: dict | None = None,
    headers: dict | None = None,
    **extra,
) -> Response:
    body = {
        "type": f"https://quartermaster.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "code": code,
        "request_id": getattr(g, "request_id", ""),
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _unwrap(messages: dict) -> dict:
    # webargs nests field errors under their location ("json", "query"); one location says
    # nothing the client needs.
    if isinstance(messages, dict) and len(messages) == 1:
        ((location, inner),) = messages.items()
        if location in {"json", "query", "form", "headers", "path"} and isinstance(inner, dict):
            return inner
    return messages


class ProblemApi(Api):
    """flask-smorest's Api with RFC 9457 bodies for every error (its issue #310 suggests this)."""

    ERROR_SCHEMA = ProblemSchema

    # Building the OpenAPI document from ~90 operations is most of an app's start (flask-smorest
    # deep-copies every operation's doc), and most apps never serve it: each test makes an app,
    # and each gunicorn worker only needs it when /api/openapi.json is asked for. So routes are
    # registered at once and the document is written on first use of ``spec``, in the same order.
    @property
    def spec(self):
        spec = self.__dict__.get("_spec")
        pending = self.__dict__.setdefault("_pending_docs", [])
        while pending and spec is not None:
            blp, name, parameters = pending.pop(0)
            blp.register_views_in_doc(self, self._app, spec, name=name, parameters=parameters)
            spec.tag({"name": name, "description": blp.description})
        return spec

    @spec.setter
    def spec(self, value) -> None:
        self.__dict__["_spec"] = value

    def register_blueprint(self, blp, *, parameters=None, **options):
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self.__dict__.setdefault("_pending_docs", []).append((blp, name, parameters))

    def _init_spec(self, *, extra_plugins=None, **kwargs):
        plugins = [*(extra_plugins or ()), LinksAndStatusesPlugin()]
        super()._init_spec(extra_plugins=plugins, **kwargs)
        self.ma_plugin.converter.add_attribute_function(open_bounds)

    def _register_pagination_header(self):
        self.spec.components.header("PAGINATION", PAGINATION_HEADER, lazy=True)

    # Set by create_app: how an error outside /api is answered (as a page, not problem+json).
    page_errors = None

    def handle_http_exception(self, error: HTTPException):
        if isinstance(error, InternalServerError):
            return _internal_error(error.original_exception or error)
        if self.page_errors and not (request.path + "/").startswith("/api/"):
            return self.page_errors(error)
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        status = error.code or 500
        detail = data.get("message") or error.description or ""
        if errors and status in (400, 422):
            detail = detail if data.get("message") else "The request is not valid; see the errors."
        hint = _HINTS.get(status)
        if hint and hint not in detail:
            detail = f"{detail} {hint}".strip()
        # The exception's own headers carry what RFC 9110 requires with some statuses, such as
        # Allow with a 405; the body is ours, so its Content-Type is not taken.
        headers = {
            name: value for name, value in error.get_headers() if name.lower() != "content-type"
        }
        headers.update(data.get("headers") or {})
        title, code = error.name, error.name.lower().replace(" ", "_")
        if status == 422:
            # A schema's 422 and a service's ValidationFailed are the same problem to a client.
            title, code = ValidationFailed.title, ValidationFailed.code
        return problem(
            status,
            title,
            detail,
            code=code,
            errors=_unwrap(errors) if errors else None,
            headers=headers,
        )

    def _register_etag_headers(self):
        super()._register_etag_headers()
        # flask-smorest documents If-Match as any string, but a blank or unquoted value holds no
        # entity tag and is answered 428 like a missing one: the document says what a tag is.
        if_match = {
            **smorest_etag.IF_MATCH_HEADER,
            "description": 'The ETag of your last GET of the record, e.g. "3f2a…" (or *).',
            "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
        }
        self.spec.components.parameter("IF_MATCH", "header", if_match, lazy=True)

    def _register_responses(self):
        # As flask-smorest registers them, but error bodies are problem documents.
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            if status in (429, 503):
                response["headers"] = {"Retry-After": RETRY_AFTER}
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def handle_domain_error(error: DomainError):
    headers = {}
    extra = {k: v for k, v in error.extra.items() if k != "retry_after"}
    if "retry_after" in error.extra:
        headers["Retry-After"] = str(error.extra["retry_after"])
    hint = _HINTS.get(error.status) if error.status == 401 else None
    detail = f"{error.detail} {hint}" if hint else error.detail
    return problem(
        error.status,
        error.title,
        detail,
        code=error.code,
        errors=error.errors or None,
        headers=headers,
        **extra,
    )


def _internal_error(error: BaseException):
    log.exception(
        "unhandled error", exc_info=error, extra={"request_id": getattr(g, "request_id", "")}
    )
    return problem(
        500,
        "Internal Server Error",
        "Something went wrong on our side; nothing was changed. Quote the request id "
        "when you report it.",
        code="internal_error",
    )


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def check_body() -> None:
    """``before_request``: refuse an API body that would never be read, whatever its type: too
    large (413) or not JSON (415). Without this a text body is simply not parsed, and the caller
    hears only that the fields are missing."""
    if request.method not in _BODY_METHODS or not request.path.startswith("/api/"):
        return
    length = request.content_length
    if not length:
        return
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and length > limit:
        raise RequestEntityTooLarge()
    if not request.is_json:
        raise UnsupportedMediaType()
    if request.routing_exception is None and not _reads_a_body():
        # An action without fields would otherwise run whatever was sent, so a caller who
        # thinks it asked for something (a back-dated run, say) learns it was not heard.
        try:
            body = json.loads(request.get_data())
        except (ValueError, RecursionError):
            abort(400, messages={"json": ["Invalid JSON body."]})
        if body != {}:
            errors = (
                {name: ["Unknown field."] for name in body}
                if isinstance(body, dict)
                else {"_schema": ["Invalid input type."]}
            )
            raise ValidationFailed("This call takes no body; send none, or {}.", errors=errors)


def _reads_a_body() -> bool:
    """Whether the view behind this request documents a JSON body (flask-smorest keeps each
    view's ``arguments`` on the function)."""
    view = current_app.view_functions.get(request.endpoint)
    cls = getattr(view, "view_class", None)
    fn = getattr(cls, request.method.lower(), None) if cls else view
    parameters = getattr(fn, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return any(p.get("location", "json") == "json" for p in parameters)


def register(app) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(IntegrityError, _integrity_error)
    for error in (OperationalError, InterfaceError, DisconnectionError, PoolTimeout):
        app.register_error_handler(error, _database_error)
    app.register_error_handler(Exception, _unhandled)


def _integrity_error(error: IntegrityError):
    # Services check uniqueness first; only a concurrent twin that committed between that check
    # and our insert gets here. The transaction was rolled back, so nothing was written.
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate == "23505" or "UNIQUE constraint failed" in str(error.orig):
        return problem(
            409,
            "Conflict",
            "Someone created the same record at the same moment; "
            "nothing was written. Reload and try again.",
            code="conflict",
        )
    return _internal_error(error)


def _database_unavailable() -> DatabaseUnavailable:
    return DatabaseUnavailable(
        "The database cannot be reached right now (it may be restarting). Retry after the "
        "seconds in Retry-After; send a POST again with the same Idempotency-Key, so it is "
        "recorded once even if this attempt got through.",
        retry_after=RETRY_AFTER_SECONDS,
    )


def _database_error(error: Exception):
    if not is_unreachable(error):
        return _internal_error(error)
    # An outage is expected operations, not a bug: one line, no traceback per request.
    cause = str(getattr(error, "orig", None) or error).strip()
    log.warning(
        "database unreachable: %s",
        cause.splitlines()[0] if cause else type(error).__name__,
        extra={"request_id": getattr(g, "request_id", "")},
    )
    return handle_domain_error(_database_unavailable())


def _unhandled(error: Exception):
    if isinstance(error, HTTPException):
        return error
    return _internal_error(error)
