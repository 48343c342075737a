"""Valuation curve: the valuation report now and as of a past date at about 1M, 3M and 10M ledger
rows, each beside the same answer summed in plain SQL from the beginning of time over the same
rows, in the same run, on the same database — issue 11's "at 10M rows, valuation as of a past
date still under 1 s thanks to the snapshots".

``make bench-valuation-curve`` runs, for each size in turn: a fresh ``qm_bench_curve_<random>``
at ``PG_BENCH_URL``, seeded by ``bench/seed_large.py`` with 10,000 items over ten years (the size
comes from the demand rate alone, so the report has about the same 10,000 rows at every size and
only the ledger behind it grows), every month up to the last one closed over HTTP (so each has
its snapshot), then gunicorn (``make run``'s layout) timed on ``/api/v1/reports/valuation`` now
and ``?as_of=`` a year ago (JSON, every row), and the baseline: the per item and warehouse
``SUM`` over ``stock_ledger`` before the same moment, fetched and totalled. HTTP and SQL figures
are the median of ``--repeat`` runs after one warm-up. Each line says whether both answers agree
to the cent. Each database is dropped before the next size is seeded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.reports import _midnight, timed  # noqa: E402
from bench.seed_large import ITEMS, seed_large  # noqa: E402
from bench.server import ADMIN_URL, _flask, _free_port, _url_for, call, start_gunicorn, stop  # noqa: E402

PASSWORD = "bench-curve-password"
DAYS = 3650
# Demand rates that give about 1M, 3M and 10M ledger rows over 10,000 items and ten years
# (measured on bench/reorder_data.simulate; the run prints the true count).
SIZES = {"1M": 0.0125, "3M": 0.055, "10M": 0.35}
AIM_MS = 1000
_BASELINE = """
    SELECT item_id, warehouse_id, SUM(quantity), SUM(value) FROM stock_ledger
    WHERE posted_at < %s GROUP BY item_id, warehouse_id
    HAVING SUM(quantity) <> 0 OR SUM(value) <> 0
