"""Schemathesis from outside, as the fuzzer that found the spec's gaps ran it: `st run` with every
check and every phase (examples, coverage, fuzzing, stateful through the spec's links) against a
real gunicorn on a fresh database, as a user holding every role. The in-process run
(tests/api/test_schemathesis.py) cannot drive the coverage phase; this one does, with fewer
examples per operation to stay near a minute. Settings come from schemathesis.toml."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request

import pytest

from tests.e2e.test_gunicorn import BIN, ROOT, _free_port, gunicorn_on

pytestmark = pytest.mark.e2e

FUZZ_PASSWORD = "fuzz-password-1"
EVERY_ROLE = ("admin", "approver", "finance", "purchasing", "viewer", "warehouse")


def _flask(env, *args):
    done = subprocess.run(
        [BIN / "flask", "--app", "wsgi:app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout


def test_schemathesis_finds_nothing_against_a_live_server(tmp_path):
    if not (BIN / "st").exists():
        pytest.skip("schemathesis is not installed in .venv")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fuzz.sqlite3'}",
        "SECRET_KEY": "e2e-secret",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("FLASK_APP", None)
    _flask(env, "db", "upgrade")
    # Another admin first, so the generated user id 1 is not the run's own user: editing or
    # resetting that one would revoke the run's token halfway.
    _flask(
        env, "users", "create", "--username", "admin0", "--role", "admin", "--password", "x" * 12
    )
    roles = [arg for role in EVERY_ROLE for arg in ("--role", role)]
    _flask(env, "users", "create", "--username", "fuzz", "--password", FUZZ_PASSWORD, *roles)

    with gunicorn_on(env, port, tmp_path) as (base, err_path):
        login = urllib.request.Request(
            base + "/api/v1/auth/token",
            data=json.dumps({"username": "fuzz", "password": FUZZ_PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(login, timeout=15) as response:
            token = json.loads(response.read())["access_token"]
        done = subprocess.run(
            [BIN / "st", "run", "--checks", "all", "--max-examples", "5", "--no-color"]
            + ["-H", f"Authorization: Bearer {token}", f"{base}/api/openapi.json"],
            cwd=ROOT,  # schemathesis.toml
            capture_output=True,
            text=True,
            timeout=600,
        )
    summary = done.stdout[done.stdout.find("SUMMARY") :]
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
    assert "Stateful" in summary and "Coverage" in summary, summary
    assert '"status": 5' not in err_path.read_text()  # no 5xx logged by the app either
