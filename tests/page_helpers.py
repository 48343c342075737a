"""Signing in to the pages from the Flask test client, as a browser would: read the form's CSRF
token, post the credentials, keep the cookie."""

from __future__ import annotations

import re

PASSWORD = "correct-horse"  # the Factory's users' password
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def post_sign_in(client, username: str, password: str = PASSWORD, next_path=None, **request):
    """Open the sign-in form and send it as a browser would; returns the answer to the POST.
    ``request`` goes to both calls (``base_url="https://..."``, say)."""
    form = client.get("/sign-in", **request)
    data = {"username": username, "password": password}
    if next_path is not None:
        data["next"] = next_path
    data["csrf_token"] = csrf_of(form.get_data(as_text=True))
    return client.post("/sign-in", data=data, **request)


def sign_in(client, username: str, password: str = PASSWORD, next_path: str = "/"):
    """Sign ``username`` in; returns the CSRF token of the new session."""
    response = post_sign_in(client, username, password, next_path)
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_of(client.get("/").get_data(as_text=True))


def signed_in(client, make, *roles: str):
    """A new user holding ``roles``, signed in on ``client``; returns (actor, csrf token)."""
    actor = make.user(*roles)
    return actor, sign_in(client, actor.username)
