"""Signing in to the pages: the session cookie, CSRF on every form, sign-out, expiry, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from delivery.access import roles
from inventory.db.base import db
from inventory.db.models import ApiToken
from inventory.services import user_admin
from tests.page_helpers import PASSWORD, csrf_of, post_sign_in, sign_in, signed_in
from web.blueprint import pages


def test_a_visitor_sees_the_landing_page_with_a_sign_in_link(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/sign-in"' in html and "/api/docs" in html


def test_sign_in_sets_an_http_only_same_site_cookie_and_shows_the_person(client, make):
    actor = make.user("warehouse")
    response = post_sign_in(client, actor.username)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert actor.username in client.get("/").get_data(as_text=True)


def test_the_cookie_is_secure_when_the_request_came_over_https(client, make):
    actor = make.user("warehouse")
    response = post_sign_in(client, actor.username, base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]


def test_a_wrong_password_shows_the_form_again_with_the_reason(client, make):
    actor = make.user("warehouse")
    response = post_sign_in(client, actor.username, "wrong")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert 'id="sign-in-error"' in html and f'value="{actor.username}"' in html


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(client, make):
    actor = make.user("warehouse")
    client.get("/sign-in")
    response = client.post("/sign-in", data={"username": actor.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)
    assert client.get("/").get_data(as_text=True).count(actor.username) == 0


def test_a_csrf_token_from_another_session_is_refused(app, make):
    one, two = app.test_client(), app.test_client()
    _, token_of_one = signed_in(one, make, "warehouse")
    signed_in(two, make, "warehouse")
    assert two.post("/sign-out", data={"csrf_token": token_of_one}).status_code == 400


def test_sign_out_revokes_the_token_and_ends_the_session(client, make):
    _, csrf = signed_in(client, make, "warehouse")
    response = client.post("/sign-out", data={"csrf_token": csrf})
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert "Sign out" not in client.get("/").get_data(as_text=True)


@pytest.fixture
def private_page(app):
    """A page only purchasing may open (the real pages follow the same path)."""

    @roles("purchasing")
    def private():
        return "the private page"

    app.add_url_rule("/private-test-page", "web.private_test_page", private)
    return "/private-test-page"


def test_a_page_without_a_session_goes_to_sign_in_and_comes_back(client, make, private_page):
    response = client.get(private_page + "?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/private-test-page?x%3D1"
    actor = make.user("purchasing")
    form = client.get(response.headers["Location"])
    back = client.post(
        "/sign-in",
        data={
            "username": actor.username,
            "password": PASSWORD,
            "next": "/private-test-page?x=1",
            "csrf_token": csrf_of(form.get_data(as_text=True)),
        },
    )
    assert back.headers["Location"] == "/private-test-page?x=1"
    assert client.get(private_page).get_data(as_text=True) == "the private page"


def test_an_expired_session_returns_to_sign_in(app, client, make, private_page):
    actor = make.user("purchasing")
    sign_in(client, actor.username)
    # The token the session holds expires (as if its 12 hours had passed).
    past = datetime.now(UTC) - timedelta(minutes=1)
    db.session.query(ApiToken).update({"expires_at": past})
    db.session.commit()
    response = client.get(private_page)
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_htmx_requests_without_a_session_are_told_where_to_sign_in(client, private_page):
    response = client.get(private_page, headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/sign-in?next=")


def test_a_deactivated_user_is_signed_out_at_once(client, make, private_page):
    actor = make.user("purchasing")
    sign_in(client, actor.username)
    assert client.get(private_page).status_code == 200
    user_admin.update_user(make.admin, actor.id, {"active": False})
    assert client.get(private_page).status_code == 302


def test_the_wrong_role_gets_a_403_page_naming_the_role(client, make, private_page):
    signed_in(client, make, "warehouse")
    response = client.get(private_page)
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "purchasing" in html and "<html" in html and "Ask an admin" in html


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_next_never_leaves_the_site(client, make, target):
    actor = make.user("warehouse")
    response = post_sign_in(client, actor.username, next_path=target)
    assert response.headers["Location"] == "/"


def test_every_page_declares_its_roles(app):
    undeclared = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(pages.name + ".")
        and rule.endpoint != "web.static"
        and getattr(app.view_functions[rule.endpoint], "_qm_roles", None) is None
    ]
    assert undeclared == []


@pytest.mark.parametrize("asset", ["app.css", "app.js", "vendor/htmx-2.0.11.min.js"])
def test_the_vendored_assets_are_served_to_anybody(client, asset):
    with client.get(f"/assets/{asset}") as response:
        assert response.status_code == 200 and len(response.data) > 100
