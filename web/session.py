"""Signing in to the pages: a session cookie that holds a bearer token, and CSRF on every form.

The cookie is Flask's signed session (HttpOnly, SameSite=Lax, Secure over HTTPS). It holds the
same kind of token the API issues, so deactivating a user or revoking the token ends the page
session too, and the token's expiry is the session's. Every POST carries the session's CSRF
token, in the form (``csrf_token``) or, from htmx, in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import abort, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from delivery.access import PUBLIC, admit, declared_roles, login_policy, public
from inventory.errors import PermissionDenied, TooManyAttempts, Unauthenticated
from inventory.services import users
from web.blueprint import pages

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STATIC = "web.static"  # the vendored scripts and the stylesheet, the same for everybody


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request came over HTTPS (behind
    ``TRUSTED_PROXIES``, as the proxy's ``X-Forwarded-Proto`` says) or the setting asks."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def open_session(self, app, request):
        # Flask opens a session for every request, and builds its signing serializer (which
        # serializes a probe value) and parses the Cookie header (walking every header) before
        # it looks for the cookie: about 100 Python calls on each API call, which sends no
        # cookies at all. Without a Cookie header the answer is the same empty session.
        if app.secret_key and not request.environ.get("HTTP_COOKIE"):
            return self.session_class()
        return super().open_session(app, request)


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


@pages.context_processor
def _page_globals():
    return {"csrf_token": csrf_token, "actor": g.get("actor")}


def actor_from_session():
    """Who the session's token signs in, if anyone."""
    token = session.get("token")
    if not token:
        return None
    actor = users.actor_for_token(token)
    if actor is None:  # expired, revoked or deactivated: the session ends with it
        session.pop("token", None)
    return actor


@pages.before_request
def sign_in_required():
    """Set ``g.actor`` from the session; send a visitor without one to sign in, and back."""
    g.actor = actor_from_session()
    _refuse_nul()
    if request.method not in SAFE_METHODS:
        _check_csrf()
    allowed = declared_roles(request.endpoint, request.method)
    if allowed == PUBLIC or request.endpoint == STATIC:
        return None
    if allowed is None:
        raise PermissionDenied("This page declares no roles, so nobody may open it.")
    if g.actor is None:
        return _to_sign_in()
    admit(g.actor, allowed)
    return None


def _refuse_nul() -> None:
    # Neither database stores a NUL, and PostgreSQL refuses one even to compare with: a page
    # reading a raw value (a scanned SKU, a job's name) would fail with a 500.
    sent = (v for source in (request.args, request.form) for _, vs in source.lists() for v in vs)
    if any("\x00" in value for value in sent):
        abort(
            400,
            "The address or form holds a NUL character, which cannot be stored. Remove it "
            "(it often comes from a scanner or a pasted file) and send again.",
        )


def _check_csrf() -> None:
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(
            400,
            "This form is out of date (its security token does not match your session). "
            "Reload the page and send it again.",
        )


def _to_sign_in():
    back = request.full_path if request.method == "GET" else request.referrer or "/"
    target = url_for("web.sign_in", next=_local(back))
    if request.headers.get("HX-Request"):
        # htmx swaps the answer into the page; HX-Redirect makes it load the sign-in page.
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def _local(target: str | None) -> str:
    """``target`` if it is a path on this site, else the home page (no open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target.rstrip("?") or "/"


@pages.get("/sign-in")
@public
def sign_in():
    if g.actor is not None:
        return redirect(_local(request.args.get("next")))
    return render_template("web/sign_in.html", next=_local(request.args.get("next")), error=None)


@pages.post("/sign-in")
@public
def sign_in_post():
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    back = _local(request.form.get("next"))
    try:
        issued = users.login(username, password, request.remote_addr or "", login_policy())
    except (Unauthenticated, TooManyAttempts) as refused:
        status = 429 if isinstance(refused, TooManyAttempts) else 401
        page = render_template("web/sign_in.html", next=back, error=str(refused), username=username)
        return page, status
    session.clear()  # a new session id and CSRF token for the signed-in person
    session.permanent = True
    session["token"] = issued.access_token
    csrf_token()
    return redirect(back)


@pages.post("/sign-out")
@public
def sign_out():
    token = session.get("token")
    if g.actor is not None and token:
        users.revoke_token(g.actor, token)
    session.clear()
    return redirect(url_for("web.sign_in"))
