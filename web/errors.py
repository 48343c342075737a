"""Refusals on the pages are pages (or, for htmx, a fragment), never problem+json."""

from __future__ import annotations

from flask import render_template, request
from werkzeug.exceptions import HTTPException

from inventory.errors import DomainError, TooManyAttempts
from web.blueprint import pages

NEXT_STEP = {
    403: "Ask an admin for the role this page needs, or go back to the start page.",
    404: "It may have been removed, or the link is mistyped.",
    409: "Reload the page to see the current state, then try again.",
    503: "The database cannot be reached just now; try again in a few seconds.",
}


def error_page(status: int, title: str, detail: str):
    template = "web/_error.html" if request.headers.get("HX-Request") else "web/error.html"
    body = render_template(
        template, status=status, title=title, detail=detail, next_step=NEXT_STEP.get(status, "")
    )
    headers = {"Retry-After": "3"} if status == 503 else {}
    return body, status, headers


@pages.errorhandler(DomainError)
def _domain_error(error: DomainError):
    headers = {}
    page = error_page(error.status, error.title or "Refused", str(error))
    if isinstance(error, TooManyAttempts):
        headers["Retry-After"] = str(error.retry_after)
    return page[0], page[1], {**page[2], **headers}


@pages.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return error_page(error.code or 500, error.name, error.description or "")
