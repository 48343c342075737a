"""Bearer tokens: login, storage as a hash, revocation, expiry, the login throttle, the CLI."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from api import create_app
from delivery import config
from inventory.db.base import db
from inventory.db.models import LoginFailure
from inventory.services import users
from tests.api.helpers import assert_problem

TOKEN = "/api/v1/auth/token"
PASSWORD = "correct-horse"  # what the factory gives every user


def _login(client, username, password=PASSWORD, address="10.0.0.1"):
    return client.post(
        TOKEN,
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_login_returns_a_token_that_works(backend, client, make):
    user = make.user("viewer")
    response = _login(client, user.username)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert len(body["access_token"]) >= 32
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert expires_at.tzinfo is not None
    assert timedelta(hours=11) < expires_at - datetime.now(UTC) <= timedelta(hours=12)
    assert client.get("/api/v1/items", headers=_bearer(body["access_token"])).status_code == 200


def test_tokens_are_stored_only_as_hashes(backend, client, make):
    user = make.user("viewer")
    token = _login(client, user.username).get_json()["access_token"]
    rows = db.session.execute(text("SELECT * FROM api_token")).mappings().all()
    db.session.rollback()
    mine = [r for r in rows if r["user_id"] == user.id]
    assert len(mine) == 1
    assert mine[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    for row in rows:
        assert token not in " ".join(str(v) for v in row.values())


def test_wrong_password_and_unknown_user_are_401(client, make):
    user = make.user("viewer")
    assert_problem(_login(client, user.username, "wrong-horse"), 401, "unauthenticated")
    assert_problem(_login(client, "nobody-at-all"), 401, "unauthenticated")
    assert_problem(client.post(TOKEN, json={"username": user.username}), 422)


def test_an_unknown_username_costs_a_password_check_like_a_known_one(client, make, monkeypatch):
    # Without it an attacker could tell existing usernames by how fast the 401 comes back.
    user = make.user("viewer")
    checked = []
    real = users.check_password_hash
    monkeypatch.setattr(
        users,
        "check_password_hash",
        lambda stored, given: checked.append(given) or real(stored, given),
    )
    assert_problem(_login(client, "nobody-at-all", "guess-1"), 401, "unauthenticated")
    assert_problem(_login(client, user.username, "guess-2"), 401, "unauthenticated")
    assert checked == ["guess-1", "guess-2"]


def test_revoked_token_is_refused(backend, client, make):
    user = make.user("warehouse")
    token = _login(client, user.username).get_json()["access_token"]
    other = _login(client, user.username).get_json()["access_token"]
    assert client.delete(TOKEN, headers=_bearer(token)).status_code == 204
    assert_problem(client.get("/api/v1/items", headers=_bearer(token)), 401, "unauthenticated")
    assert_problem(client.delete(TOKEN, headers=_bearer(token)), 401)
    # Logging out ends that token only; the user's other session carries on.
    assert client.get("/api/v1/items", headers=_bearer(other)).status_code == 200


def test_expired_token_is_refused(client, make):
    user = make.user("viewer")
    expired = users.issue_token(user.id, timedelta(seconds=-1)).access_token
    live = users.issue_token(user.id, timedelta(minutes=1)).access_token
    assert client.get("/api/v1/items", headers=_bearer(live)).status_code == 200
    body = assert_problem(client.get("/api/v1/items", headers=_bearer(expired)), 401)
    assert "expired" in body["detail"]


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer  ", "Basic dXNlcjpwYXNz", "Token abc"], ids=repr
)
def test_malformed_authorization_is_401(client, header):
    assert_problem(client.get("/api/v1/items", headers={"Authorization": header}), 401)


def test_inactive_users_token_stops_working(client, make):
    user = make.user("viewer")
    headers = _bearer(make.token(user))
    assert client.get("/api/v1/items", headers=headers).status_code == 200
    db.session.execute(text("UPDATE app_user SET active = false WHERE id = :id"), {"id": user.id})
    db.session.commit()
    assert_problem(client.get("/api/v1/items", headers=headers), 401)


def _assert_throttled(response):
    body = assert_problem(response, 429, "too_many_attempts")
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 900
    assert str(retry_after) in body["detail"]


def test_failed_logins_are_throttled_per_user(backend, app, client, make):
    user = make.user("viewer")
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert limit == 5
    for attempt in range(limit):  # each from its own address: the user is what is counted
        response = _login(client, user.username, "guess", address=f"10.1.0.{attempt}")
        assert_problem(response, 401)
    # Now even the right password is refused for a while, from anywhere.
    _assert_throttled(_login(client, user.username, address="10.2.0.1"))
    # Other users are not locked out by someone guessing this one's password.
    assert _login(client, make.user("viewer").username, address="10.2.0.2").status_code == 200


def test_one_users_failures_do_not_lock_out_others_at_the_same_address(backend, client, make):
    """Behind one proxy or NAT everybody shares an address; one person's typos lock out only
    that person."""
    clumsy, colleague = make.user("viewer"), make.user("viewer")
    for _ in range(5):
        assert_problem(_login(client, clumsy.username, "typo", address="10.9.9.9"), 401)
    _assert_throttled(_login(client, clumsy.username, address="10.9.9.9"))
    assert _login(client, colleague.username, address="10.9.9.9").status_code == 200
    # The same call twice: still not throttled, and a colleague's failures below their own
    # limit do not add up with the clumsy user's.
    assert _login(client, colleague.username, address="10.9.9.9").status_code == 200
    for _ in range(4):
        assert_problem(_login(client, colleague.username, "typo", address="10.9.9.9"), 401)
    assert _login(client, colleague.username, address="10.9.9.9").status_code == 200


def test_the_address_limit_defaults_high_enough_for_an_office():
    settings = config.from_environment({})
    assert settings["LOGIN_MAX_FAILURES"] == 5
    assert settings["LOGIN_MAX_FAILURES_PER_ADDRESS"] == 100
    assert settings["TRUSTED_PROXIES"] == 0
    changed = config.from_environment(
        {"LOGIN_MAX_FAILURES_PER_ADDRESS": "250", "TRUSTED_PROXIES": "2"}
    )
    assert (changed["LOGIN_MAX_FAILURES_PER_ADDRESS"], changed["TRUSTED_PROXIES"]) == (250, 2)


def test_an_address_over_its_own_limit_is_throttled_for_everyone(app, client, make):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 8  # the default (100) works the same way
    victim = make.user("viewer")
    for n in range(7):  # one address trying many usernames, each below the per-user limit
        assert_problem(_login(client, f"guess-{n}", "guess", address="10.9.9.9"), 401)
    assert _login(client, victim.username, address="10.9.9.9").status_code == 200
    assert_problem(_login(client, "guess-7", "guess", address="10.9.9.9"), 401)
    body = assert_problem(_login(client, victim.username, address="10.9.9.9"), 429)
    assert "address" in body["detail"]
    _assert_throttled(_login(client, victim.username, address="10.9.9.9"))
    assert _login(client, victim.username, address="10.9.9.10").status_code == 200


def test_a_user_throttled_by_name_is_refused_from_any_address(client, make):
    user = make.user("viewer")
    for attempt in range(5):
        assert_problem(_login(client, user.username, "guess", address=f"10.3.0.{attempt}"), 401)
    for address in ("10.3.0.0", "10.4.4.4", "192.168.1.1", ""):
        body = assert_problem(_login(client, user.username, address=address), 429)
        assert "username" in body["detail"]


def _through_proxy(client, username, password, forwarded_for):
    return client.post(
        TOKEN,
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": "10.0.0.254"},  # the reverse proxy
    )


def _failure_addresses() -> list[str]:
    db.session.rollback()
    addresses = db.session.scalars(select(LoginFailure.address).order_by(LoginFailure.id)).all()
    db.session.rollback()
    return list(addresses)


def test_x_forwarded_for_is_ignored_without_trusted_proxies(app, client):
    assert app.config["TRUSTED_PROXIES"] == 0
    _through_proxy(client, "nobody", "guess", "203.0.113.7")
    # A client could otherwise pick a fresh address for every guess.
    assert _failure_addresses() == ["10.0.0.254"]


def test_x_forwarded_for_is_used_through_one_trusted_proxy(app, make):
    proxied = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "TESTING": True,
            "LOG_LEVEL": "WARNING",
            "TRUSTED_PROXIES": 1,
            "LOGIN_MAX_FAILURES_PER_ADDRESS": 3,
        }
    )
    client = proxied.test_client()
    user = make.user("viewer")
    try:
        for n in range(3):
            # The proxy appends the address it saw; what the client wrote before it is not
            # trusted.
            spoofed = f"198.51.100.{n}, 203.0.113.7"
            assert _through_proxy(client, f"guess-{n}", "guess", spoofed).status_code == 401
        assert _failure_addresses() == ["203.0.113.7"] * 3
        refused = _through_proxy(client, user.username, PASSWORD, "203.0.113.7")
        _assert_throttled(refused)
        # Another client behind the same proxy is another address.
        assert _through_proxy(client, user.username, PASSWORD, "203.0.113.8").status_code == 200
    finally:
        with proxied.app_context():
            db.engine.dispose()


def test_fewer_failures_than_the_limit_do_not_throttle(client, make):
    user = make.user("viewer")
    for _ in range(4):
        assert_problem(_login(client, user.username, "guess"), 401)
    assert _login(client, user.username).status_code == 200


def test_cli_creates_a_user_who_can_log_in(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "cli-admin",
            "--role",
            "admin",
            "--role",
            "finance",
            "--password",
            "long-enough-1",
            "--full-name",
            "Ada Admin",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created user cli-admin" in result.output
    token = _login(client, "cli-admin", "long-enough-1").get_json()["access_token"]
    listed = client.get("/api/v1/users", headers=_bearer(token)).get_json()
    (created,) = [u for u in listed if u["username"] == "cli-admin"]
    assert created["roles"] == ["admin", "finance"]
    assert created["full_name"] == "Ada Admin"

    again = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "cli-admin",
            "--role",
            "viewer",
            "--password",
            "x" * 9,
        ]
    )
    assert again.exit_code != 0 and "taken" in again.output
    short = runner.invoke(
        args=["users", "create", "--username", "shorty", "--role", "viewer", "--password", "short"]
    )
    assert short.exit_code != 0 and "8 characters" in short.output
    unknown_role = runner.invoke(
        args=["users", "create", "--username", "x", "--role", "wizard", "--password", "x" * 9]
    )
    assert unknown_role.exit_code != 0


def test_cli_first_admin_creates_one_admin_once(app):
    runner = app.test_cli_runner()
    assert users.user_count() == 0
    first = runner.invoke(args=["users", "first-admin"])
    assert first.exit_code == 0, first.output
    password = first.output.split("admin / ")[1].split()[0]
    assert (
        app.test_client().post(TOKEN, json={"username": "admin", "password": password}).status_code
        == 200
    )
    # The login hint is ready to paste: its body is the real password, not a placeholder.
    [hint] = [line for line in first.output.splitlines() if line.startswith("Log in:")]
    body = json.loads(hint.split(" -d '")[1].rstrip("'"))
    assert body == {"username": "admin", "password": password}
    assert '"..."' not in first.output
    second = runner.invoke(args=["users", "first-admin"])
    assert "Users exist already" in second.output
    assert "password" not in second.output.replace("passwords", "")  # none shown, none faked
    assert users.user_count() == 1
