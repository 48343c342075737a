"""Procurement benchmark: supplier scoring, the approval inbox and receipts, on PostgreSQL.

``make bench-procurement`` creates a fresh database ``qm_bench_proc_<random>``, migrates it and
seeds, set-based (COPY and generate_series): 1,000 suppliers, 2,000 items, 75,000 sent orders of
2 lines, and 200,000 receipt lines over the last 14 months with their stock documents, ledger
entries and balances (a quarter of the lines delivered in
two parts, some late, some short, some rejected, 10 % of the orders in USD). Then:

- scoring: ``inventory.services.scoring.compute`` (one query, pandas) for all suppliers, median
  of 3 runs, beside the baseline: a plain ``pandas.read_sql`` of the same rows and a groupby
  mean of on-time, in-full (per line, no history) and accepted ratios per supplier;
- inbox: 10,000 submitted requests waiting for ``approver``; gunicorn on the bench database;
  ``GET /api/v1/approvals/inbox`` (page of 50) p50/p99 over 200 requests, beside ``GET
  /api/v1/warehouses`` (same auth and paging, a one-row table);
- receipts: 8 clients each post 20-line receipts (``POST /api/v1/purchase-orders/{id}/receipts``)
  on orders made by SQL, first as a warm-up that is not reported, then timed: p50/p99 and
  receipts per second beside 20-line stock receipts (``POST /api/v1/stock-documents``, the
  ledger posting underneath), three times: one client alone (what a receipt costs by itself),
  8 clients back to back (each sends as soon as its last receipt was answered: the machine's
  saturation) and 8 clients paced (each one receipt every 0.5 s on average, Poisson, latency
  from the scheduled moment).

gunicorn runs 2 x cores + 1 sync workers (``--workers``, ``--threads``; gunicorn's own rule of
thumb): each takes the next request off the shared accept queue, so 8 clients spread evenly. With
gthread workers a kept-alive connection stays with the worker that accepted it, and a worker
that got three of the eight serves them on one GIL (measured in docs/performance.md).

An endpoint the app does not have yet is reported as not available and skipped. Only 127.0.0.1
is contacted; gunicorn is stopped and the database dropped at the end. ``PG_BENCH_URL`` is the
admin URL (default ``postgresql://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.ledger import _percentile  # noqa: E402
from bench.procurement_data import (  # noqa: E402
    ITEMS,
    OPEN_REQUESTS,
    receipt_orders,
    seed_base,
    seed_open_requests,
    seed_receipts,
)
from bench.server import _flask, _free_port, _url_for, call, start_gunicorn, stop  # noqa: E402

ADMIN_URL = os.environ.get("PG_BENCH_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "bench-" + uuid.uuid4().hex
CLIENTS = 8
# The paced run: each client posts a 20-line receipt every PACE_S seconds on average (Poisson),
# 8 clients together 16 receipts (320 lines) a second: more than a mid-size warehouse's whole
# receiving team enters at its busiest, yet well under what the service sustains back to back.
PACE_S = 0.5
PACED = f"8 clients paced, one per {PACE_S:g} s each"
WARM_UP = "warm-up, 8 clients back to back"
AIM_SCORING_S, AIM_INBOX_P99_MS, AIM_RECEIPT_P99_MS = 2.0, 100.0, 50.0


# --- scoring ------------------------------------------------------------------------------------

BASELINE_SQL = """
    SELECT gr.supplier_id, gr.received_at, grl.promised_date, grl.received, grl.accepted,
           pol.quantity
    FROM goods_receipt gr
    JOIN goods_receipt_line grl ON grl.receipt_id = gr.id
    JOIN purchase_order_line pol ON pol.id = grl.po_line_id
    WHERE gr.status = 'posted' AND gr.received_at >= :start AND gr.received_at < :stop"""


def time_scoring(url: str, as_of: date) -> dict:
    from sqlalchemy import text

    from api import create_app
    from inventory.db import scoring_queries
    from inventory.db.base import db
    from inventory.domain.pricing import BASE_CURRENCY
    from inventory.domain.scoring import window
    from inventory.services import scoring
    from inventory.services.score_frame import score_frame

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
    start, end = window(as_of, 12)
    params = {
        "start": datetime.combine(start, datetime.min.time(), UTC),
        "stop": datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC),
    }

    def baseline() -> int:
        with db.engine.connect() as conn:
            frame = pd.read_sql_query(text(BASELINE_SQL), conn, params=params)
        received_on = frame["received_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
        promised = pd.to_datetime(frame["promised_date"]) + pd.Timedelta(days=2)
        frame["on_time"] = received_on <= promised
        frame["in_full"] = frame["accepted"] >= 0.95 * frame["quantity"]
        frame["accepted_ratio"] = frame["accepted"] / frame["received"]
        means = frame.groupby("supplier_id")[["on_time", "in_full", "accepted_ratio"]].mean()
        return len(means)

    timings: dict[str, list[float]] = {"scoring": [], "load": [], "baseline": []}
    with app.app_context():
        for _ in range(3):
            began = time.perf_counter()
            scored = len(scoring.compute(as_of).suppliers)
            timings["scoring"].append(time.perf_counter() - began)
            began = time.perf_counter()
            frame = scoring_queries.deliveries(start, end, BASE_CURRENCY)
            timings["load"].append(time.perf_counter() - began)
            db.session.rollback()
            began = time.perf_counter()
            grouped = baseline()
            timings["baseline"].append(time.perf_counter() - began)
        began = time.perf_counter()
        score_frame(frame, as_of)
        pandas_only = time.perf_counter() - began
        began = time.perf_counter()
        written = scoring.rescore(as_of)["suppliers_scored"]
        rescore = time.perf_counter() - began
        db.session.remove()
        db.engine.dispose()
    median = {k: statistics.median(v) for k, v in timings.items()}
    return median | {
        "rows": len(frame), "scored": scored, "grouped": grouped, "written": written,
        "pandas": pandas_only, "rescore": rescore,
    }  # fmt: skip


# --- HTTP ---------------------------------------------------------------------------------------


def _get_timings(port: int, token: str, path: str, count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    out = []
    try:
        for n in range(count + 10):  # the first 10 warm the worker up
            began = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path}: HTTP {response.status} {body[:300]!r}")
            if n >= 10:
                out.append(time.perf_counter() - began)
    finally:
        conn.close()
    return sorted(out)


def _post_jobs(port, token, index, work, pace, ready, out) -> None:
    """One client process: post ``work`` in turn on one keep-alive connection; put on ``out``
    (latencies, answer times, end of warm-up or None, errors)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    rng = random.Random(index)
    latencies, answered, errors, counted_from = [], [], [], None
    try:
        ready.wait(timeout=60)
        due = time.perf_counter()
        for n, (path, body) in enumerate(work):
            if pace is not None:
                due += rng.expovariate(1 / pace)
                time.sleep(max(0.0, due - time.perf_counter()))
            began = due if pace is not None else time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                # gunicorn closes a connection idle past its keep-alive (2 s), which a paced
                # client's longer gaps reach; the request was never read: send it again.
                conn.close()
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
            payload = response.read()
            ended = time.perf_counter()
            if response.status != 201:
                errors.append(f"HTTP {response.status} {payload[:300]!r}")
            elif n >= 2:
                latencies.append(ended - began)
                answered.append(ended)
            if n == 1:
                counted_from = ended
    finally:
        conn.close()
        out.put((latencies, answered, counted_from, errors))


