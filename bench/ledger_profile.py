"""Python cost of one stock document in-process: calls and CPU per ``POST /api/v1/stock-documents``.

``bench/ledger.py`` measures the rate over HTTP, which moves with the machine's speed; this one
counts what does not: the Python function calls a 3-line document makes in the app (through
``app.test_client()``, so Werkzeug, Flask, flask-smorest, marshmallow, SQLAlchemy and our code,
but not gunicorn), and the process CPU per document beside it. It creates a fresh PostgreSQL
database, migrates it, seeds a warehouse clerk, 2 warehouses and 200 items with opening stock,
posts ``--warmup`` documents uncounted, then ``--docs`` documents under ``cProfile`` (for the
call count and the table of the costliest functions) and ``--docs`` more without it (for the CPU
per document), and drops the database. The documents are the ones bench/ledger.py posts.

    .venv/bin/python bench/ledger_profile.py --docs 500 --top 30 --sort tottime

Settings: ``PG_BENCH_URL`` (an admin URL), as for bench/ledger.py.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.ledger import ITEMS, OPENING_QTY, random_doc  # noqa: E402
from bench.server import ADMIN_URL, _url_for  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=500, help="documents per measurement")
    parser.add_argument("--warmup", type=int, default=100, help="uncounted documents first")
    parser.add_argument("--top", type=int, default=25, help="rows of the profile table")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="what the profile's times count: this process's CPU (default) or elapsed time",
    )
    parser.add_argument("--save", help="also write the profile to this file (pstats format)")
    args = parser.parse_args()

    dbname = f"qm_bench_{uuid.uuid4().hex[:10]}"
    url = _url_for(dbname)
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    try:
        return _profile(url, args)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def _profile(url: str, args) -> int:
    from flask_migrate import upgrade

    from api import create_app
    from inventory.db.base import db
    from inventory.services import users

    os.environ["LOG_LEVEL"] = "WARNING"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        for name, role in (("bench-admin", "admin"), ("bench", "warehouse")):
            users.create_user(None, username=name, password="bench-password-1", roles=[role])
        db.session.remove()
    client = app.test_client()

    def token(name: str) -> str:
        reply = client.post(
            "/api/v1/auth/token", json={"username": name, "password": "bench-password-1"}
        )
        assert reply.status_code == 200, reply.get_data(as_text=True)
        return reply.get_json()["access_token"]

    admin = {"Authorization": f"Bearer {token('bench-admin')}"}
    clerk = {"Authorization": f"Bearer {token('bench')}", "Content-Type": "application/json"}
    warehouses = [
        client.post(
            "/api/v1/warehouses", json={"code": f"WH{n}", "name": f"W {n}"}, headers=admin
        ).get_json()["id"]
        for n in (1, 2)
    ]
    items = [
        client.post(
            "/api/v1/items",
            json={"sku": f"B{n:04d}", "name": f"Item {n}", "unit_of_measure": "pcs"},
            headers=admin,
        ).get_json()["id"]
        for n in range(ITEMS)
    ]
    for wh in warehouses:
        lines = [{"item_id": i, "quantity": str(OPENING_QTY), "unit_cost": "2.5"} for i in items]
        reply = client.post(
            "/api/v1/stock-documents",
            json={"type": "receipt", "warehouse_id": wh, "lines": lines},
            headers={"Authorization": clerk["Authorization"]},
        )
        assert reply.status_code == 201, reply.get_data(as_text=True)

    rng = random.Random(1)
    bodies = [random_doc(rng, items, warehouses).body() for _ in range(args.warmup + 2 * args.docs)]

    def post(body: bytes) -> None:
        reply = client.post("/api/v1/stock-documents", data=body, headers=clerk)
        if reply.status_code != 201:
            raise RuntimeError(f"HTTP {reply.status_code}: {reply.get_data(as_text=True)[:300]}")

    for body in bodies[: args.warmup]:
        post(body)
    profiled, timed = bodies[args.warmup : args.warmup + args.docs], bodies[-args.docs :]

    profile = cProfile.Profile(time.process_time if args.clock == "cpu" else time.perf_counter)
    profile.enable()
    for body in profiled:
        post(body)
    profile.disable()

    before, wall = os.times(), time.perf_counter()
    for body in timed:
        post(body)
    after, wall = os.times(), time.perf_counter() - wall
    user, system = after.user - before.user, after.system - before.system

    if args.save:
        profile.dump_stats(args.save)
    stats = pstats.Stats(profile, stream=io.StringIO())
    calls = stats.total_calls / args.docs
    stats.stream = sys.stdout
    print(f"{args.docs} documents of 3 lines through app.test_client(), after {args.warmup}")
    print(f"  Python function calls per document (cProfile): {calls:,.0f}")
    print(
        f"  process CPU per document, unprofiled: {(user + system) / args.docs * 1000:.2f} ms "
        f"({user / args.docs * 1000:.2f} user, {system / args.docs * 1000:.2f} system)"
    )
    print(f"  wall time per document, unprofiled:   {wall / args.docs * 1000:.2f} ms")
    print(f"  load average {os.getloadavg()[0]:.1f}\n")
    stats.sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
