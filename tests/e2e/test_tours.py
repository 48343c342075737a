"""The README's tours, run as a newcomer runs them: `make run`'s first-admin step on a fresh
SQLite database, gunicorn on a free port, then docs/tour.sh and docs/procurement-tour.sh with
bash, twice each, so they are shown to work on a database that already has data."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request

import pytest

from tests.e2e.test_gunicorn import BIN, ROOT, _free_port, gunicorn_on

pytestmark = pytest.mark.e2e

SCRIPT_TIMEOUT = 180  # seconds per run of a tour (generous: the machine is shared)


@pytest.fixture
def newcomer_server(tmp_path):
    """gunicorn on a fresh SQLite database; yields (base URL, admin password, environment)."""
    if not (BIN / "gunicorn").exists():
        pytest.skip("gunicorn is not installed in .venv")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'quartermaster.sqlite3'}",
        "SECRET_KEY": "e2e-secret",
        "PORT": str(port),
    }
    env.pop("FLASK_APP", None)
    flask = [BIN / "flask", "--app", "wsgi:app"]
    for args in (["db", "upgrade"], ["users", "first-admin"]):
        done = subprocess.run(
            flask + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr + done.stdout
    # The password comes from the login line `make run` prints, pasted as it stands.
    [hint] = [x for x in done.stdout.splitlines() if x.startswith("Log in:")]
    assert f"http://127.0.0.1:{port}/api/v1/auth/token" in hint
    password = json.loads(hint.split(" -d '")[1].rstrip("'"))["password"]

    with gunicorn_on(env, port, tmp_path) as (base, _):
        yield base, password, env


def _tour(script: str, base: str, password: str, env: dict, cwd) -> str:
    done = subprocess.run(
        ["bash", str(ROOT / "docs" / script)],
        cwd=cwd,
        env={**env, "BASE": base, "ADMIN_PASSWORD": password},
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stderr}\n{done.stdout[-3000:]}"
    return done.stdout


def _get(base: str, token: str, path: str):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())


def test_both_tours_run_twice_on_a_live_server(newcomer_server, tmp_path):
    base, password, env = newcomer_server
    for _ in range(2):
        out = _tour("tour.sh", base, password, env, tmp_path)
        assert "Tour done: item" in out and "has 70.000 on hand" in out
    for _ in range(2):
        out = _tour("procurement-tour.sh", base, password, env, tmp_path)
        assert "Procurement tour done: order" in out
        assert "on hand: 150.000@337.50 48.000@192.00" in out

    # What the server holds afterwards, read apart from the scripts.
    login = urllib.request.Request(
        base + "/api/v1/auth/token",
        data=json.dumps({"username": "admin", "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login, timeout=15) as response:
        token = json.loads(response.read())["access_token"]
    orders = _get(base, token, "/api/v1/purchase-orders")
    assert [o["status"] for o in orders] == ["received", "received"]
    requests = _get(base, token, "/api/v1/purchase-requests")
    assert [r["status"] for r in requests] == ["closed", "closed"]
    balances = _get(base, token, "/api/v1/stock-balances")
    quantities = sorted(b["quantity"] for b in balances)
    # Two tours of 70 bolts; two procurement tours of 150 bolts and 48 gloves.
    assert quantities == ["150.000", "150.000", "48.000", "48.000", "70.000", "70.000"]
    users = {u["username"].split("-")[0] for u in _get(base, token, "/api/v1/users")}
    assert users == {"admin", "purchasing", "approver", "finance", "warehouse"}
    assert len(_get(base, token, "/api/v1/approval-rules")) == 3  # made once, then reused
