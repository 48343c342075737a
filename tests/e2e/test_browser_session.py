"""Signing in and out in a real browser, as each role: each sees its own menu, and only it."""

from __future__ import annotations

import pytest

from tests.e2e.browser import PASSWORD, ROLES, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_every_role_signs_in_sees_its_name_and_signs_out(live_server, page, tmp_path):
    for role in ROLES:
        sign_in(page, live_server, role)
        assert page.locator("header .who").inner_text().startswith(role)
        if role == "warehouse":
            screenshot(page, tmp_path, "home-warehouse")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(live_server.url("/sign-in"))
    # Signed out: the start page offers sign-in again.
    page.goto(live_server.url("/"))
    assert page.get_by_role("link", name="Sign in").first.is_visible()


def test_a_wrong_password_is_said_beside_the_form(live_server, page):
    page.goto(live_server.url("/sign-in"))
    page.get_by_label("Username").fill("warehouse")
    page.get_by_label("Password").fill(PASSWORD + "x")
    page.get_by_role("button", name="Sign in").click()
    assert "password" in page.locator("#sign-in-error").inner_text().lower()
    assert page.get_by_label("Username").input_value() == "warehouse"
