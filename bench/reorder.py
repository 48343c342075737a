"""Reorder run benchmark: a full run end to end on PostgreSQL, and how its time grows.

``make bench-forecast`` runs it after the accuracy bench. It creates a fresh database
``qm_bench_reorder_<random>``, migrates it and seeds (``bench/reorder_data.py``, numpy and COPY)
2,500 items in 4 warehouses: 10,000 item-warehouses with three years of daily issues and receipts
(about 4.4 million ledger rows), suppliers with lead times, MOQ and pack sizes. Then it times:

- ``inventory.services.replenishment.run_reorder`` in-process (history query, classification,
  model choice, forecasts, policy, suggestions written) for 1,000 and 10,000 item-warehouses
  (the others made inactive), weekly buckets as the default settings say;
- the same 10,000 fanned out over two Celery worker processes (Redis at ``REDIS_BENCH_URL``,
  default ``redis://127.0.0.1:6379/15``), when Redis answers;
- ``forecasting.forecast`` alone on 100,000 weekly series (the 10,000 repeated with noise);
- the baseline, in the same run: a per-item statsmodels loop (``ETSModel`` fit and a forecast
  with its prediction interval, per series) on a sample of 100 series, scaled to 10,000.

Aim: under 60 s end to end for 10,000. ``--items`` changes the size. Only 127.0.0.1 is
contacted; the database is dropped at the end, unless ``--keep`` (it is named then), and
``--database NAME`` times runs on such a kept database instead of seeding one (seeding takes
8-15 minutes on 2 cores), so two versions of the code can be timed on the same rows; each run
takes a run date of this month not used before there. ``--skip`` leaves out steps.
``PG_BENCH_URL`` is the admin URL.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import uuid
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.reorder_data import WAREHOUSES, seed  # noqa: E402
from bench.server import _url_for  # noqa: E402

ADMIN_URL = os.environ.get("PG_BENCH_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("REDIS_BENCH_URL", "redis://127.0.0.1:6379/15")
AIM_S = 60.0
SAMPLE = 100


def _app(url: str, broker: str = ""):
    from api import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING", "CELERY_BROKER_URL": broker}
    )


def _activate(url: str, items: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE item SET active = (id <= %s)", (items,))


def timed_run(url: str, items: int, run_date: date, broker: str = "") -> tuple[float, dict]:
    """One reorder run over the first ``items`` items (x warehouses); seconds and the run."""
    from inventory.services.replenishment import run_reorder

    _activate(url, items)
    app = _app(url, broker)
    with app.app_context():
        cpu, began = _cpu_seconds(), time.perf_counter()
        run = run_reorder(None, run_date=run_date)
        seconds = time.perf_counter() - began
        run["bench_cpu_seconds"] = _cpu_seconds() - cpu
        return seconds, run


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the chunk and statsforecast pools;
    not PostgreSQL's, not Celery workers')."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def weekly_history(url: str, items: int) -> pd.DataFrame:
    """The weekly demand of the first ``items`` items, as the run reads it."""
    from inventory.db.demand_queries import demand_history

    app = _app(url)
    with app.app_context():
        end = date.today()
        return demand_history(freq="W", start=date(end.year - 3, end.month, 1), end=end,
                              item_ids=list(range(1, items + 1)))  # fmt: skip


def statsmodels_loop(history: pd.DataFrame, horizon: int) -> tuple[float, int]:
    """The per-item baseline: seconds for SAMPLE series, one ETS fit and forecast each."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    keys = history[["item_id", "warehouse_id"]].drop_duplicates().head(SAMPLE)
    began = time.perf_counter()
    for key in keys.itertuples(index=False):
        mask = (history["item_id"] == key.item_id) & (history["warehouse_id"] == key.warehouse_id)
        y = pd.Series(history.loc[mask, "qty"].to_numpy(dtype=float))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ETSModel(y, error="add").fit(disp=False)
            fit.get_prediction(start=len(y), end=len(y) + horizon - 1).summary_frame(alpha=0.05)
    return time.perf_counter() - began, len(keys)


def forecasting_alone(history: pd.DataFrame, copies: int, horizon: int) -> tuple[float, int]:
    """``forecasting.forecast`` on the history repeated ``copies`` times with noise."""
    import forecasting

    rng = np.random.default_rng(5)
    series_id = history["item_id"].astype(str) + "@" + history["warehouse_id"].astype(str)
    base = history.assign(item_id=series_id)[["item_id", "period", "qty"]]
    frames = []
    for copy in range(copies):
        noisy = rng.poisson(base["qty"].to_numpy() * rng.uniform(0.8, 1.2))
        frames.append(base.assign(item_id=base["item_id"] + f"#{copy}", qty=noisy))
    big = pd.concat(frames, ignore_index=True)
    began = time.perf_counter()
    forecasting.forecast(big, horizon=horizon, freq="W")
    return time.perf_counter() - began, big["item_id"].nunique()


