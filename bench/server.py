"""What the benches share to run the service: the flask CLI, gunicorn on a free 127.0.0.1 port
(in `make run`'s layout unless told otherwise), JSON calls to it, and the bench database's URL."""

from __future__ import annotations

import http.client
import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("PG_BENCH_URL", "postgresql://postgres@127.0.0.1:5432/test")


def call(port: int, method: str, path: str, body=None, token: str | None = None) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(
            method, path, body=json.dumps(body) if body is not None else None, headers=headers
        )
        response = conn.getresponse()
        payload = response.read()
    finally:
        conn.close()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: HTTP {response.status} {payload[:500]!r}")
    return json.loads(payload) if payload else {}


def _url_for(dbname: str) -> str:
    """``PG_BENCH_URL`` with another database; its query (``?host=/var/run/postgresql`` for the
    Unix socket) is kept."""
    from sqlalchemy.engine import make_url

    return make_url(ADMIN_URL).set(database=dbname).render_as_string(hide_password=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _flask(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi:app", *args],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
    )


def configured_layout() -> tuple[int, int]:
    """(workers, threads) as gunicorn.conf.py sets them, which is what `make run` serves with."""
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return conf["workers"], conf.get("threads", 1)


def start_gunicorn(
    env: dict, port: int, workers: int | None, threads: int | None, log
) -> subprocess.Popen:
    """gunicorn on ``port``; ``workers``/``threads`` None keeps gunicorn.conf.py's layout."""
    command = [sys.executable, "-m", "gunicorn"]
    if workers is not None or threads is not None:
        workers = workers or configured_layout()[0]
        threads = threads or 1
        command += ["--workers", str(workers), "--threads", str(threads)]
        command += ["--worker-class", "gthread" if threads > 1 else "sync"]
    command += ["--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", "--backlog", "512"]
    command += ["wsgi:app"]
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
    )
    # 3 minutes: on a shared 2-core machine at load 15-19 five workers took over 60 s to import
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if call(port, "GET", "/api/v1/health").get("status") == "ok":
                return proc
        except (OSError, RuntimeError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    stop(proc)
    raise RuntimeError("gunicorn did not answer /api/v1/health within 180 s")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()  # the master stops its workers
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: only what we started
        proc.wait(timeout=5)
