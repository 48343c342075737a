"""``flask demo load``: fill an empty database with the demo data set (see services/demo.py)."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import make_url

from inventory.services import demo as demo_service
from inventory.services.demo_catalogue import catalogue_size
from inventory.services.demo_procurement import SUPPLIERS

demo = AppGroup("demo", help="The demo data set.")


@demo.command("load")
@click.option(
    "--items",
    default=300,
    show_default=True,
    type=click.IntRange(1, catalogue_size()),
    help="How many items to create.",
)
@click.option(
    "--days",
    default=365,
    show_default=True,
    type=click.IntRange(7, 3660),
    help="How many days of history, ending yesterday.",
)
@click.option("--seed", default=7, show_default=True, help="Seed of the random history.")
@click.option(
    "--password",
    default=None,
    help="One password for all the demo users (default: a random one each, printed once).",
)
@click.option(
    "--port", envvar="PORT", default="8000", help="Where `make run` serves (for the hint)."
)
def load(items, days, seed, password, port):
    """Load three warehouses, ITEMS items, DAYS days of movements and the purchasing behind them
    (suppliers, budgets, approval bands, requests, orders, receipts, a stocktake, scores) into an
    empty database, plus one demo user per role. Exits 1, changing nothing, if data exists."""
    if demo_service.has_data():
        raise click.ClickException(
            "The database already holds data, so the demo data set was not loaded (it loads "
            f"only into an empty database). Nothing changed. To start over, {_start_over()}"
        )
    size = demo_service.DemoSize(items=items, days=days)
    with click.progressbar(length=days, label=f"Posting {days} days of movements") as bar:
        summary = demo_service.load(size, password=password, seed=seed, progress=bar.update)
    docs = ", ".join(f"{count} {kind}s" for kind, count in sorted(summary.documents.items()))
    click.echo(
        f"Loaded {summary.warehouses} warehouses, {summary.items} items and "
        f"{sum(summary.documents.values())} documents ({docs}; {summary.cancelled} cancelled), "
        f"posted from {summary.first_posting:%Y-%m-%d} to {summary.last_posting:%Y-%m-%d}."
    )
    click.echo(
        f"Purchasing: {len(SUPPLIERS)} suppliers offering {summary.supplier_items} items, "
        f"{summary.orders_sent} orders sent, {summary.goods_receipts} goods receipts "
        f"({summary.rejected_lines} lines rejected), {summary.stocktakes} stocktake posted, "
        f"{summary.suppliers_scored} suppliers scored; cost centres with quarterly budgets, "
        "approval bands, and requests left in every state."
    )
    if summary.refused:
        click.echo(f"Warning: {summary.refused} simulated documents were refused for stock.")
    if summary.passwords:
        click.echo("Demo users (username = role); the passwords are shown once, keep them:")
        for name, secret in summary.passwords.items():
            click.echo(f"  {name:<11} {secret}")
    if summary.users_existing:
        click.echo(f"Users {', '.join(summary.users_existing)} existed already; left unchanged.")
    if "admin" in summary.passwords:
        click.echo(login_hint(f"http://127.0.0.1:{port}", "admin", summary.passwords["admin"]))


def login_hint(url: str, username: str, password: str) -> str:
    """A curl line that logs in as it stands (shared with ``flask users first-admin``)."""
    body = json.dumps({"username": username, "password": password})
    return (
        f"Log in:  curl -s -X POST {url}/api/v1/auth/token "
        f"-H 'Content-Type: application/json' -d '{body}'\n"
        "then send 'Authorization: Bearer <access_token>' with every call."
    )


def _start_over() -> str:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database:
        db = url.database
        return (
            f"remove the database file and load again:  rm -f {db} {db}-wal {db}-shm && make demo"
        )
    return (
        f"drop and re-create the database {url.database!r} (e.g. dropdb, createdb), then run "
        "make demo again."
    )
