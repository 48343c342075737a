"""Command line: ``flask users ...``, ``flask demo load``, ``flask jobs run NAME``,
``flask reports export NAME`` (api/reports_cli.py)."""

from __future__ import annotations

import secrets
import sys
from contextlib import contextmanager

import click
from flask import Flask
from flask.cli import AppGroup

from api import demo_cli, reports_cli
from inventory.domain.actors import ALL_ROLES
from inventory.errors import DomainError
from inventory.services import user_admin
from inventory.services import users as user_service

users_cli = AppGroup("users", help="Manage users.")
jobs_cli = AppGroup("jobs", help="Run scheduled jobs by hand (cron uses the same commands).")


@contextmanager
def refusals_as_cli_errors():
    """A service's refusal ends the command with its message and exit status 1, no traceback."""
    try:
        yield
    except DomainError as exc:
        raise click.ClickException(f"{exc.detail} {exc.errors or ''}".strip()) from exc


@jobs_cli.command("run")
@click.argument("name")
def run_job(name):
    """Run job NAME now and print what it did."""
    from inventory import jobs

    known = jobs.registry()
    if name not in known:
        raise click.ClickException(_unknown(name, known))
    with refusals_as_cli_errors():
        detail = _with_progress_bar(name) if known[name].reports_progress else jobs.run(name)
    click.echo(f"{name}: succeeded {detail}")


def _unknown(name: str, known: dict) -> str:
    return f"No job {name!r}; known jobs: {', '.join(sorted(known)) or 'none'}."


def _with_progress_bar(name: str) -> dict:
    """Run the job with a bar of its items done out of its total (stderr, so the report on
    stdout stays one line a script can read)."""
    from inventory import jobs

    with click.progressbar(length=0, label=name, show_pos=True, file=sys.stderr) as bar:
        seen = {"done": 0}

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - seen["done"])
            seen["done"] = done

        return jobs.run(name, progress=progress)


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
    with refusals_as_cli_errors():
        user = user_service.create_user(
            None, username=username, password=password, roles=list(roles), full_name=full_name
        )
    click.echo(f"Created user {user.username} (id {user.id}) with roles {', '.join(roles)}.")


def _change(username: str, changes: dict) -> dict:
    with refusals_as_cli_errors():
        return user_admin.update_user(None, user_admin.user_id_for(username), changes)


@users_cli.command("set-email")
@click.argument("username")
@click.argument("email")
def set_email(username, email):
    """Set where USERNAME's notifications are e-mailed (waiting ones go on the next run)."""
    user = _change(username, {"email": email})
    click.echo(f"{user['username']}: e-mail {user['email']}.")


@users_cli.command("set-roles")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(sorted(ALL_ROLES)),
    help="Repeat for several roles; the list replaces the user's roles.",
)
def set_roles(username, roles):
    """Replace USERNAME's roles."""
    user = _change(username, {"roles": list(roles)})
    click.echo(f"{user['username']}: roles {', '.join(user['roles'])}.")


@users_cli.command("deactivate")
@click.argument("username")
def deactivate(username):
    """Stop USERNAME logging in; their tokens stop working at once."""
    _change(username, {"active": False})
    click.echo(f"{username}: deactivated; their tokens are revoked.")


@users_cli.command("activate")
@click.argument("username")
def activate(username):
    """Let a deactivated USERNAME log in again."""
    _change(username, {"active": True})
    click.echo(f"{username}: active; they log in with their password.")


@users_cli.command("reset-password")
@click.argument("username")
@click.option("--prompt", "ask", is_flag=True, help="Type the new password (asked twice).")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the new password from stdin.")
def reset_password(username, ask, from_stdin):
    """Give USERNAME a new password (generated and printed once, unless --prompt or --stdin)
    and revoke their tokens."""
    if ask and from_stdin:
        raise click.UsageError("Use --prompt or --stdin, not both.")
    if ask:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    elif from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = secrets.token_urlsafe(12)
    with refusals_as_cli_errors():
        user_admin.reset_password(None, user_admin.user_id_for(username), password)
    if ask or from_stdin:
        click.echo(f"{username}: password changed; their tokens are revoked.")
    else:
        click.echo(f"{username}: new password {password}  (shown once; their tokens are revoked).")


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
    app.cli.add_command(reports_cli.reports_cli)
