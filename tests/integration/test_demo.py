"""The demo loader: every area of the product has data, made by the services, whose books
reconcile; it loads only into an empty database and says how to start over otherwise."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from inventory import clock
from inventory.db import queries
from inventory.db.base import db
from inventory.db.models import (
    Item,
    StockBalance,
    StockDocument,
    StockLedger,
    Stocktake,
    User,
    UserRole,
)
from inventory.db.procurement_models import (
    ApprovalRule,
    Budget,
    CostCentre,
    ExchangeRate,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseRequest,
    Supplier,
    SupplierItem,
    SupplierPriceBreak,
    SupplierScore,
)
from inventory.errors import Conflict
from inventory.services import demo
from tests.conftest import ledger_matches_balances

END = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)  # fixed, so the calendar (and the run) repeats
MIDNIGHT = END.replace(hour=0)
TOKEN = "/api/v1/auth/token"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _statuses(model) -> set[str]:
    return set(db.session.scalars(select(model.status).distinct()))


def _row_counts() -> dict[str, int]:
    return {t.name: _count(t) for t in db.metadata.sorted_tables}


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


def test_demo_covers_every_area_and_its_books_reconcile(backend, app):
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
    assert summary.users_created == list(demo.DEMO_ROLES)
    db.session.rollback()

    # A user of each role, holding that role.
    held = {
        tuple(r) for r in db.session.execute(select(User.username, UserRole.role).join(UserRole))
    }
    assert {(role, role) for role in demo.DEMO_ROLES} <= held
    assert "admin" in demo.DEMO_ROLES

    # Purchasing master data: suppliers with offers and price breaks, a second currency, cost
    # centres with budgets, approval bands.
    assert _count(Supplier) == 7 and _count(SupplierItem) >= 24
    assert _count(SupplierPriceBreak) == 2 * _count(SupplierItem)
    assert _count(ExchangeRate) == 2
    assert _count(CostCentre) == 6 and _count(Budget) >= 6
    assert _count(ApprovalRule) == 3
    # Requests in every state; orders drafted, in transit and received; a rejected line.
    assert _statuses(PurchaseRequest) == {
        "draft", "submitted", "approved", "rejected", "cancelled", "ordered", "closed",
    }  # fmt: skip
    assert {"draft", "sent", "received"} <= _statuses(PurchaseOrder)
    assert db.session.scalar(select(func.count()).where(GoodsReceiptLine.rejected > 0)) >= 1
    assert summary.rejected_lines >= 1 and summary.goods_receipts > 0
    assert _statuses(Stocktake) == {"posted"}
    assert _count(SupplierScore) == summary.suppliers_scored > 0

    # The books: balances equal the ledger, nothing negative, zero quantity means zero value.
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
    sources = set(db.session.scalars(select(StockDocument.source)))
    assert {s.split(":")[0] for s in sources} == {"demo", "goods_receipt", "stocktake"}

    # Stock as of a past moment comes from the dated ledger and differs from today's.
    midway = END - timedelta(days=30)
    then = {
        (r.item_id, r.warehouse_id): r.quantity
        for r in db.session.execute(queries.balances(as_of=midway))
    }
    now = {(r.item_id, r.warehouse_id): r.quantity for r in db.session.execute(queries.balances())}
    assert then and then != now

    before = _row_counts()
    db.session.rollback()
    with pytest.raises(Conflict):
        demo.load(demo.DemoSize(items=5, days=10), password="demo-password", end=END)
    assert _row_counts() == before


def test_flask_demo_load_runs_once_and_says_how_to_start_over(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load", "--items", "8", "--days", "14", "--seed", "1"])
    assert first.exit_code == 0, first.output
    assert "Loaded 3 warehouses, 8 items" in first.output
    assert "7 suppliers" in first.output
    # Each user's own password, printed once; the login line works as printed.
    passwords = {}
    for role in demo.DEMO_ROLES:
        [line] = [x for x in first.output.splitlines() if x.split()[:1] == [role]]
        passwords[role] = line.split()[1]
    assert len(set(passwords.values())) == len(passwords)
    [hint] = [x for x in first.output.splitlines() if x.startswith("Log in:")]
    body = json.loads(hint.split(" -d '")[1].rstrip("'"))
    assert body == {"username": "admin", "password": passwords["admin"]}
    client = app.test_client()
    for role, password in passwords.items():
        answer = client.post(TOKEN, json={"username": role, "password": password})
        assert answer.status_code == 200, (role, answer.get_json())
    db.session.rollback()
    before = _row_counts()
    db.session.rollback()

    again = runner.invoke(args=["demo", "load", "--items", "8", "--days", "14"])
    assert again.exit_code != 0, again.output
    assert "was not loaded" in again.output and "Nothing changed" in again.output
    assert "rm -f " in again.output and "&& make demo" in again.output
    assert ".venv" not in again.output  # starting over never means reinstalling
    assert "Log in" not in again.output
    assert _row_counts() == before

    # `make run` after `make demo`: its first-admin step finds the demo's admin.
    hint = runner.invoke(args=["users", "first-admin"])
    assert hint.exit_code == 0 and "Users exist already" in hint.output
    assert _row_counts() == before


def test_demo_after_make_run_keeps_the_first_admin(app):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["users", "first-admin"])
    password = created.output.split("admin / ")[1].split()[0]
    loaded = runner.invoke(args=["demo", "load", "--items", "8", "--days", "7"])
    assert loaded.exit_code == 0, loaded.output
    assert "Users admin existed already; left unchanged." in loaded.output
    assert "Log in:" not in loaded.output  # the admin's password is not the demo's to show
    answer = app.test_client().post(TOKEN, json={"username": "admin", "password": password})
    assert answer.status_code == 200
