"""Refusals on the pages are pages (or, for htmx, a fragment), never problem+json."""

from __future__ import annotations

from flask import current_app, g, render_template, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from inventory.errors import DomainError, TooManyAttempts
from web.blueprint import pages
from web.session import actor_from_session

NEXT_STEP = {
    403: "Ask an admin for the role this page needs, or go back to the start page.",
    404: "It may have been removed, or the link is mistyped.",
    409: "Reload the page to see the current state, then try again.",
    503: "The database cannot be reached just now; try again in a few seconds.",
}


def error_page(status: int, title: str, detail: str, **context):
    template = "web/_error.html" if request.headers.get("HX-Request") else "web/error.html"
    body = render_template(
        template,
        status=status,
        title=title,
        detail=detail,
        next_step=NEXT_STEP.get(status, ""),
        **context,
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


ROUTING = {
    404: "There is no page at this address.",
    405: "This page cannot be sent that way; open it from the menu instead.",
}


def routing_error(error: HTTPException):
    """An address outside ``/api`` that names no page (or a method a page does not take): the
    router answers before any page, so the API's handler hands it here to answer as a page."""
    status = error.code or 500
    # No page ran, so neither did the pages' own before-request and template helpers.
    try:
        g.actor = actor_from_session()
    except SQLAlchemyError:  # a missing page is still answered with the database away
        g.actor = None
    context: dict = {}
    for helpers in current_app.template_context_processors.get(pages.name, []):
        context.update(helpers())
    detail = ROUTING.get(status, error.description or "")
    body, status, headers = error_page(status, error.name, detail, **context)
    allow = {k: v for k, v in error.get_headers() if k.lower() == "allow"}
    return body, status, {**headers, **allow}
