"""The demo loader: a small history on SQLite whose books reconcile, dated in the past."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from inventory import clock
from inventory.db import queries
from inventory.db.base import db
from inventory.db.models import Item, StockBalance, StockDocument, StockLedger, User
from inventory.errors import Conflict
from inventory.services import demo
from tests.conftest import ledger_matches_balances

END = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)  # fixed, so the calendar (and the run) repeats
MIDNIGHT = END.replace(hour=0)


def test_pinned_clock_applies_inside_the_block_only():
    moment = datetime(2024, 2, 29, 8, 30, tzinfo=UTC)
    with clock.pinned(moment):
        assert clock.now() == moment
        with clock.pinned(moment + timedelta(hours=1)):
            assert clock.now() == moment + timedelta(hours=1)
        assert clock.now() == moment
    assert clock.now() - datetime.now(UTC) < timedelta(seconds=5)
    with pytest.raises(ValueError), clock.pinned(datetime(2024, 1, 1)):
        pass


def test_demo_history_reconciles_and_lies_in_the_past(backend, app):
    seen_days = []
    summary = demo.load(
        demo.DemoSize(items=24, days=60),
        password="demo-password",
        seed=3,
        end=END,
        progress=seen_days.append,
    )
    assert sum(seen_days) == 60
    assert summary.refused == 0
    assert summary.warehouses == 3 and summary.items == 24
    assert all(summary.documents[k] > 0 for k in ("receipt", "issue", "transfer", "adjustment"))
    assert summary.cancelled > 0
    assert sorted(summary.users_created) == sorted(demo.DEMO_ROLES)

    db.session.rollback()
    assert ledger_matches_balances() == []
    negatives = db.session.scalar(
        select(func.count()).where((StockBalance.quantity < 0) | (StockBalance.value < 0))
    )
    assert negatives == 0
    empty_with_value = db.session.scalar(
        select(func.count()).where(StockBalance.quantity == 0, StockBalance.value != 0)
    )
    assert empty_with_value == 0
    categories = set(db.session.scalars(select(Item.category)))
    assert {"hardware", "electrical", "safety", "packaging"} <= categories

    # Dated across the past 60 days, in posting order, and none of it "now".
    moments = list(db.session.scalars(select(StockLedger.posted_at).order_by(StockLedger.id)))
    moments = [m if m.tzinfo else m.replace(tzinfo=UTC) for m in moments]
    assert moments == sorted(moments)
    assert MIDNIGHT - timedelta(days=60) <= moments[0] < MIDNIGHT - timedelta(days=59)
    assert MIDNIGHT - timedelta(days=5) < moments[-1] < MIDNIGHT
    assert db.session.scalar(select(func.count()).where(StockDocument.source != "demo")) == 0

    # Stock as of a past moment comes from the dated ledger and differs from today's.
    midway = END - timedelta(days=30)
    then = {
        (r.item_id, r.warehouse_id): r.quantity
        for r in db.session.execute(queries.balances(as_of=midway))
    }
    now = {(r.item_id, r.warehouse_id): r.quantity for r in db.session.execute(queries.balances())}
    assert then and then != now

    assert set(demo.DEMO_ROLES) <= set(db.session.scalars(select(User.username)))

    with pytest.raises(Conflict):
        demo.load(demo.DemoSize(items=5, days=10), password="demo-password", end=END)


def test_flask_demo_load_runs_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load", "--items", "8", "--days", "14", "--seed", "1"])
    assert first.exit_code == 0, first.output
    assert "Loaded 3 warehouses, 8 items" in first.output
    assert "password: " in first.output
    items = db.session.scalar(select(func.count(Item.id)))
    db.session.rollback()

    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0, again.output
    assert "was not loaded" in again.output
    assert db.session.scalar(select(func.count(Item.id))) == items == 8
