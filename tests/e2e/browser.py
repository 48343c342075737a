"""What the browser tests share: a live server on PostgreSQL with one user per role, Debian's
Chromium driven by Playwright, signing in, and screenshots a person can look at.

Chromium comes from Debian's ``chromium`` package (``make test`` installs it when missing);
Playwright's own browser download is not reachable here, so it is launched by path.
"""

from __future__ import annotations

import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from api import create_app
from inventory.db.base import db
from inventory.services import users
from tests.conftest import _empty_pg
from tests.e2e.test_gunicorn import BIN, _free_port, gunicorn_on

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As root in a container Chromium needs --no-sandbox; the rest keep it off this machine's closed
# network (without them it keeps trying Google's hosts).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROLES = ("admin", "approver", "finance", "purchasing", "viewer", "warehouse")
PASSWORD = "browser-pass-123"
# Where screenshots go besides the test's own folder, to be opened and looked at.
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR", "")


@dataclass
class LiveServer:
    base: str
    database_url: str
    stderr: Path

    def url(self, path: str) -> str:
        return self.base + path


def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
            "(apt-get install chromium), or set CHROMIUM to a Chromium binary."
        )
    return CHROMIUM


def seed_users(database_url: str) -> None:
    """One user per role, username = role, all with ``PASSWORD``."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        for role in ROLES:
            users.create_user(None, username=role, password=PASSWORD, roles=[role])
        db.session.remove()
        db.engine.dispose()


@contextmanager
def serving(database_url: str, folder: Path, seed=None):
    """gunicorn on ``database_url`` emptied and holding one user per role, then whatever
    ``seed(database_url)`` adds, until the block ends."""
    if not (BIN / "gunicorn").exists():
        pytest.skip("gunicorn is not installed in .venv")
    _empty_pg(database_url)
    seed_users(database_url)
    if seed is not None:
        seed(database_url)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "browser-e2e-secret",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("FLASK_APP", None)
    with gunicorn_on(env, _free_port(), folder) as (base, err_path):
        yield LiveServer(base, database_url, err_path)


@pytest.fixture
def live_server(pg_database, tmp_path):
    """gunicorn on a fresh PostgreSQL database holding one user per role."""
    with serving(pg_database, tmp_path) as server:
        yield server


def sign_in(page, server: LiveServer, username: str, password: str = PASSWORD) -> None:
    page.goto(server.url("/sign-in"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*sign-in).*$"))


def screenshot(page, tmp_path: Path, name: str, *, max_height: int | None = None) -> Path:
    """Save the whole page, or its top ``max_height`` pixels when it is taller; also under
    ``$SCREENSHOT_DIR`` when set, for people to look at."""
    path = tmp_path / f"{name}.png"
    clip = None
    if max_height is not None:
        width, height = page.evaluate(
            "() => [document.documentElement.clientWidth, document.documentElement.scrollHeight]"
        )
        if height > max_height:
            clip = {"x": 0, "y": 0, "width": width, "height": max_height}
    page.screenshot(path=str(path), full_page=True, clip=clip)
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(SCREENSHOTS) / path.name)
    return path