def _post_in_parallel(
    port: int, token: str, jobs: list[list[tuple[str, bytes]]], pace: float | None = None
) -> tuple[list[float], float]:
    """One client process per job list; each posts its bodies in turn on one keep-alive
    connection. Returns the sorted latencies (the first two posts of each client are warm-up
    and not counted) and the rate the counted posts achieved, per second. Processes, not
    threads, as in bench-ledger: threads of one interpreter queue on its GIL and add that wait
    to what they measure.

    ``pace`` None: back to back, each post as soon as the last one answered (saturation).
    ``pace`` seconds: each client sends on its own schedule of exponentially distributed gaps
    with that mean (open loop), and a post's latency counts from its scheduled moment, so a
    post held up behind a slow one is charged for the wait (no coordinated omission)."""
    context = multiprocessing.get_context("fork")
    ready, out = context.Barrier(len(jobs) + 1), context.Queue()
    processes = [
        context.Process(target=_post_jobs, args=(port, token, i, w, pace, ready, out), daemon=True)
        for i, w in enumerate(jobs)
    ]
    for p in processes:
        p.start()
    ready.wait(timeout=60)
    results = [out.get(timeout=600) for _ in processes]
    for p in processes:
        p.join(timeout=10)
    latencies = sorted(x for r in results for x in r[0])
    answered = [x for r in results for x in r[1]]
    counted_from = [r[2] for r in results if r[2] is not None]
    errors = [e for r in results for e in r[3]]
    if errors:
        print(f"    {len(errors)} failed; first: {errors[0]}", flush=True)
    # From the moment every client is past its warm-up to the last answer (CLOCK_MONOTONIC is
    # one clock for every process).
    span = max(answered) - max(counted_from) if answered and counted_from else 0.0
    rate = len(latencies) / span if span > 0 else float("nan")
    return latencies, rate


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    return _percentile(latencies, 50) * 1000, _percentile(latencies, 99) * 1000


