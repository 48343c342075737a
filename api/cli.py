"""Command line: ``flask users ...``, ``flask demo load``, ``flask jobs run NAME``."""

from __future__ import annotations

import secrets

import click
from flask import Flask
from flask.cli import AppGroup

from api import demo_cli
from inventory.domain.actors import ALL_ROLES
from inventory.errors import DomainError
from inventory.services import users as user_service

users_cli = AppGroup("users", help="Manage users.")
jobs_cli = AppGroup("jobs", help="Run scheduled jobs by hand (cron uses the same commands).")


@jobs_cli.command("run")
@click.argument("name")
def run_job(name):
    """Run job NAME now and print what it did."""
    from inventory import jobs

    try:
        detail = jobs.run(name)
    except jobs.UnknownJob as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    click.echo(f"{name}: succeeded {detail}")


@jobs_cli.command("list")
def list_jobs():
    """List the jobs that can run."""
    from inventory import jobs

    for name in sorted(jobs.registry()):
        click.echo(name)


@users_cli.command("create")
@click.option("--username", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(sorted(ALL_ROLES)),
    help="Repeat for several roles.",
)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--full-name", default="")
def create_user(username, roles, password, full_name):
    """Create a user (the first admin, for instance)."""
    try:
        user = user_service.create_user(
            None, username=username, password=password, roles=list(roles), full_name=full_name
        )
    except DomainError as exc:
        raise click.ClickException(f"{exc.detail} {exc.errors or ''}".strip()) from exc
    click.echo(f"Created user {user.username} (id {user.id}) with roles {', '.join(roles)}.")


@users_cli.command("first-admin")
@click.option("--port", envvar="PORT", default="8000")
def first_admin(port):
    """Create an 'admin' user with a random password if there are no users yet; say how to log
    in."""
    url = f"http://127.0.0.1:{port}"
    click.echo(f"Serving on {url} — API docs at {url}/api/docs")
    if user_service.user_count() == 0:
        password = secrets.token_urlsafe(12)
        user_service.create_user(None, username="admin", password=password, roles=["admin"])
        click.echo(f"Created the first user: admin / {password}  (shown once; keep it).")
        click.echo(demo_cli.login_hint(url, "admin", password))
    else:
        click.echo(
            "Users exist already: log in with yours (`make demo` printed the demo users' "
            "passwords), or add an admin with:\n"
            "  .venv/bin/flask users create --username NAME --role admin"
        )


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(demo_cli.demo)
