"""Admin pages: users (create, roles, e-mail, deactivate, reset password shown once, stale
edits), approval rules, cost centres, budgets and job runs."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from inventory.db.base import db
from inventory.db.models import JobRun
from inventory.services import budgets, user_admin, users
from inventory.services.user_admin import get_user
from tests.page_helpers import sign_in, signed_in

PAGES = [
    "/admin/users",
    "/admin/approval-rules",
    "/admin/cost-centres",
    "/admin/budgets",
    "/admin/jobs",
]


def test_every_admin_page_opens_for_admin(client, make):
    signed_in(client, make, "admin")
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True))
    assert 'href="/admin/users"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["finance", "warehouse"])
def test_users_and_jobs_are_for_admin_only(client, make, role):
    signed_in(client, make, role)
    for path in ("/admin/users", "/admin/users/1", "/admin/jobs"):
        assert client.get(path).status_code == 403, path
    setup = client.get("/admin/cost-centres").status_code
    assert setup == (200 if role == "finance" else 403)  # finance writes them, as in the API


def _create(client, csrf, key="k1", **fields):
    form = {
        "csrf_token": csrf,
        "idempotency_key": key,
        "username": "jdoe",
        "password": "long enough",
        "email": "jane@example.com",
        "roles": ["purchasing", "approver"],
        **fields,
    }
    return client.post("/admin/users", data=form)


def test_create_a_user_with_roles_and_email_once(client, make):
    _, csrf = signed_in(client, make, "admin")
    first = _create(client, csrf, key="same")
    assert first.status_code == 302
    assert _create(client, csrf, key="same").status_code == 302  # replayed, not a 409
    jdoe = get_user(user_admin.user_id_for("jdoe"))
    assert jdoe["roles"] == ["approver", "purchasing"] and jdoe["email"] == "jane@example.com"
    taken = _create(client, csrf, key="other")
    assert taken.status_code == 409 and "is taken" in taken.get_data(as_text=True)


def test_create_errors_are_beside_the_fields_and_keep_what_was_typed(client, make):
    _, csrf = signed_in(client, make, "admin")
    before = len(users.list_users())
    response = _create(client, csrf, password="short", email="not-an-email", roles=[])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for name in ("password", "email"):
        assert f'id="{name}-error"' in html
    assert 'id="roles-error">Choose at least one role.' in html
    assert 'value="jdoe"' in html and 'value="not-an-email"' in html
    assert "short" not in html  # a password is never echoed
    assert len(users.list_users()) == before


def test_a_field_left_empty_is_said_in_plain_words(client, make):
    _, csrf = signed_in(client, make, "admin")
    response = _create(client, csrf, username="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Fill this in." in html and "Missing data for required field" not in html


def _user_form(client, user_id):
    html = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', html).group(1)
    original = re.search(r'name="original" value="([^"]+)"', html).group(1)
    return version, original.replace("&#34;", '"').replace("&quot;", '"')


def test_change_roles_and_email(client, make):
    _, csrf = signed_in(client, make, "admin")
    other = make.user("viewer")
    version, original = _user_form(client, other.id)
    response = client.post(
        f"/admin/users/{other.id}",
        data={"csrf_token": csrf, "idempotency_key": "e1", "version": version,
              "original": original, "email": "new@example.com", "roles": ["finance"]},
    )  # fmt: skip
    assert response.status_code == 302
    record = get_user(other.id)
    assert record["roles"] == ["finance"] and record["email"] == "new@example.com"


def test_roles_change_for_a_user_without_email_and_a_blank_email_clears_it(client, make):
    # The blank e-mail field was sent as "" and refused as "not an e-mail address": no role of a
    # user without e-mail could be changed, and the error page lost the form.
    _, csrf = signed_in(client, make, "admin")
    other = make.user("viewer")
    for key, email in (("r1", ""), ("r2", "x@example.com"), ("r3", "")):
        version, original = _user_form(client, other.id)
        response = client.post(
            f"/admin/users/{other.id}",
            data={"csrf_token": csrf, "idempotency_key": key, "version": version,
                  "original": original, "email": email, "roles": ["viewer", "finance"]},
        )  # fmt: skip
        assert response.status_code == 302, response.get_data(as_text=True)[-500:]
        assert get_user(other.id)["email"] == email
    assert get_user(other.id)["roles"] == ["finance", "viewer"]


def test_a_stale_edit_shows_what_changed_and_overwrites_nothing(client, make):
    _, csrf = signed_in(client, make, "admin")
    other = make.user("viewer")
    version, original = _user_form(client, other.id)
    user_admin.update_user(make.admin, other.id, {"email": "someone@else.example"})
    response = client.post(
        f"/admin/users/{other.id}",
        data={"csrf_token": csrf, "idempotency_key": "e2", "version": version,
              "original": original, "email": "mine@example.com", "roles": ["viewer"]},
    )  # fmt: skip
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'id="changed"' in html and "someone@else.example" in html
    assert "updated_at" not in html and ">Email<" in html  # in words, without the stamps
    assert 'value="mine@example.com"' in html  # what was typed is kept
    assert get_user(other.id)["email"] == "someone@else.example"


def test_deactivate_signs_them_out_and_activate_lets_them_back(app, client, make):
    _, csrf = signed_in(client, make, "admin")
    other = make.user("warehouse")
    their = app.test_client()
    sign_in(their, other.username)
    version, original = _user_form(client, other.id)
    form = {"csrf_token": csrf, "version": version, "original": original}
    off = client.post(f"/admin/users/{other.id}/active", data={**form, "active": "false"})
    assert off.status_code == 302 and get_user(other.id)["active"] is False
    assert their.get("/").get_data(as_text=True).count("Sign out") == 0
    version, original = _user_form(client, other.id)
    on = client.post(
        f"/admin/users/{other.id}/active",
        data={"csrf_token": csrf, "version": version, "original": original, "active": "true"},
    )
    assert on.status_code == 302 and get_user(other.id)["active"] is True


def test_the_last_active_admin_cannot_be_deactivated(client, make):
    admin, csrf = signed_in(client, make, "admin")
    for record in users.list_users():
        if record["id"] != admin.id and "admin" in record["roles"]:
            user_admin.update_user(None, record["id"], {"active": False})
    version, original = _user_form(client, admin.id)
    response = client.post(
        f"/admin/users/{admin.id}/active",
        data={"csrf_token": csrf, "version": version, "original": original, "active": "false"},
    )
    assert response.status_code == 409 and get_user(admin.id)["active"] is True


def test_reset_password_shows_it_once_and_it_works(app, client, make):
    _, csrf = signed_in(client, make, "admin")
    other = make.user("viewer")
    response = client.post(
        f"/admin/users/{other.id}/password", data={"csrf_token": csrf, "idempotency_key": "p"}
    )
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = re.search(r"is <code>([^<]+)</code>", response.get_data(as_text=True)).group(1)
    sign_in(app.test_client(), other.username, password)
    again = client.post(
        f"/admin/users/{other.id}/password", data={"csrf_token": csrf, "idempotency_key": "p"}
    )
    assert again.status_code == 302  # the same form twice: no second password
    sign_in(app.test_client(), other.username, password)
    assert "<code>" not in client.get(f"/admin/users/{other.id}").get_data(as_text=True)


def test_unknown_user_is_a_404_page(client, make):
    signed_in(client, make, "admin")
    response = client.get("/admin/users/999999")
    assert response.status_code == 404 and "<html" in response.get_data(as_text=True)


def test_cost_centre_and_budget_create_edit_and_errors(client, make):
    _, csrf = signed_in(client, make, "finance")
    base = {"csrf_token": csrf}
    created = client.post(
        "/admin/cost-centres",
        data={**base, "idempotency_key": "c", "code": "MAINT", "name": "Maintenance",
              "active": "true"},
    )  # fmt: skip
    assert created.status_code == 302
    centre = created.headers["Location"].rsplit("/", 1)[1]
    dup = client.post(
        "/admin/cost-centres",
        data={**base, "idempotency_key": "c2", "code": "MAINT", "name": "Again"},
    )
    assert dup.status_code == 409
    missing = client.post("/admin/budgets", data={**base, "idempotency_key": "b0"})
    assert missing.status_code == 422
    assert 'id="amount-error"' in missing.get_data(as_text=True)
    budget = client.post(
        "/admin/budgets",
        data={**base, "idempotency_key": "b1", "cost_centre_id": centre, "period": "2026",
              "starts_on": "2026-01-01", "ends_on": "2026-12-31", "amount": "5000.00",
              "over_budget_action": "refuse"},
    )  # fmt: skip
    assert budget.status_code == 302, budget.get_data(as_text=True)
    listing = client.get("/admin/budgets").get_data(as_text=True)
    assert "MAINT" in listing and "5000.00" in listing
    budget_id = int(budget.headers["Location"].rsplit("/", 1)[1])
    html = client.get(f"/admin/budgets/{budget_id}").get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', html).group(1)
    budgets.update_budget(make.admin, budget_id, {"amount": Decimal(6000)}, lambda current: None)
    stale = client.post(
        f"/admin/budgets/{budget_id}",
        data={**base, "idempotency_key": "b2", "version": version, "original": "{}",
              "period": "2026", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
              "amount": "7000.00", "over_budget_action": "refuse"},
    )  # fmt: skip
    assert stale.status_code == 409
    assert budgets.get_budget(budget_id)["amount"] == 6000


def test_approval_rule_create_with_steps(client, make):
    _, csrf = signed_in(client, make, "admin")
    response = client.post(
        "/admin/approval-rules",
        data={"csrf_token": csrf, "idempotency_key": "r", "name": "Small", "min_amount": "0",
              "max_amount": "", "steps": "approver, finance", "active": "true"},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "approver → finance" in client.get("/admin/approval-rules").get_data(as_text=True)
    bad = client.post(
        "/admin/approval-rules",
        data={"csrf_token": csrf, "idempotency_key": "r2", "name": "Bad", "min_amount": "x",
              "steps": "boss"},
    )  # fmt: skip
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="min_amount-error"' in html and 'id="steps-error"' in html


def test_job_runs_show_outcome_and_detail(client, make):
    from datetime import UTC, datetime

    db.session.add_all(
        [
            JobRun(name="reorder", started_at=datetime(2026, 1, 1, tzinfo=UTC),
                   finished_at=datetime(2026, 1, 1, 0, 5, tzinfo=UTC), outcome="succeeded",
                   detail={"items": 12}),
            JobRun(name="classify-items", started_at=datetime(2026, 1, 2, tzinfo=UTC),
                   outcome="failed", detail={"error": "ValueError: <boom>"}),
        ]
    )  # fmt: skip
    db.session.commit()
    signed_in(client, make, "admin")
    html = client.get("/admin/jobs").get_data(as_text=True)
    assert "succeeded" in html and "items: 12" in html and "&lt;boom&gt;" in html
    only = client.get("/admin/jobs?outcome=failed").get_data(as_text=True)
    assert "classify-items" in only and "items: 12" not in only
