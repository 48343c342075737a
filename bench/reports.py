"""Reports benchmark: the reports over HTTP on about a million ledger rows, each beside the same
answer computed the way ERPNext-style reports do it — every ledger row loaded into pandas
(``pd.read_sql``) and grouped in Python — in the same run, on the same database.

``make bench-reports`` creates ``qm_bench_reports_<random>`` at ``PG_BENCH_URL`` (admin URL),
seeds it with ``bench/seed_large.py`` (10,000 items, 3 years, ~1M ledger rows; ``--items``
changes it), creates an admin with the CLI, starts gunicorn (``make run``'s layout) on a free
127.0.0.1 port and times, as finance would ask for them (the whole report as CSV, or the KPI
JSON): ageing, a 12-month spend report, COGS over those months, the KPIs over them, and the
valuation now and as of a year ago when ``/api/v1/reports/valuation`` exists (skipped with a
message otherwise). HTTP figures are the median of ``--repeat`` calls after one warm-up; the
pandas figure is one run including its ``read_sql``. Each line says whether both answers agree
(totals to the cent; ageing bucket quantities to the unit). The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import psycopg
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.seed_large import ITEMS, seed_large  # noqa: E402
from bench.server import ADMIN_URL, _flask, _free_port, _url_for, call, start_gunicorn, stop  # noqa: E402

PASSWORD = "bench-reports-password"
AIM_MS = 1000
AGE_DAYS = (30, 90, 180, 365)


@dataclass
class Line:
    name: str
    http_ms: float | None
    pandas_ms: float
    agrees: bool | None
    detail: str


def get(port: int, path: str, token: str) -> tuple[float, bytes]:
    """ms and body of one GET (the whole body read)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    began = time.perf_counter()
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    ms = (time.perf_counter() - began) * 1000
    if response.status == 404:
        raise LookupError(path)
    if response.status >= 300:
        raise RuntimeError(f"GET {path}: HTTP {response.status} {body[:500]!r}")
    return ms, body


def timed(port: int, path: str, token: str, repeat: int) -> tuple[float, bytes]:
    get(port, path, token)  # warm-up: connections, caches, the first query plan
    runs = [get(port, path, token) for _ in range(repeat)]
    return statistics.median(ms for ms, _ in runs), runs[-1][1]


def csv_totals(body: bytes) -> dict[str, str]:
    """The ``Total`` row of a report CSV (delivery/exports.report_csv_chunks) by column key."""
    lines = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    total = next(line for line in lines if line and line[0] == "Total")
    return dict(zip(lines[0], total, strict=False))


def csv_sums(body: bytes) -> dict[str, Decimal]:
    """Quantity column sums of the ageing file: its ``Total`` row when it has one (since
    d5f7dc1), else the sums of its rows."""
    if b"\nTotal," in body:
        totals = csv_totals(body)
        return {k: Decimal(v) for k, v in totals.items() if k.startswith("qty_") or k == "quantity"}
    frame = pd.read_csv(io.BytesIO(body), dtype=str)
    return {k: sum((Decimal(v) for v in frame[k].dropna()), Decimal(0))
            for k in frame.columns if k.startswith("qty_") or k == "quantity"}  # fmt: skip


def pandas_ms(fn):
    began = time.perf_counter()
    answer = fn()
    return (time.perf_counter() - began) * 1000, answer


def _read(engine, sql: str, **params) -> pd.DataFrame:
    from sqlalchemy import text

    with engine.connect() as conn:
        return pd.read_sql(text(sql), conn, params=params)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


# --- the answers in pandas ---------------------------------------------------------------------


def ageing_pandas(engine, today: date) -> dict:
    """Bucket quantities: on hand attributed to the newest receipts (the rule of
    inventory/db/health_queries.py), aged by receipt date."""
    rows = _read(engine, """
        SELECT l.id, l.item_id, l.warehouse_id, l.quantity, l.posted_at, l.reversal, d.status
        FROM stock_ledger l JOIN stock_document d ON d.id = l.document_id""")  # fmt: skip
    on_hand = rows.groupby(["item_id", "warehouse_id"])["quantity"].sum().rename("on_hand")
    receipts = rows[(rows["quantity"] > 0) & ~rows["reversal"] & (rows["status"] != "cancelled")]
    receipts = receipts.sort_values(
        ["item_id", "warehouse_id", "posted_at", "id"], ascending=[True, True, False, False]
    ).join(on_hand, on=["item_id", "warehouse_id"])
    receipts = receipts[receipts["on_hand"] > 0]
    upto = receipts.groupby(["item_id", "warehouse_id"])["quantity"].cumsum()
    receipts["kept"] = (receipts["on_hand"] - (upto - receipts["quantity"])).clip(
        lower=0, upper=receipts["quantity"]
    )
    cuts = [pd.Timestamp(_midnight(today - timedelta(days=d))) for d in AGE_DAYS]
    posted = pd.to_datetime(receipts["posted_at"], utc=True)
    totals, newer = {}, None
    for name, cut in zip(("0_30", "31_90", "91_180", "181_365"), cuts, strict=True):
        mask = posted >= cut if newer is None else (posted >= cut) & (posted < newer)
        totals[f"qty_{name}"] = Decimal(int(receipts.loc[mask, "kept"].sum())).scaleb(-3)
        newer = cut
    total = Decimal(int(on_hand[on_hand > 0].sum())).scaleb(-3)
    totals["qty_over_365"] = total - sum(totals.values())
    totals["quantity"] = total
    return totals


