"""``make seed-large``: about a million ledger rows for the report benchmarks and for trying the
reports at size — 10,000 items in one warehouse over three years ending yesterday, simulated with
numpy (``bench/reorder_data.simulate``, demand thinned by ``--rate-scale``) and written by COPY
(``bench/reorder_data.write_movements``, the writer the reorder bench uses): posted receipts and
issues, their ledger rows with running balances, the balances, and behind every receipt a sent
purchase order and its goods receipt, so spend and price variance have orders to read.

Into ``DATABASE_URL`` (or ``--url``), PostgreSQL only (anything else is refused before anything
is touched), migrated to the latest schema first. A database that already holds items is refused
unless ``--force``, which empties every table but the users and the migration version first.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import click
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.reorder_data import seed_master, simulate, write_movements  # noqa: E402

ITEMS = 10_000
DAYS = 3 * 365
# Thins the reorder bench's demand so 10,000 item-warehouses make about 1,000,000 ledger rows.
RATE_SCALE = 0.065
STEPS = 5  # tables written after the simulation (write_movements' ``step`` calls)


class Refused(Exception):
    """The database is not one this script may fill; the message says why and what to do."""


def conninfo(url: str) -> str:
    """A psycopg connection string from a SQLAlchemy URL; refuses anything but PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise Refused(
            f"seed-large needs PostgreSQL; DATABASE_URL is {parsed.get_backend_name()} "
            f"({parsed.render_as_string()}). COPY and a million rows are PostgreSQL's job: run "
            "e.g. DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/qm_large "
            "make seed-large"
        )
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def migrate(url: str) -> None:
    """Bring the database to the latest migration (as ``make migrate`` does)."""
    from flask_migrate import upgrade

    from api import create_app
    from inventory.db.base import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()


def _prepare(conn, force: bool) -> None:
    items = conn.execute("SELECT count(*) FROM item").fetchone()[0]
    if items and not force:
        raise Refused(
            f"The database already holds {items:,} items, so nothing was seeded. Use --force "
            "to empty it first (every table but the users), or point DATABASE_URL elsewhere."
        )
    if items or force:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename NOT IN ('alembic_version', 'app_user')"
            )
        ]
        # The append-only triggers refuse TRUNCATE; emptying on --force is the one exception.
        conn.execute("SET session_replication_role = replica")
        conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        conn.execute("SET session_replication_role = DEFAULT")


def _user(conn) -> int:
    found = conn.execute("SELECT id FROM app_user ORDER BY id LIMIT 1").fetchone()
    if found:
        return found[0]
    return conn.execute(
        "INSERT INTO app_user (username, password_hash, full_name, email, active, created_at) "
        "VALUES ('seed-large', '!', 'seed-large', '', false, now()) RETURNING id"
    ).fetchone()[0]


def seed_large(
    url: str,
    *,
    items: int = ITEMS,
    days: int = DAYS,
    rate_scale: float = RATE_SCALE,
    force: bool = False,
    today: date | None = None,
    seed: int = 11,
    progress=None,
) -> dict:
    """Fill the database at ``url`` (see the module docstring); ``progress(n)`` advances a bar
    of ``days + STEPS``. Returns the counts written."""
    progress = progress or (lambda n: None)
    today = today or date.today()
    info = conninfo(url)
    migrate(url)
    with psycopg.connect(info, autocommit=True) as conn:
        _prepare(conn, force)
        user = _user(conn)
        sim = simulate(items, days, seed, rate_scale=rate_scale, progress=progress)
        progress(days % 30)
        with conn.transaction():
            # The rows are consistent by construction (ids assigned above, every reference
            # written in the same run), so the per-row foreign-key checks are skipped for the
            # load: they are triggers, which the replica role does not fire. The indexes are
            # built as usual. Only this transaction is affected (LOCAL).
            conn.execute("SET LOCAL session_replication_role = replica")
            seed_master(conn, items, 1, sim["lead"], seed)
            counts = write_movements(
                conn,
                sim,
                1,
                today - timedelta(days=days),
                user,
                orders=True,
                step=lambda name: progress(1),
            )
        # As autovacuum leaves a running database after a large insert: statistics, and the
        # visibility map set, without which an index-only scan visits the table row by row
        # and the planner, knowing it, plans the reports' window reads as whole-table scans.
        conn.execute("VACUUM (ANALYZE)")
    return counts | {"items": items, "days": days}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--rate-scale", type=float, default=RATE_SCALE)
    parser.add_argument("--force", action="store_true", help="empty a database with items first")
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()
    if not 1 <= args.items <= 100_000 or not 30 <= args.days <= 3660:
        parser.error("1-100,000 items and 30-3,660 days")
    began = time.perf_counter()
    try:
        conninfo(args.url)  # refuse before the bar starts
        with click.progressbar(
            length=args.days + STEPS, label="seed-large", file=sys.stderr
        ) as bar:
            counts = seed_large(
                args.url,
                items=args.items,
                days=args.days,
                rate_scale=args.rate_scale,
                force=args.force,
                progress=bar.update,
            )
    except Refused as exc:
        print(f"seed-large: {exc}", file=sys.stderr)
        return 2
    print(
        f"Seeded {counts['ledger_rows']:,} ledger rows ({counts['documents']:,} documents) over "
        f"{counts['items']:,} items and {counts['days']:,} days in "
        f"{time.perf_counter() - began:.1f} s."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