"""


def baseline(conn, before, repeat: int) -> tuple[float, dict]:
    """ms (median after a warm-up) and totals of the per-balance sums from the first row."""

    def once():
        began = time.perf_counter()
        rows = conn.execute(_BASELINE, (before,)).fetchall()
        quantity = sum(r[2] for r in rows)
        value = sum(r[3] for r in rows)
        return (time.perf_counter() - began) * 1000, quantity, value

    once()
    runs = [once() for _ in range(repeat)]
    _, quantity, value = runs[-1]
    totals = {
        "quantity": Decimal(int(quantity)).scaleb(-3),
        "value": Decimal(int(value)).scaleb(-2),
    }
    return statistics.median(ms for ms, _, _ in runs), totals


def months(first: date, today: date) -> list[str]:
    """``YYYY-MM`` from ``first``'s month through the month before ``today``'s."""
    out, year, month = [], first.year, first.month
    while (year, month) < (today.year, today.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = year + month // 12, month % 12 + 1
    return out


def one_size(name: str, rate: float, items: int, repeat: int) -> list[dict]:
    dbname = f"qm_bench_curve_{uuid.uuid4().hex[:10]}"
    url = _url_for(dbname)
    alchemy = make_url(url).set(drivername="postgresql+psycopg").render_as_string(False)
    env = {**os.environ, "DATABASE_URL": alchemy, "LOG_LEVEL": "WARNING",
           "SERVICE_TIME_ZONE": "UTC"}  # fmt: skip
    plain = make_url(url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    proc, today = None, date.today()
    try:
        began = time.perf_counter()
        counts = seed_large(alchemy, items=items, days=DAYS, rate_scale=rate, today=today)
        rows = counts["ledger_rows"]
        print(f"{name}: seeded {rows:,} ledger rows over {items:,} items and {DAYS:,} days in "
              f"{time.perf_counter() - began:.0f} s (load {os.getloadavg()[0]:.1f})",
              flush=True)  # fmt: skip
        _flask(env, "users", "create", "--username", "bench-admin", "--role", "admin",
               "--password", PASSWORD)  # fmt: skip
        with tempfile.TemporaryFile(mode="w+") as log, psycopg.connect(plain) as conn:
            port = _free_port()
            proc = start_gunicorn(env, port, None, None, log)
            login = {"username": "bench-admin", "password": PASSWORD}
            token = call(port, "POST", "/api/v1/auth/token", login)["access_token"]
            began = time.perf_counter()
            closed = months(today - timedelta(days=DAYS), today)
            for period in closed:
                call(port, "POST", f"/api/v1/periods/{period}/close", token=token)
            print(f"{name}: closed {len(closed)} periods ({closed[0]} to {closed[-1]}) in "
                  f"{time.perf_counter() - began:.0f} s", flush=True)  # fmt: skip
            conn.execute("ANALYZE")
            year_ago = today - timedelta(days=365)
            lines = []
            for label, query, before in (
                ("now", "", _midnight(today + timedelta(days=1))),
                (f"as of {year_ago}", f"?as_of={year_ago.isoformat()}",
                 _midnight(year_ago + timedelta(days=1))),
            ):  # fmt: skip
                ms, body = timed(port, f"/api/v1/reports/valuation{query}", token, repeat)
                ours = json.loads(body)["totals"]
                sql_ms, theirs = baseline(conn, before, repeat)
                agrees = all(Decimal(str(ours[k])) == v for k, v in theirs.items())
                line = {"size": name, "rows": rows, "label": label, "http_ms": ms,
                        "sql_ms": sql_ms, "agrees": agrees, "value": theirs["value"]}  # fmt: skip
                lines.append(line)
                print(f"{name}: valuation {label}: {ms:.0f} ms over HTTP, {sql_ms:.0f} ms summed "
                      f"from the first row in SQL; {'same' if agrees else 'DIFFERENT'} totals "
                      f"({ours['value']} vs {theirs['value']}; load "
                      f"{os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
            return lines
    finally:
        stop(proc)
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def chart(lines: list[dict]) -> str:
    """The as-of lines as grouped bars per size (delivery/charts.py): the report over HTTP
    beside the SQL sum from the first row, in ms."""
    from delivery.charts import monthly_bars_svg

    bars = [
        {"month": f"{line['rows'] / 1e6:.1f}M rows", "report ms": line["http_ms"],
         "SQL sum ms": line["sql_ms"]}
        for line in lines if line["label"] != "now"
    ]  # fmt: skip
    title = "Valuation as of a year ago: report (HTTP) vs SQL sum from the first row"
    return monthly_bars_svg(title, bars, ["report ms", "SQL sum ms"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="of " + ", ".join(SIZES))
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--svg", help="also write the as-of curve as an SVG chart here")
    args = parser.parse_args()
    sizes = [s.strip() for s in args.sizes.split(",")]
    if unknown := [s for s in sizes if s not in SIZES]:
        parser.error(f"unknown sizes {unknown}; known: {', '.join(SIZES)}")
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    print(f"PostgreSQL {version}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    lines = [
        line for size in sizes for line in one_size(size, SIZES[size], args.items, args.repeat)
    ]
    print()
    print(f"{'ledger rows':>12} {'valuation':<18} {'HTTP ms':>8} {'SQL from start ms':>18} "
          f"{'ratio':>7}  same answer")  # fmt: skip
    for line in lines:
        ratio = line["sql_ms"] / line["http_ms"]
        mark = "" if line["http_ms"] < AIM_MS else "  (over the 1 s aim)"
        print(f"{line['rows']:>12,} {line['label']:<18} {line['http_ms']:8.0f} "
              f"{line['sql_ms']:18.0f} {ratio:6.1f}x  "
              f"{'yes' if line['agrees'] else 'NO'}{mark}")  # fmt: skip
    if args.svg:
        Path(args.svg).write_text(chart(lines), encoding="utf-8")
    return 0 if all(line["agrees"] for line in lines) else 1


if __name__ == "__main__":
    raise SystemExit(main())
