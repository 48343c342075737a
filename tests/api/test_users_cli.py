"""``flask users set-email | set-roles | deactivate | activate | reset-password``."""

from __future__ import annotations

from inventory.services import user_admin

TOKEN = "/api/v1/auth/token"
PASSWORD = "correct-horse"


def _run(app, *args, stdin=None):
    return app.test_cli_runner().invoke(args=["users", *args], input=stdin)


def _login(client, username, password=PASSWORD):
    return client.post(TOKEN, json={"username": username, "password": password})


def _user(make, username: str) -> dict:
    return user_admin.get_user(user_admin.user_id_for(username))


def test_cli_sets_email_and_roles(app, make):
    user = make.user("viewer")
    result = _run(app, "set-email", user.username, "ada@example.com")
    assert result.exit_code == 0, result.output
    assert "ada@example.com" in result.output
    result = _run(app, "set-roles", user.username, "--role", "finance", "--role", "approver")
    assert result.exit_code == 0, result.output
    assert _user(make, user.username) | {"id": 0} == {
        "id": 0,
        "username": user.username,
        "full_name": "",
        "email": "ada@example.com",
        "active": True,
        "roles": ["approver", "finance"],
    }
    bad = _run(app, "set-email", user.username, "not-an-address")
    assert bad.exit_code != 0 and "not an e-mail address" in bad.output
    assert _run(app, "set-roles", user.username, "--role", "wizard").exit_code != 0
    unknown = _run(app, "set-email", "nobody-at-all", "a@example.com")
    assert unknown.exit_code != 0 and "No user named 'nobody-at-all'" in unknown.output


def test_cli_deactivates_and_activates(app, client, make):
    user = make.user("viewer")
    token = make.token(user)
    result = _run(app, "deactivate", user.username)
    assert result.exit_code == 0, result.output
    assert (
        client.get("/api/v1/items", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
    assert _login(client, user.username).status_code == 401
    assert _run(app, "activate", user.username).exit_code == 0
    assert _login(client, user.username).status_code == 200


def test_cli_refuses_to_remove_the_last_admin(app, make):
    for args in (
        ("deactivate", make.admin.username),
        ("set-roles", make.admin.username, "--role", "viewer"),
    ):
        result = _run(app, *args)
        assert result.exit_code != 0 and "last active admin" in result.output
    assert _user(make, make.admin.username)["active"] is True


def test_cli_reset_password_generates_one_and_prints_it_once(app, client, make):
    user = make.user("viewer")
    token = make.token(user)
    result = _run(app, "reset-password", user.username)
    assert result.exit_code == 0, result.output
    password = result.output.split("new password ")[1].split()[0]
    assert len(password) >= 16 and result.output.count(password) == 1
    assert _login(client, user.username).status_code == 401
    assert _login(client, user.username, password).status_code == 200
    assert (
        client.get("/api/v1/items", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )


def test_cli_reset_password_from_stdin_or_prompt(app, client, make):
    user = make.user("viewer")
    result = _run(app, "reset-password", user.username, "--stdin", stdin="piped-secret-1\n")
    assert result.exit_code == 0, result.output
    assert "piped-secret-1" not in result.output
    assert _login(client, user.username, "piped-secret-1").status_code == 200
    result = _run(
        app, "reset-password", user.username, "--prompt", stdin="typed-secret-2\ntyped-secret-2\n"
    )
    assert result.exit_code == 0, result.output
    assert _login(client, user.username, "typed-secret-2").status_code == 200
    short = _run(app, "reset-password", user.username, "--stdin", stdin="short\n")
    assert short.exit_code != 0 and "8 characters" in short.output
    assert _login(client, user.username, "typed-secret-2").status_code == 200