def _celery_workers(url: str, broker: str) -> list[subprocess.Popen]:
    env = {**os.environ, "DATABASE_URL": url, "CELERY_BROKER_URL": broker,
           "LOG_LEVEL": "WARNING"}  # fmt: skip
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker",
                "worker",
                "--concurrency",
                "1",
                "-n",
                f"bench{n}@%h",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for n in (1, 2)
    ]


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2_500, help="items (x4 warehouses)")
    parser.add_argument("--copies", type=int, default=10, help="x the series for forecasting alone")
    parser.add_argument("--keep", action="store_true", help="keep the database (name printed)")
    parser.add_argument("--database", help="a database kept by --keep: time on it, no seeding")
    parser.add_argument("--skip", default="", help="steps to leave out: celery,alone")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if not 250 <= args.items <= 25_000 or not 1 <= args.copies <= 20:
        parser.error("250-25,000 items and 1-20 copies")
    from flask_migrate import upgrade

    from inventory.db.base import db

    dbname = args.database or f"qm_bench_reorder_{uuid.uuid4().hex[:10]}"
    url = _url_for(dbname)
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        if not args.database:
            conn.execute(f'CREATE DATABASE "{dbname}"')
    print(f"PostgreSQL {version}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; database {dbname}", flush=True)  # fmt: skip
    workers: list[subprocess.Popen] = []
    try:
        if args.database:
            return _timings(url, args, skip, workers)
        app = _app(url)
        with app.app_context():
            upgrade()
            db.session.remove()
            db.engine.dispose()
        began = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as conn:
            user = conn.execute(
                "INSERT INTO app_user (username, password_hash, full_name, email, active, "
                "created_at) VALUES ('bench', 'x', '', '', true, now()) RETURNING id"
            ).fetchone()[0]
            counts = seed(conn, args.items, date.today(), user)
            conn.execute("ANALYZE")
            conn.execute("CHECKPOINT")
        print(f"  seeded {counts['series']:,} item-warehouses, {counts['ledger_rows']:,} ledger "
              f"rows in {time.perf_counter() - began:.1f} s", flush=True)  # fmt: skip
        return _timings(url, args, skip, workers)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
        if args.keep or args.database:
            print(f"database kept: {dbname}")
        else:
            with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def _unused_days(url: str, count: int) -> list[date]:
    """Run dates of this month no run on the database has used (a used date with the same
    inputs would return that run instead of running)."""
    with psycopg.connect(url, autocommit=True) as conn:
        used = {row[0] for row in conn.execute("SELECT run_date FROM reorder_run")}
    today = date.today()
    free = [today.replace(day=d) for d in range(1, 29) if today.replace(day=d) not in used]
    if len(free) < count:
        raise SystemExit("no unused run dates left this month on this database")
    return free[:count]


def _timings(url: str, args, skip: set, workers: list) -> int:
    """The runs, the baseline and forecasting alone; the table. Celery workers started here
    go into ``workers`` (stopped by the caller)."""
    rows = []
    days = iter(_unused_days(url, 3))
    small = max(args.items // 10, 1)
    for items in (small, args.items):
        seconds, run = timed_run(url, items, next(days))
        rows.append((f"run, in-process, {items * WAREHOUSES:,} item-warehouses", seconds, run,
                     items * WAREHOUSES))  # fmt: skip
        print(f"  {rows[-1][0]}: {seconds:.1f} s ({run['bench_cpu_seconds']:.1f} CPU s here, "
              f"load average {os.getloadavg()[0]:.1f}), counts {run.get('counts')}",
              flush=True)  # fmt: skip
    if "celery" in skip:
        print("  the Celery run is skipped (--skip)", flush=True)
    elif _redis_answers():
        workers += _celery_workers(url, REDIS_URL)
        time.sleep(5)  # the workers connect to the broker
        seconds, run = timed_run(url, args.items, next(days), broker=REDIS_URL)
        rows.append((f"run, 2 Celery workers, {args.items * WAREHOUSES:,}", seconds, run,
                     args.items * WAREHOUSES))  # fmt: skip
        print(f"  {rows[-1][0]}: {seconds:.1f} s", flush=True)
    else:
        print("  Redis does not answer: the Celery run is skipped", flush=True)

    history = weekly_history(url, args.items)
    loop_s, sampled = statsmodels_loop(history, 26)
    per_series = loop_s / sampled
    full = args.items * WAREHOUSES
    print()
    print(f"{'what':<52} {'seconds':>9}  {'baseline: statsmodels loop, scaled':>36}")
    for name, seconds, _, n in rows:  # (the name's "1,000" once split at its comma: 0)
        base = per_series * n
        print(f"{name:<52} {seconds:9.1f}  {base:14.1f} s ({base / seconds:5.1f}x ours)")
    if "alone" not in skip:
        alone_s, alone_n = forecasting_alone(history, args.copies, 26)
        base = per_series * alone_n
        print(f"{f'forecasting alone, {alone_n:,} series':<52} {alone_s:9.1f}  "
              f"{base:14.1f} s ({base / alone_s:5.1f}x ours)")  # fmt: skip
    print(
        f"\nbaseline measured on {sampled} series: {per_series * 1000:.0f} ms per series; "
        f"aim: a {full:,} run under {AIM_S:.0f} s; load average {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
