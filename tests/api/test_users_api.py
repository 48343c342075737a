"""Maintaining people over the API: read, edit (e-mail, roles, active), password reset and
change, the last-admin guard, the audit trail, and who may do it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from inventory.db.base import db
from tests.api.helpers import assert_problem, row_counts

USERS = "/api/v1/users"
TOKEN = "/api/v1/auth/token"
PASSWORD = "correct-horse"  # what the factory gives every user
NON_ADMIN = ("warehouse", "purchasing", "approver", "finance", "viewer")
TABLES = ("app_user", "user_role", "api_token", "audit_event")


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _admin(make) -> dict:
    return _bearer(make.token(make.admin))


def _read(client, user_id, headers):
    response = client.get(f"{USERS}/{user_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json(), response.headers["ETag"]


def _patch(client, user_id, body, headers):
    _, etag = _read(client, user_id, headers)
    return client.patch(f"{USERS}/{user_id}", json=body, headers={**headers, "If-Match": etag})


def _login(client, username, password=PASSWORD):
    return client.post(TOKEN, json={"username": username, "password": password})


def _audit(action: str) -> list[dict]:
    db.session.rollback()
    rows = db.session.execute(
        text("SELECT * FROM audit_event WHERE action = :a ORDER BY id"), {"a": action}
    ).mappings()
    found = [dict(r) for r in rows]
    db.session.rollback()
    return found


def test_an_admin_reads_one_user(backend, client, make):
    user = make.user("viewer", "finance")
    body, etag = _read(client, user.id, _admin(make))
    assert body == {
        "id": user.id,
        "username": user.username,
        "full_name": "",
        "email": "",
        "active": True,
        "roles": ["finance", "viewer"],
    }
    assert etag
    assert_problem(client.get(f"{USERS}/9999", headers=_admin(make)), 404, "not_found")
    assert_problem(client.get(f"{USERS}/2147483647", headers=_admin(make)), 404)


def test_an_admin_sets_email_name_and_roles(backend, client, make):
    user = make.user("viewer")
    headers = _admin(make)
    their_token = _bearer(make.token(user))
    assert_problem(client.get("/api/v1/audit-events", headers=their_token), 403)
    response = _patch(
        client,
        user.id,
        {"email": "ada@example.com", "full_name": "Ada L.", "roles": ["finance", "viewer"]},
        headers,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() | {"id": 0} == {
        "id": 0,
        "username": user.username,
        "full_name": "Ada L.",
        "email": "ada@example.com",
        "active": True,
        "roles": ["finance", "viewer"],
    }
    assert _read(client, user.id, headers)[0] == response.get_json()
    # Roles are read on every request: the token they hold already carries the new role.
    assert client.get("/api/v1/audit-events", headers=their_token).status_code == 200
    (event,) = _audit("user.update")
    assert event["actor_id"] == make.admin.id and event["entity_id"] == str(user.id)
    before, after = (
        json.loads(e) if isinstance(e, str) else e for e in (event["before"], event["after"])
    )
    assert (before["email"], after["email"]) == ("", "ada@example.com")
    assert (before["roles"], after["roles"]) == (["viewer"], ["finance", "viewer"])


def test_the_same_edit_twice_changes_and_audits_once(client, make):
    user = make.user("viewer")
    headers = _admin(make)
    for _ in range(2):
        assert _patch(client, user.id, {"email": "a@example.com"}, headers).status_code == 200
    assert len(_audit("user.update")) == 1


def test_edits_need_a_current_if_match(client, make):
    user = make.user("viewer")
    headers = _admin(make)
    assert_problem(
        client.patch(f"{USERS}/{user.id}", json={"full_name": "X"}, headers=headers), 428
    )
    _, etag = _read(client, user.id, headers)
    assert _patch(client, user.id, {"full_name": "Y"}, headers).status_code == 200
    stale = client.patch(
        f"{USERS}/{user.id}", json={"full_name": "Z"}, headers={**headers, "If-Match": etag}
    )
    assert_problem(stale, 412)
    assert _read(client, user.id, headers)[0]["full_name"] == "Y"
    missing = client.patch(f"{USERS}/9999", json={}, headers={**headers, "If-Match": etag})
    assert_problem(missing, 404)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": ""}, "email"),
        ({"email": "a@b"}, "email"),
        ({"email": "x" * 190 + "@example.com"}, "email"),
        ({"roles": []}, "roles"),
        ({"roles": ["wizard"]}, "roles"),
        ({"roles": "admin"}, "roles"),
        ({"active": "maybe"}, "active"),
        ({"active": 0}, "active"),
        ({"active": "no"}, "active"),
        ({"password": "sneaky-new-one"}, "password"),
        ({"username": "renamed"}, "username"),
    ],
    ids=repr,
)
def test_invalid_edits_are_422_and_change_nothing(client, make, body, field):
    user = make.user("viewer")
    headers = _admin(make)
    _, etag = _read(client, user.id, headers)
    before = row_counts(TABLES)
    response = client.patch(f"{USERS}/{user.id}", json=body, headers={**headers, "If-Match": etag})
    problem = assert_problem(response, 422, "validation_failed")
    assert field in json.dumps(problem["errors"])
    assert row_counts(TABLES) == before


def test_deactivating_revokes_tokens_and_stops_logins_until_reactivated(backend, client, make):
    user = make.user("warehouse")
    headers = _admin(make)
    token = _login(client, user.username).get_json()["access_token"]
    assert client.get("/api/v1/items", headers=_bearer(token)).status_code == 200

    assert _patch(client, user.id, {"active": False}, headers).get_json()["active"] is False
    assert_problem(client.get("/api/v1/items", headers=_bearer(token)), 401)
    assert_problem(_login(client, user.username), 401, "unauthenticated")
    db.session.rollback()
    live = db.session.execute(
        text("SELECT COUNT(*) FROM api_token WHERE user_id = :u AND revoked_at IS NULL"),
        {"u": user.id},
    ).scalar()
    db.session.rollback()
    assert live == 0

    assert _patch(client, user.id, {"active": True}, headers).get_json()["active"] is True
    # Back in with their password; the token from before stays revoked.
    fresh = _login(client, user.username)
    assert fresh.status_code == 200
    fresh_headers = _bearer(fresh.get_json()["access_token"])
    assert client.get("/api/v1/items", headers=fresh_headers).status_code == 200
    assert_problem(client.get("/api/v1/items", headers=_bearer(token)), 401)
    assert any(
        u["id"] == user.id and u["active"] for u in client.get(USERS, headers=headers).get_json()
    )


def test_the_last_active_admin_cannot_be_removed(backend, client, make):
    root = make.admin
    headers = _admin(make)
    before = row_counts(TABLES)
    for body in ({"active": False}, {"roles": ["viewer"]}, {"roles": ["finance"], "active": True}):
        body_ = assert_problem(_patch(client, root.id, body, headers), 409, "conflict")
        assert "last active admin" in body_["detail"]
    assert row_counts(TABLES) == before
    # An inactive admin does not count.
    dormant = make.user("admin")
    assert _patch(client, dormant.id, {"active": False}, headers).status_code == 200
    assert_problem(_patch(client, root.id, {"active": False}, headers), 409)
    # With a second active admin, either may step down, but not both.
    second = make.user("admin")
    assert _patch(client, root.id, {"roles": ["viewer"]}, headers).status_code == 200
    second_headers = _bearer(make.token(second))
    assert_problem(_patch(client, second.id, {"active": False}, second_headers), 409)
    # Other edits of the last admin are fine.
    assert _patch(client, second.id, {"full_name": "Last"}, second_headers).status_code == 200


def test_an_admin_resets_a_password_and_revokes_that_users_tokens(backend, client, make):
    user = make.user("viewer")
    headers = _admin(make)
    token = make.token(user)
    response = client.post(
        f"{USERS}/{user.id}/password", json={"password": "brand-new-secret"}, headers=headers
    )
    assert response.status_code == 204, response.get_data(as_text=True)
    assert_problem(client.get("/api/v1/items", headers=_bearer(token)), 401)
    assert_problem(_login(client, user.username), 401)
    assert _login(client, user.username, "brand-new-secret").status_code == 200
    (event,) = _audit("user.password_reset")
    assert event["actor_id"] == make.admin.id


def test_password_reset_refusals(client, make):
    user = make.user("viewer")
    headers = _admin(make)
    short = client.post(f"{USERS}/{user.id}/password", json={"password": "short"}, headers=headers)
    assert "password" in assert_problem(short, 422)["errors"]
    missing = client.post(f"{USERS}/9999/password", json={"password": "x" * 8}, headers=headers)
    assert_problem(missing, 404)
    assert_problem(client.post(f"{USERS}/{user.id}/password", json={}, headers=headers), 422)


def test_no_password_or_hash_reaches_the_audit_log(client, make):
    user = make.user("viewer")
    headers = _admin(make)
    client.post(
        f"{USERS}/{user.id}/password", json={"password": "brand-new-secret"}, headers=headers
    )
    _patch(client, user.id, {"email": "a@example.com", "active": False}, headers)
    db.session.rollback()
    everything = json.dumps(
        [dict(r) for r in db.session.execute(text("SELECT * FROM audit_event")).mappings()],
        default=str,
    )
    hashes = db.session.execute(text("SELECT password_hash FROM app_user")).scalars().all()
    db.session.rollback()
    assert "brand-new-secret" not in everything and "password_hash" not in everything
    assert not [h for h in hashes if h in everything or h.split("$")[-1] in everything]


def test_users_change_their_own_password_with_the_old_one(backend, client, make):
    user = make.user("viewer")
    this = _login(client, user.username).get_json()["access_token"]
    other = _login(client, user.username).get_json()["access_token"]
    response = client.post(
        f"{USERS}/me/password",
        json={"current_password": PASSWORD, "new_password": "my-own-new-one"},
        headers=_bearer(this),
    )
    assert response.status_code == 204, response.get_data(as_text=True)
    assert_problem(_login(client, user.username), 401)
    assert _login(client, user.username, "my-own-new-one").status_code == 200
    # The session that changed it carries on; the others are signed out.
    assert client.get("/api/v1/items", headers=_bearer(this)).status_code == 200
    assert_problem(client.get("/api/v1/items", headers=_bearer(other)), 401)
    (event,) = _audit("user.password_change")
    assert event["actor_id"] == user.id


def test_a_wrong_old_password_is_422_and_counts_as_a_failed_login(client, make):
    user = make.user("viewer")
    headers = _bearer(make.token(user))
    body = {"current_password": "not-it", "new_password": "my-own-new-one"}
    for _ in range(5):
        problem = assert_problem(
            client.post(f"{USERS}/me/password", json=body, headers=headers), 422
        )
        assert "current password" in problem["detail"]
        assert "current_password" in problem["errors"]
    # A stolen token cannot be used to guess the password faster than logging in would.
    right = {"current_password": PASSWORD, "new_password": "my-own-new-one"}
    throttled = client.post(f"{USERS}/me/password", json=right, headers=headers)
    assert_problem(throttled, 429, "too_many_attempts")
    assert throttled.headers["Retry-After"]
    assert _login(client, user.username).status_code == 429
    short = {"current_password": PASSWORD, "new_password": "short"}
    assert_problem(client.post(f"{USERS}/me/password", json=short, headers=headers), 422)


@pytest.mark.parametrize("role", NON_ADMIN)
def test_only_admins_maintain_users(client, make, role):
    target = make.user("viewer")
    headers = make.headers(role)
    calls = [
        client.get(f"{USERS}/{target.id}", headers=headers),
        client.patch(
            f"{USERS}/{target.id}", json={"roles": ["admin"]}, headers={**headers, "If-Match": "x"}
        ),
        client.post(f"{USERS}/{target.id}/password", json={"password": "x" * 10}, headers=headers),
    ]
    for response in calls:
        assert role in assert_problem(response, 403, "permission_denied")["detail"]
    # Everyone may change their own password (this body is refused for its content only).
    assert_problem(client.post(f"{USERS}/me/password", json={}, headers=headers), 422)


@pytest.mark.parametrize("username", ["   ", "\u200b", "\ufeff\u200b"])
def test_a_username_with_nothing_to_read_is_refused(client, make, username):
    # A zero-width space passed the blank check (str.strip keeps it): an invisible user.
    body = {"username": username, "password": "a long passphrase", "roles": ["viewer"]}
    admin = make.headers("admin")
    response = client.post("/api/v1/users", json=body, headers=admin)
    assert "username" in assert_problem(response, 422)["errors"]


def test_a_password_of_spaces_still_signs_in(client, make):
    # Names must show a character; a password is taken as typed.
    admin = make.headers("admin")
    body = {"username": "spacey", "password": " " * 12, "roles": ["viewer"]}
    assert client.post(USERS, json=body, headers=admin).status_code == 201
    login = {"username": "spacey", "password": " " * 12}
    assert client.post("/api/v1/auth/token", json=login).status_code == 200