def _documented(port: int) -> set[str]:
    spec = call(port, "GET", "/api/openapi.json")
    return {f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m in ops}


def http_benches(
    url: str, env: dict, warehouse: int, layout: tuple[int, int], per_client: int, figures: dict
) -> list:
    rows = []
    with psycopg.connect(url, autocommit=True) as conn:
        ids = dict(conn.execute("SELECT username, id FROM app_user").fetchall())
        # A set for each run: a warm-up (not reported: every worker and its PostgreSQL backend
        # runs each statement before anything is timed), one client alone, 8 back to back, 8
        # paced.
        runs = ((CLIENTS, None, WARM_UP), (1, None, "1 client alone"),
                (CLIENTS, None, "8 clients back to back"), (CLIENTS, PACE_S, PACED))  # fmt: skip
        wanted = sum(clients for clients, _, _ in runs) * per_client
        orders = receipt_orders(conn, wanted, warehouse, ids["bench-admin"])
    port = _free_port()
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = None
        try:
            proc = start_gunicorn(env, port, *layout, log)
            token = {
                name: call(port, "POST", "/api/v1/auth/token",
                           {"username": name, "password": PASSWORD})["access_token"]
                for name in ("bench-approver", "bench-clerk")
            }  # fmt: skip
            paths = _documented(port)
            if "GET /api/v1/approvals/inbox" not in paths:
                print("  inbox endpoint not available: skipped", flush=True)
            else:
                print("  inbox: 200 GETs of a page of 50 ...", flush=True)
                page = "/api/v1/approvals/inbox?page_size=50"
                first = call(port, "GET", page, token=token["bench-approver"])
                assert len(first) == 50, f"the inbox gave {len(first)} entries, not 50"
                inbox = _percentiles(_get_timings(port, token["bench-approver"], page, 200))
                base = _get_timings(
                    port, token["bench-approver"], "/api/v1/warehouses?page_size=50", 200
                )
                base = _percentiles(base)
                label = "inbox, 10,000 open requests, page of 50 ({}) ms"
                rows.append((label.format("p50"), inbox[0], base[0], "GET /warehouses"))
                rows.append((label.format("p99"), inbox[1], base[1], "GET /warehouses"))
            receipts_path = next(
                (p for p in paths if p.startswith("POST /api/v1/purchase-orders/{")
                 and p.endswith("}/receipts")), None,
            )  # fmt: skip
            if receipts_path is None:
                print("  receipt endpoint not available: skipped", flush=True)
                return rows
            for clients, pace, name in runs:
                print(f"  receipts, {name}: {per_client} orders of 20 lines each ...",
                      flush=True)  # fmt: skip
                mine, orders = orders[: clients * per_client], orders[clients * per_client :]
                work = [
                    [
                        (f"/api/v1/purchase-orders/{order}/receipts", json.dumps({"lines": [
                            {"po_line_id": line, "received": "100", "accepted": "100",
                             "rejected": "0"} for line in lines]}).encode())
                        for order, *lines in mine[c * per_client : (c + 1) * per_client]
                    ]
                    for c in range(clients)
                ]  # fmt: skip
                posted, posted_rate = _post_in_parallel(port, token["bench-clerk"], work, pace)
                documents = [
                    [
                        ("/api/v1/stock-documents", json.dumps({
                            "type": "receipt", "warehouse_id": warehouse, "reference": "bench",
                            "lines": [{"item_id": (order * 7 + n * 13) % ITEMS + 1,
                                       "quantity": "100", "unit_cost": "2.5"}
                                      for n in range(1, 21)],
                        }).encode())
                        for order, *_ in mine[c * per_client : (c + 1) * per_client]
                    ]
                    for c in range(clients)
                ]  # fmt: skip
                ledger, ledger_rate = _post_in_parallel(port, token["bench-clerk"], documents, pace)
                if posted and ledger and name != WARM_UP:
                    got, base = _percentiles(posted), _percentiles(ledger)
                    label = f"receipt of 20 lines, {name} ({{}}) ms, n={len(posted)}"
                    rows.append((label.format("p50"), got[0], base[0], "stock receipt"))
                    rows.append((label.format("p99"), got[1], base[1], "stock receipt"))
                    rows.append((f"  receipts per second, {name}", posted_rate, ledger_rate,
                                 "stock receipt"))  # fmt: skip
                    if clients == CLIENTS:
                        figures[name] = got[1]
        except BaseException:
            log.seek(0)
            print(f"--- gunicorn log (tail) ---\n{log.read()[-3000:]}", file=sys.stderr)
            raise
        finally:
            stop(proc)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="gunicorn workers (default 2 x cores + 1, gunicorn's rule of thumb)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker (default 1: sync workers; more: gthread)",
    )
    parser.add_argument("--orders-per-client", type=int, default=42)
    args = parser.parse_args()
    if (
        not 1 <= args.workers <= 16
        or not 1 <= args.threads <= 8
        or not 3 <= args.orders_per_client <= 500
    ):
        parser.error("1-16 workers, 1-8 threads and 3-500 orders per client")
    from flask_migrate import upgrade

    from api import create_app
    from inventory.db.base import db

    dbname = f"qm_bench_proc_{uuid.uuid4().hex[:10]}"
    url = _url_for(dbname)
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "DB_POOL_SIZE": "4"}
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        conn.execute(f'CREATE DATABASE "{dbname}"')
    print(
        f"PostgreSQL {version}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"database {dbname}; gunicorn {args.workers} workers x {args.threads} threads",
        flush=True,
    )
    as_of = date.today()
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
        with app.app_context():
            upgrade()
            db.session.remove()
            db.engine.dispose()
        for name, role in (
            ("bench-admin", "admin"),
            ("bench-approver", "approver"),
            ("bench-clerk", "warehouse"),
            ("bench-buyer", "purchasing"),
        ):
            _flask(env, "users", "create", "--username", name, "--role", role,
                   "--password", PASSWORD)  # fmt: skip
        began = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as conn:
            ids = dict(conn.execute("SELECT username, id FROM app_user").fetchall())
            warehouse, centre = seed_base(conn)
            lines = seed_receipts(conn, as_of, ids["bench-admin"], warehouse)
            seed_open_requests(conn, ids["bench-buyer"], centre)
            conn.execute("ANALYZE")
            # The seed's write-ahead log is checkpointed before anything is timed, as a server
            # in steady state would have done: otherwise the runs share the cores with that
            # checkpoint, and every new WAL segment is created and zero-filled while commits
            # wait (IO:WALInitWrite, seen in runs with a p99 twice the usual).
            conn.execute("CHECKPOINT")
        print(f"  seeded {lines:,} receipt lines and {OPEN_REQUESTS:,} open requests in "
              f"{time.perf_counter() - began:.1f} s", flush=True)  # fmt: skip
        print("  scoring: 3 runs each ...", flush=True)
        s = time_scoring(url, as_of)
        rows = [
            (f"scoring {s['scored']:,} suppliers, {s['rows']:,} lines (median of 3) s",
             s["scoring"], s["baseline"], "read_sql + groupby"),
            ("  of which the one query into a frame, s", s["load"], None, ""),
            ("  of which pandas (score_frame), s", s["pandas"], None, ""),
            ("rescore-suppliers job (compute + upsert 1,000 rows) s", s["rescore"], None, ""),
        ]  # fmt: skip
        receipt_p99: dict[str, float] = {}
        layout = (args.workers, args.threads)
        rows += http_benches(url, env, warehouse, layout, args.orders_per_client, receipt_p99)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

    print(f"\nload average at the end {os.getloadavg()[0]:.1f}\n")
    print("| measure | figure | baseline | ratio |\n|---|---:|---|---:|")
    for label, figure, base, base_label in rows:
        cells = f"{base:.3f} ({base_label})" if base is not None else "-"
        ratio = f"{figure / base:.2f}x" if base else "-"
        print(f"| {label} | {figure:.3f} | {cells} | {ratio} |")
    aims = [("scoring < 2 s", s["scoring"] < AIM_SCORING_S),
            ("scoring no slower than the baseline", s["scoring"] <= s["baseline"])]  # fmt: skip
    for label, figure, *_ in rows:
        if label.startswith("inbox") and "p99" in label:
            aims.append((f"inbox p99 < {AIM_INBOX_P99_MS:g} ms", figure < AIM_INBOX_P99_MS))
    for name, p99 in receipt_p99.items():
        aims.append((f"receipt p99 < {AIM_RECEIPT_P99_MS:g} ms, {name}", p99 < AIM_RECEIPT_P99_MS))
    print("\naims: " + "; ".join(f"{a}: {'met' if ok else 'NOT met'}" for a, ok in aims))
    return 0


if __name__ == "__main__":
    sys.exit(main())
