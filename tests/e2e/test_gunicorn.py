"""The real thing: gunicorn with two workers on PostgreSQL, driven over HTTP.

Creates a user with the CLI, logs in, makes master data, posts a receipt and an issue, reads the
balance, meets a problem+json 409 on an oversell, and checks that every response carried an
X-Request-ID which gunicorn's stderr logged exactly once as a JSON line.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import _empty_pg

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

ROOT = Path(__file__).parents[2]
BIN = ROOT / ".venv" / "bin"
START_TIMEOUT = 120  # seconds to answer /health (60 s once ran out at load 10)
CALL_TIMEOUT = 15  # seconds per HTTP call
PASSWORD = "e2e-password-123"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """A small HTTP client on urllib that remembers every request id it was given."""

    def __init__(self, base: str):
        self.base = base
        self.token: str | None = None
        self.request_ids: list[str] = []

    def call(self, method: str, path: str, body=None, headers: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if body is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=CALL_TIMEOUT) as response:
                status, got, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, got, raw = error.code, error.headers, error.read()
        request_id = got.get("X-Request-ID")
        assert request_id, f"{method} {path} answered {status} without X-Request-ID"
        self.request_ids.append(request_id)
        return status, got, (json.loads(raw) if raw else None)


@pytest.fixture
def e2e_database(pg_database):
    _empty_pg(pg_database)
    return pg_database


@pytest.fixture
def server(e2e_database, tmp_path):
    gunicorn = BIN / "gunicorn"
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed in .venv")
    env = {
        **os.environ,
        "DATABASE_URL": e2e_database,
        "LOG_LEVEL": "INFO",
        "SECRET_KEY": "e2e-secret",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("FLASK_APP", None)
    created = subprocess.run(
        [BIN / "flask", "--app", "wsgi:app", "users", "create", "--username", "e2e"]
        + ["--role", "admin", "--password", PASSWORD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr + created.stdout
    assert "Created user e2e" in created.stdout

    port = _free_port()
    err_path = tmp_path / "gunicorn.stderr"
    with open(err_path, "wb") as err, open(tmp_path / "gunicorn.stdout", "wb") as out:
        process = subprocess.Popen(
            [gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
    client = Client(f"http://127.0.0.1:{port}")
    try:
        _wait_for_health(client, process, err_path)
        yield client, process, err_path
    finally:
        _stop(process)


def _wait_for_health(client: Client, process: subprocess.Popen, err_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{err_path.read_text()}")
        try:
            status, _, body = client.call("GET", "/api/v1/health")
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last = repr(exc)
            time.sleep(0.2)
            continue
        if status == 200 and body["status"] == "ok":
            return
        last = f"{status} {body}"
        time.sleep(0.2)
    # Its own log says why (a slow start, a port taken, a failed migration check).
    pytest.fail(
        f"gunicorn did not answer /api/v1/health in {START_TIMEOUT}s (last: {last}); "
        f"its log ends:\n{err_path.read_text()[-3000:]}"
    )


def _stop(process: subprocess.Popen) -> None:
    """Stop gunicorn (its master stops the workers); kill it if it hangs past 20 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def gunicorn_on(env: dict, port: int, tmp_path: Path, workers: int = 2):
    """gunicorn serving ``wsgi:app`` with ``env`` on 127.0.0.1:``port`` until the block ends;
    yields its base URL and the path of its stderr (the app's JSON log lines)."""
    err_path = tmp_path / "gunicorn.stderr"
    with open(err_path, "wb") as err:
        process = subprocess.Popen(
            [BIN / "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
            + ["--graceful-timeout", "5", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(Client(base), process, err_path)
        yield base, err_path
    finally:
        _stop(process)


def test_gunicorn_serves_the_api_on_postgresql(server):
    client, process, err_path = server

    status, _, body = client.call(
        "POST", "/api/v1/auth/token", {"username": "e2e", "password": PASSWORD}
    )
    assert status == 200, body
    client.token = body["access_token"]

    status, _, warehouse = client.call(
        "POST", "/api/v1/warehouses", {"code": "E2E", "name": "End-to-end"}
    )
    assert status == 201, warehouse
    status, _, item = client.call(
        "POST",
        "/api/v1/items",
        {"sku": "E2E-1", "name": "Hex bolt M8", "unit_of_measure": "pcs"},
    )
    assert status == 201, item
    wh, item_id = warehouse["id"], item["id"]

    status, _, receipt = client.call(
        "POST",
        "/api/v1/stock-documents",
        {
            "type": "receipt",
            "warehouse_id": wh,
            "lines": [{"item_id": item_id, "quantity": "10", "unit_cost": "2.50"}],
        },
        headers={"Idempotency-Key": "e2e-receipt-1"},
    )
    assert status == 201, receipt
    assert receipt["status"] == "posted"
    status, _, issue = client.call(
        "POST",
        "/api/v1/stock-documents",
        {"type": "issue", "warehouse_id": wh, "lines": [{"item_id": item_id, "quantity": "4"}]},
        headers={"X-Request-ID": "e2e-issue-1"},
    )
    assert status == 201, issue
    assert client.request_ids[-1] == "e2e-issue-1"  # a safe incoming id is kept

    status, _, balances = client.call("GET", f"/api/v1/stock-balances?item_id={item_id}")
    assert status == 200
    assert balances == [
        {"item_id": item_id, "warehouse_id": wh, "quantity": "6.000", "value": "15.00"}
    ]

    status, headers, problem = client.call(
        "POST",
        "/api/v1/stock-documents",
        {"type": "issue", "warehouse_id": wh, "lines": [{"item_id": item_id, "quantity": "7"}]},
    )
    assert status == 409
    assert headers["Content-Type"].startswith("application/problem+json")
    assert problem["status"] == 409 and problem["code"] == "insufficient_stock"
    assert problem["title"] and problem["detail"] and problem["type"]

    status, _, balances = client.call("GET", f"/api/v1/stock-balances?item_id={item_id}")
    assert balances[0]["quantity"] == "6.000"  # the refused issue changed nothing

    status, _, problem = client.call("GET", "/api/v1/items")
    assert status == 200
    client.token = None
    status, headers, problem = client.call("GET", "/api/v1/items")
    assert status == 401
    assert headers["Content-Type"].startswith("application/problem+json")

    _stop(process)  # flushes every worker's log before we read it
    logged: dict[str, int] = {}
    for line in err_path.read_text().splitlines():
        if not line.startswith("{"):
            continue  # gunicorn's own start/stop lines
        entry = json.loads(line)
        if entry.get("logger") != "quartermaster.request":
            continue
        assert entry["request_id"] and entry["method"] and entry["status"]
        if entry["request_id"] not in client.request_ids:
            # Only a start-up health poll the client gave up waiting for may go unanswered.
            assert entry["path"] == "/api/v1/health", entry
        logged[entry["request_id"]] = logged.get(entry["request_id"], 0) + 1
    assert len(set(client.request_ids)) == len(client.request_ids)  # one id per response
    assert set(client.request_ids) <= set(logged)
    assert all(count == 1 for count in logged.values()), logged
