"""``flask demo load``: fill an empty database with the demo data set (see services/demo.py)."""

from __future__ import annotations

import secrets

import click
from flask.cli import AppGroup

from inventory.services import demo as demo_service
from inventory.services.demo_catalogue import catalogue_size

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
    help="Password for the demo users (default: a random one, printed once).",
)
def load(items, days, seed, password):
    """Load three warehouses, ITEMS items and DAYS days of movements into an empty database,
    plus one demo user per role."""
    if demo_service.has_data():
        click.echo(
            "The database already holds items or warehouses, so the demo data set was not "
            "loaded (it loads only into an empty database). Nothing changed."
        )
        return
    password = password or secrets.token_urlsafe(12)
    size = demo_service.DemoSize(items=items, days=days)
    with click.progressbar(length=days, label=f"Posting {days} days of movements") as bar:
        summary = demo_service.load(size, password=password, seed=seed, progress=bar.update)
    docs = ", ".join(f"{count} {kind}s" for kind, count in sorted(summary.documents.items()))
    click.echo(
        f"Loaded {summary.warehouses} warehouses, {summary.items} items and "
        f"{sum(summary.documents.values())} documents ({docs}; {summary.cancelled} cancelled), "
        f"posted from {summary.first_posting:%Y-%m-%d} to {summary.last_posting:%Y-%m-%d}."
    )
    if summary.refused:
        click.echo(f"Warning: {summary.refused} simulated documents were refused for stock.")
    if summary.users_created:
        click.echo(
            f"Demo users {', '.join(summary.users_created)} (username = role), "
            f"password: {password}  (shown once; keep it)."
        )
    if summary.users_existing:
        click.echo(f"Users {', '.join(summary.users_existing)} existed already; left unchanged.")
