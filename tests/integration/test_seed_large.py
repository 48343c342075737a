"""``make seed-large`` (bench/seed_large.py) on a small scale: the rows it COPies are books the
application reads as its own (balances equal the ledger, the spend and COGS reports match the
ledger), and it refuses SQLite and a database that already has items unless forced."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from bench.seed_large import Refused, conninfo, seed_large
from delivery.config import service_zone
from inventory import clock
from inventory.db.base import db
from inventory.services import finance_reports
from tests.conftest import ledger_matches_balances

pytestmark = pytest.mark.postgres


def _url(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"]


def _scalar(sql: str):
    found = db.session.execute(text(sql)).scalar()
    db.session.rollback()
    return found


def test_a_small_seed_is_books_the_reports_read(pg_app):
    steps = []
    counts = seed_large(_url(pg_app), items=40, days=200, rate_scale=0.5, progress=steps.append)
    assert counts["ledger_rows"] == _scalar("SELECT count(*) FROM stock_ledger") > 0
    assert sum(steps) == 200 + 5  # the bar's length: days + the tables written
    assert _scalar("SELECT count(*) FROM item") == 40
    assert ledger_matches_balances() == []
    assert _scalar("SELECT count(*) FROM stock_balance WHERE quantity < 0") == 0
    assert _scalar("SELECT count(*) FROM stock_ledger WHERE balance_quantity < 0") == 0
    # Every receipt came from a goods receipt of a sent order: spend sees all of it.
    received = _scalar("SELECT sum(value) FROM stock_ledger WHERE quantity > 0")
    issued = _scalar("SELECT -sum(value) FROM stock_ledger WHERE quantity < 0")
    today = clock.today()
    win = finance_reports.window(today - timedelta(days=201), today, service_zone())
    spend = finance_reports.spend(win, ["month"], {})["totals"]
    cogs = finance_reports.cogs(win, ["month"], {})["totals"]
    assert spend["received"] == Decimal(received).scaleb(-2) > 0
    # Orders are sent ten days before they arrive: the first ones fall before the window.
    assert 0 < spend["ordered"] <= spend["received"]
    assert cogs["value"] == Decimal(issued).scaleb(-2) > 0


def test_it_refuses_a_database_with_items_unless_forced(pg_app):
    seed_large(_url(pg_app), items=10, days=60, rate_scale=0.5)
    before = _scalar("SELECT count(*) FROM stock_ledger")
    with pytest.raises(Refused, match="already holds 10 items"):
        seed_large(_url(pg_app), items=20, days=60, rate_scale=0.5)
    assert _scalar("SELECT count(*) FROM stock_ledger") == before
    seed_large(_url(pg_app), items=20, days=60, rate_scale=0.5, force=True)
    assert _scalar("SELECT count(*) FROM item") == 20
    assert ledger_matches_balances() == []


def test_sqlite_is_refused_with_how_to_point_it_at_postgresql():
    with pytest.raises(Refused, match="needs PostgreSQL.*DATABASE_URL=postgresql"):
        conninfo("sqlite:///instance/quartermaster.sqlite3")