def spend_pandas(engine, start: datetime, stop: datetime) -> dict:
    received = _read(engine, """
        SELECT l.value, l.posted_at FROM stock_ledger l
        JOIN goods_receipt r ON r.stock_document_id = l.document_id""")  # fmt: skip
    posted = pd.to_datetime(received["posted_at"], utc=True)
    inside = received[(posted >= start) & (posted < stop)]
    by_month = inside.groupby(posted[inside.index].dt.strftime("%Y-%m"))["value"].sum()
    ordered = _read(engine, """
        SELECT ol.quantity, ol.cancelled_quantity, ol.unit_price, o.exchange_rate, o.sent_at
        FROM purchase_order_line ol JOIN purchase_order o ON o.id = ol.order_id
        WHERE o.status <> 'cancelled' AND o.sent_at IS NOT NULL""")  # fmt: skip
    sent = pd.to_datetime(ordered["sent_at"], utc=True)
    ordered = ordered[(sent >= start) & (sent < stop)]
    # raw integers: quantity x1000, price x10^4, rate x10^6 -> cents
    raw = (ordered["quantity"] - ordered["cancelled_quantity"]) * ordered["unit_price"]
    cents = (raw.astype(object) * ordered["exchange_rate"].astype(object)).sum() // 10**11
    return {
        "received": Decimal(int(by_month.sum())).scaleb(-2),
        "ordered": Decimal(int(cents)).scaleb(-2),
    }


def cogs_pandas(engine, start: datetime, stop: datetime) -> dict:
    rows = _read(engine, """
        SELECT l.quantity, l.value, l.posted_at, d.type FROM stock_ledger l
        JOIN stock_document d ON d.id = l.document_id""")  # fmt: skip
    posted = pd.to_datetime(rows["posted_at"], utc=True)
    issues = rows[(rows["type"] == "issue") & (posted >= start) & (posted < stop)]
    by_month = issues.groupby(posted[issues.index].dt.strftime("%Y-%m"))[["quantity", "value"]]
    summed = by_month.sum().sum()
    return {
        "quantity": Decimal(int(-summed["quantity"])).scaleb(-3),
        "value": Decimal(int(-summed["value"])).scaleb(-2),
    }


def kpis_pandas(engine, start: datetime, stop: datetime) -> dict:
    rows = _read(engine, """
        SELECT l.value, l.posted_at, d.type, d.source FROM stock_ledger l
        JOIN stock_document d ON d.id = l.document_id""")  # fmt: skip
    posted = pd.to_datetime(rows["posted_at"], utc=True)
    issues = (rows["type"] == "issue") & ~rows["source"].str.startswith("supplier_return:")
    used = -rows.loc[issues & (posted >= start) & (posted < stop), "value"].sum()
    return {
        "opening_stock_value": Decimal(int(rows.loc[posted < start, "value"].sum())).scaleb(-2),
        "closing_stock_value": Decimal(int(rows.loc[posted < stop, "value"].sum())).scaleb(-2),
        "cost_of_goods_consumed": Decimal(int(used)).scaleb(-2),
    }


def valuation_pandas(engine, before: datetime | None) -> dict:
    rows = _read(
        engine, "SELECT item_id, warehouse_id, quantity, value, posted_at FROM stock_ledger"
    )
    if before is not None:
        rows = rows[pd.to_datetime(rows["posted_at"], utc=True) < before]
    per = rows.groupby(["item_id", "warehouse_id"])[["quantity", "value"]].sum()
    return {
        "quantity": Decimal(int(per["quantity"].sum())).scaleb(-3),
        "value": Decimal(int(per["value"].sum())).scaleb(-2),
    }


# --- the run -----------------------------------------------------------------------------------


def _agree(ours: dict, theirs: dict) -> tuple[bool, str]:
    differing = {
        k: (ours.get(k), str(v)) for k, v in theirs.items() if Decimal(str(ours.get(k))) != v
    }
    shown = ", ".join(f"{k} {v}" for k, v in list(theirs.items())[:3])
    return not differing, (shown if not differing else f"differ: {differing}")


