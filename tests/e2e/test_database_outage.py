"""A PostgreSQL that stops and starts under the running app.

While the database is down every request is a 503 problem+json with ``Retry-After`` (never a 500),
the health check names the database; once it is back the same app (the same pool) serves again.
Under steady posting with Idempotency-Key retries a restart loses and duplicates nothing.

The tests run their own throwaway cluster (initdb into a temporary directory, a free port) so that
stopping it disturbs nobody: the shared server at 127.0.0.1:5432 is never touched. Without the
PostgreSQL server binaries the tests skip, except under CI=true, where they must run.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from api import create_app
from inventory.db.base import db
from inventory.services import users
from tests.api.helpers import assert_problem
from tests.conftest import _migrated_app
from tests.e2e.test_gunicorn import _stop

# One cluster per module, so both tests must run in the same xdist worker.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("database-outage")]

ROOT = Path(__file__).parents[2]
BIN = ROOT / ".venv" / "bin"
PASSWORD = "outage-password-1"
CALL_TIMEOUT = 15  # seconds per HTTP call
WAIT = 20  # seconds for anything the tests wait on (server start, an outage to show)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return versions[-1].parent if versions else None


class Cluster:
    """A PostgreSQL cluster of our own in a temporary directory, on a free port."""

    def __init__(self, bindir: Path, root: Path, as_postgres: bool):
        self.bindir, self.root, self.port = bindir, root, _free_port()
        self.data = root / "data"
        self._prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []

    def _run(self, tool: str, *args: str, check: bool = True) -> None:
        done = subprocess.run(
            [*self._prefix, str(self.bindir / tool), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0 or not check, f"{tool} {args}: {done.stdout}{done.stderr}"

    def init(self) -> None:
        args = ("-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        self._run("initdb", "-D", str(self.data), *args)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self.root / "log")
        self._run(
            "pg_ctl", "-D", str(self.data), "-w", "-t", str(WAIT), "-l", log, "-o", options, "start"
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", str(WAIT), "-m", mode, "stop")

    def discard(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def database(self, name: str) -> str:
        """A fresh migrated database, copied from the template migrated once."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE qm_template')
        return self.url(name)


@pytest.fixture(scope="module")
def cluster():
    bindir = _postgres_bin()
    if bindir is None:
        _cannot_run("initdb is not installed (the PostgreSQL server binaries)")
    as_postgres = os.geteuid() == 0  # initdb refuses to run as root
    if as_postgres:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _cannot_run("running as root, and there is no postgres user to run initdb as")
    # Not under pytest's tmp_path: its parents are private to root, and the server runs as
    # postgres.
    root = Path(tempfile.mkdtemp(prefix="qm-outage-"))
    if as_postgres:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    pg = Cluster(bindir, root, as_postgres)
    try:
        pg.init()
        pg.start()
        with psycopg.connect(pg.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE qm_template")
        _migrated_app(pg.url("qm_template"))
        yield pg
    finally:
        pg.discard()


def _cannot_run(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true, but {reason}")
    pytest.skip(reason)


def _wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {WAIT}s for {what}")
        time.sleep(0.05)


def _assert_unavailable(response) -> None:
    body = assert_problem(response, 503, "database_unavailable")
    retry_after = response.headers.get("Retry-After", "")
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 10, retry_after
    assert "Idempotency-Key" in body["detail"] and "retry" in body["detail"].lower(), body


def _receipt(warehouse: int, item: int, quantity: int) -> dict:
    return {
        "type": "receipt",
        "warehouse_id": warehouse,
        "lines": [{"item_id": item, "quantity": str(quantity), "unit_cost": "2.50"}],
    }


def _seed_user(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        users.create_user(None, username="outage", password=PASSWORD, roles=["admin"])
        db.session.remove()
        db.engine.dispose()


def test_while_the_database_is_down_requests_are_503_and_the_same_app_serves_once_it_is_back(
    cluster,
):
    url = cluster.database("flask_client")
    _seed_user(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "LOG_LEVEL": "CRITICAL"})
    client = app.test_client()
    try:
        login = {"username": "outage", "password": PASSWORD}
        token = client.post("/api/v1/auth/token", json=login).get_json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        warehouse = client.post(
            "/api/v1/warehouses", json={"code": "W", "name": "W"}, headers=headers
        ).get_json()["id"]
        item = client.post(
            "/api/v1/items",
            json={"sku": "S", "name": "S", "unit_of_measure": "pcs"},
            headers=headers,
        ).get_json()["id"]
        keyed = {**headers, "Idempotency-Key": "during-the-outage"}
        health = client.get("/api/v1/health")
        assert health.status_code == 200
        assert health.get_json()["dependencies"]["database"] == {"status": "ok", "required": True}

        cluster.stop()
        # Twice each: the first call meets the pool's dropped connections, the second a pool
        # that has none.
        for _ in range(2):
            _assert_unavailable(client.get("/api/v1/warehouses", headers=headers))
            _assert_unavailable(client.post("/api/v1/auth/token", json=login))
            _assert_unavailable(
                client.post(
                    "/api/v1/stock-documents", json=_receipt(warehouse, item, 3), headers=keyed
                )
            )
            health = client.get("/api/v1/health")
            assert health.status_code == 503
            assert health.headers["Retry-After"].isdigit()
            body = health.get_json()
            assert body["status"] == "unavailable"
            database = body["dependencies"]["database"]
            assert database["status"] == "down" and database["required"] is True
            assert "127.0.0.1" not in database["detail"]  # public: no addresses

        cluster.start()
        assert client.get("/api/v1/warehouses", headers=headers).status_code == 200
        assert client.post("/api/v1/auth/token", json=login).status_code == 200
        first = client.post(
            "/api/v1/stock-documents", json=_receipt(warehouse, item, 3), headers=keyed
        )
        again = client.post(
            "/api/v1/stock-documents", json=_receipt(warehouse, item, 3), headers=keyed
        )
        assert first.status_code == again.status_code == 201, first.get_data(as_text=True)
        assert first.get_json()["id"] == again.get_json()["id"]
        balances = client.get(f"/api/v1/stock-balances?item_id={item}", headers=headers)
        assert [b["quantity"] for b in balances.get_json()] == ["3.000"]
        health = client.get("/api/v1/health")
        assert health.status_code == 200 and health.get_json()["status"] == "ok"
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


class Poster:
    """One client posting receipts steadily, each under its own Idempotency-Key, and retrying a
    key on 503 after Retry-After until it is recorded: what a well-behaved client does."""

    def __init__(self, base: str, token: str, name: str, warehouse: int, item: int):
        self.base, self.token, self.name = base, token, name
        self.warehouse, self.item = warehouse, item
        self.statuses: list[int] = []
        self.failures: list[str] = []
        self.recorded: dict[str, int] = {}  # key -> quantity
        self.ids: set[int] = set()

    def post(self, key: str, quantity: int) -> tuple[int, dict, dict]:
        body = json.dumps(_receipt(self.warehouse, self.item, quantity)).encode()
        request = urllib.request.Request(
            self.base + "/api/v1/stock-documents", data=body, method="POST"
        )
        request.add_header("Content-Type", "application/json")
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Idempotency-Key", key)
        try:
            with urllib.request.urlopen(request, timeout=CALL_TIMEOUT) as response:
                return response.status, response.headers, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.headers, json.loads(error.read() or b"{}")

    def run(self, stop: threading.Event) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            key, quantity = f"{self.name}-{n}", n % 5 + 1
            while True:
                try:
                    status, headers, body = self.post(key, quantity)
                except OSError as error:  # a dropped connection would also be a failure
                    self.failures.append(f"{key}: {error!r}")
                    return
                self.statuses.append(status)
                if status == 201:
                    self.recorded[key] = quantity
                    self.ids.add(body["id"])
                    break
                if status != 503:
                    self.failures.append(f"{key}: {status} {body}")
                    return
                time.sleep(int(headers["Retry-After"]))


def _start_gunicorn(url: str, log_dir: Path) -> tuple[subprocess.Popen, str]:
    gunicorn = BIN / "gunicorn"
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed in .venv")
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "SECRET_KEY": "outage"}
    env.pop("FLASK_APP", None)
    port = _free_port()
    with open(log_dir / "gunicorn.stderr", "wb") as err:
        process = subprocess.Popen(
            # --preload: the app is imported once, not once per worker (it opens no connection
            # before the fork).
            [gunicorn, "-w", "2", "--preload", "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    return process, f"http://127.0.0.1:{port}"


def _call(base: str, method: str, path: str, body=None, token: str | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=CALL_TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _healthy(base: str) -> bool:
    try:
        return _call(base, "GET", "/api/v1/health")[0] == 200
    except OSError:
        return False


def test_a_restart_under_steady_posting_answers_no_500_and_loses_or_duplicates_nothing(
    cluster, tmp_path
):
    url = cluster.database("gunicorn")
    _seed_user(url)
    process, base = _start_gunicorn(url, tmp_path)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        _wait_until(lambda: process.poll() is None and _healthy(base), "gunicorn to answer")
        _, login = _call(
            base, "POST", "/api/v1/auth/token", {"username": "outage", "password": PASSWORD}
        )
        token = login["access_token"]
        _, warehouse = _call(base, "POST", "/api/v1/warehouses", {"code": "W", "name": "W"}, token)
        _, item = _call(
            base,
            "POST",
            "/api/v1/items",
            {"sku": "S", "name": "S", "unit_of_measure": "pcs"},
            token,
        )
        posters = [Poster(base, token, f"p{i}", warehouse["id"], item["id"]) for i in range(2)]
        threads += [threading.Thread(target=p.run, args=(stop,)) for p in posters]
        for thread in threads:
            thread.start()

        def each_recorded(count: int) -> bool:
            return all(len(p.recorded) >= count or p.failures for p in posters)

        _wait_until(lambda: each_recorded(5), "posting to get going")
        cluster.stop()
        _wait_until(lambda: any(503 in p.statuses or p.failures for p in posters), "a 503")
        assert [f for p in posters for f in p.failures] == []
        before_restart = {p.name: len(p.recorded) for p in posters}
        cluster.start()
        _wait_until(
            lambda: all(
                len(p.recorded) >= before_restart[p.name] + 5 or p.failures for p in posters
            ),
            "posting to resume after the restart",
        )
        stop.set()
        for thread in threads:
            thread.join(timeout=WAIT)
        assert [f for p in posters for f in p.failures] == []
        statuses = {s for p in posters for s in p.statuses}
        assert statuses == {201, 503}
        status, balances = _call(
            base, "GET", f"/api/v1/stock-balances?item_id={item['id']}", token=token
        )
        assert status == 200
        keys = {key: q for p in posters for key, q in p.recorded.items()}
        assert [Decimal(b["quantity"]) for b in balances] == [Decimal(sum(keys.values()))]
        assert _call(base, "GET", "/api/v1/health") == (
            200,
            {"status": "ok", "dependencies": {"database": {"status": "ok", "required": True}}},
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=WAIT)
        _stop(process)

    # One document per key, whatever the retries; the ledger and the balance agree.
    assert len(set().union(*(p.ids for p in posters))) == len(keys)
    with psycopg.connect(url) as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM stock_document), (SELECT count(*) FROM stock_ledger), "
            "(SELECT count(*) FROM idempotency_key), (SELECT sum(quantity) FROM stock_ledger), "
            "(SELECT sum(quantity) FROM stock_balance)"
        ).fetchone()
    assert counts[:3] == (len(keys),) * 3
    assert counts[3] == counts[4]