def measure(port: int, token: str, engine, repeat: int, today: date) -> list[Line]:
    first = date(today.year - (today.month <= 11), (today.month - 12) % 12 + 1, 1)
    start, stop = _midnight(first), _midnight(today + timedelta(days=1))
    window = f"from={first.isoformat()}&to={today.isoformat()}"
    lines = []

    def report(name, path, theirs_fn, ours_of):
        ms, body = timed(port, path, token, repeat)
        p_ms, theirs = pandas_ms(theirs_fn)
        agrees, detail = _agree(ours_of(body), theirs)
        lines.append(Line(name, ms, p_ms, agrees, detail))
        print(f"  {name}: {ms:.0f} ms over HTTP, {p_ms:.0f} ms in pandas; "
              f"{'same answer' if agrees else 'DIFFERENT'} ({detail})", flush=True)  # fmt: skip

    r = "/api/v1/reports"
    report("ageing (CSV, every item)", f"{r}/ageing?format=csv",
           lambda: ageing_pandas(engine, today), csv_sums)  # fmt: skip
    report("spend, 12 months (CSV, all dimensions)", f"{r}/spend?{window}&format=csv",
           lambda: spend_pandas(engine, start, stop), csv_totals)  # fmt: skip
    report("COGS, 12 months (CSV, all dimensions)", f"{r}/cogs?{window}&format=csv",
           lambda: cogs_pandas(engine, start, stop), csv_totals)  # fmt: skip
    report("KPIs, 12 months (JSON)", f"{r}/kpis?{window}",
           lambda: kpis_pandas(engine, start, stop),
           lambda body: json.loads(body)["totals"])  # fmt: skip

    year_ago = today - timedelta(days=365)
    for label, query, before in (
        ("valuation now", "", None),
        (f"valuation as of {year_ago}", f"?as_of={year_ago.isoformat()}",
         _midnight(year_ago + timedelta(days=1))),
    ):  # fmt: skip
        try:
            # not paged: every row of the report in one JSON body, with its totals
            report(f"{label} (JSON, every row)", f"{r}/valuation{query}",
                   lambda before=before: valuation_pandas(engine, before),
                   lambda body: json.loads(body)["totals"])  # fmt: skip
        except LookupError:
            print(f"  {label}: skipped, /api/v1/reports/valuation does not exist in this "
                  "build (issue 11, branch valuation)", flush=True)  # fmt: skip
            lines.append(Line(label, None, 0.0, None, "no endpoint"))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    dbname = f"qm_bench_reports_{uuid.uuid4().hex[:10]}"
    url = _url_for(dbname)
    alchemy = make_url(url).set(drivername="postgresql+psycopg").render_as_string(False)
    env = {**os.environ, "DATABASE_URL": alchemy, "LOG_LEVEL": "WARNING",
           "SERVICE_TIME_ZONE": "UTC"}  # fmt: skip
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        conn.execute(f'CREATE DATABASE "{dbname}"')
    print(f"PostgreSQL {version}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; database {dbname}", flush=True)  # fmt: skip
    proc, engine = None, create_engine(alchemy)
    try:
        began = time.perf_counter()
        counts = seed_large(alchemy, items=args.items)
        print(f"  seeded {counts['ledger_rows']:,} ledger rows over {counts['items']:,} items in "
              f"{time.perf_counter() - began:.1f} s", flush=True)  # fmt: skip
        _flask(env, "users", "create", "--username", "bench-admin", "--role", "admin",
               "--password", PASSWORD)  # fmt: skip
        with tempfile.TemporaryFile(mode="w+") as log:
            port = _free_port()
            proc = start_gunicorn(env, port, None, None, log)
            login = {"username": "bench-admin", "password": PASSWORD}
            token = call(port, "POST", "/api/v1/auth/token", login)["access_token"]
            lines = measure(port, token, engine, args.repeat, date.today())
        print()
        print(f"{'report':<44} {'HTTP ms':>8} {'pandas ms':>10} {'ratio':>7}  same answer")
        for line in lines:
            if line.http_ms is None:
                print(f"{line.name:<44} {'skipped':>8}")
                continue
            ratio = line.pandas_ms / line.http_ms
            mark = "" if line.http_ms < AIM_MS else "  (over the 1 s aim)"
            print(f"{line.name:<44} {line.http_ms:8.0f} {line.pandas_ms:10.0f} {ratio:6.1f}x  "
                  f"{'yes' if line.agrees else 'NO'}{mark}")  # fmt: skip
        return 0 if all(line.agrees is not False for line in lines) else 1
    finally:
        stop(proc)
        engine.dispose()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


if __name__ == "__main__":
    raise SystemExit(main())
