"""The reorder run end to end on SQLite and PostgreSQL: suggestions where stock is short and none
where an order or a request covers it, a new item from its min/max, the item without a lead time
named, idempotence, one run at a time, a failing chunk that does not stop the run, progress."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import delete, func, select, update

import forecasting
from inventory import clock
from inventory.db import replenishment_writes
from inventory.db.base import db
from inventory.db.models import AuditEvent
from inventory.db.procurement_models import SupplierItem, SupplierPriceBreak
from inventory.db.replenishment_models import (
    DemandForecast,
    ForecastSeries,
    ReorderPolicy,
    ReorderRun,
    ReorderSetting,
    ReorderSuggestion,
)
from inventory.errors import Conflict
from inventory.services import replenishment
from tests.integration import receipt_helpers
from tests.integration.purchasing_helpers import Purchasing

pytestmark = pytest.mark.usefixtures("backend")
RUN_DAY = date(2026, 3, 2)  # a Monday; history ends the day before
WEEKS = 8


def at(day: date):
    return clock.pinned(datetime(day.year, day.month, day.day, 10, tzinfo=UTC))


class Shop:
    """One warehouse, a supplier, and items with eight weeks of steady demand (12 a week)."""

    def __init__(self, make):
        self.make = make
        self.buy = Purchasing(make)
        self.wh = self.buy.warehouse
        self.supplier = self.buy.supplier(default_lead_time_days=7)
        self.start = RUN_DAY - timedelta(weeks=WEEKS)

    def item(self, *, offer: bool = True, stock: int = 100, weekly: int = 12) -> int:
        item = self.make.item(valuation_cost="5")
        if offer:
            self.buy.offer(self.supplier, item, "2", lead_time_days=7)
        if stock:
            with at(self.start):
                self.make.receive(self.wh, item, stock, 2)
            for week in range(WEEKS):
                with at(self.start + timedelta(weeks=week, days=1)):
                    self.make.document("issue", self.wh, [(item, weekly, None)])
        return item


def suggestions(run_id: int) -> dict[int, ReorderSuggestion]:
    db.session.rollback()
    rows = db.session.scalars(select(ReorderSuggestion).where(ReorderSuggestion.run_id == run_id))
    found: dict[int, ReorderSuggestion] = {}
    for row in rows:
        assert row.item_id not in found, "two suggestions for one item"
        found[row.item_id] = row
    return found


@pytest.fixture
def shop(make):
    return Shop(make)


def test_a_run_suggests_what_is_short_and_nothing_already_covered(shop, make):
    short = shop.item()
    on_order = shop.item()
    requested = shop.item()
    no_lead_time = shop.item(offer=False)
    new = shop.item(stock=0)
    receipt_helpers.order(
        make, [(on_order, "100", "2")], warehouse_id=shop.wh, supplier_id=shop.supplier
    )
    shop.buy.approved_request((requested, "100", "2"))
    db.session.add(
        ReorderPolicy(
            item_id=new, warehouse_id=shop.wh, min_quantity=D(5), max_quantity=D(20), active=True
        )
    )
    db.session.commit()
    seen: list[tuple[int, int]] = []

    run = replenishment.run_reorder(run_date=RUN_DAY, progress=lambda d, t: seen.append((d, t)))

    assert run["status"] == "succeeded"
    assert run["progress"] == {"done": 5, "total": 5, "percent": 100.0}
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
    found = suggestions(run["id"])
    assert set(found) == {short, new}
    assert found[short].quantity > 0 and found[short].supplier_id == shop.supplier
    assert found[short].explanation["on_hand"] == "4.000"  # 100 - 8 × 12
    assert found[new].quantity == D(20)  # up to its max from nothing
    assert found[new].explanation["levels_source"] == "settings"
    assert found[new].demand_class == "new"
    (error,) = run["errors"]
    assert error["item_id"] == no_lead_time and "lead time" in error["error"].lower()
    assert run["counts"]["suggestions"] == 2 and run["counts"]["errors"] == 1
    assert run["counts"]["series"] == 5
    assert run["parameters"]["history_end"] == "2026-03-01"
    stored = db.session.scalar(
        select(func.count()).where(
            DemandForecast.run_id == run["id"], DemandForecast.item_id == short
        )
    )
    assert stored == 26  # the default horizon, weekly


def test_chunks_in_forked_processes_write_what_one_process_writes(shop, app, backend):
    items = [shop.item(stock=stock, weekly=weekly) for stock, weekly in
             ((100, 12), (30, 3), (300, 30), (50, 1))]  # fmt: skip
    written = {}
    for workers in (1, 2):
        app.config["REORDER_IN_PROCESS_WORKERS"] = workers
        run = replenishment.run_reorder(run_date=RUN_DAY, chunk_size=1)
        assert run["status"] == "succeeded" and run["progress"]["done"] == 4
        assert [c["chunk"] for c in run["counts"]["chunks"]] == [0, 1, 2, 3]
        db.session.rollback()
        series = db.session.execute(
            select(ForecastSeries.item_id, ForecastSeries.model, ForecastSeries.mean)
            .where(ForecastSeries.run_id == run["id"]).order_by(ForecastSeries.item_id)
        ).all()  # fmt: skip
        forecasts = db.session.scalar(
            select(func.count()).where(DemandForecast.run_id == run["id"])
        )
        found = {i: (s.quantity, s.supplier_id) for i, s in suggestions(run["id"]).items()}
        written[workers] = (series, forecasts, found)
        # The next run the same day must not be this one's repeat.
        db.session.execute(update(ReorderRun).values(status="failed"))
        db.session.commit()
    assert written[1] == written[2]
    assert [row.item_id for row in written[2][0]] == sorted(items)
    # Forked only where other processes can share the database (not SQLite); never for one chunk.
    assert replenishment._workers(4) == (2 if backend == "postgres" else 1)
    assert replenishment._workers(1) == 1


def test_a_chunk_that_cannot_be_written_fails_the_run_here_or_forked(shop, monkeypatch):
    items = [shop.item() for _ in range(3)]
    real = replenishment_writes.write_chunk

    def broken(session, run_id, pairs, **rows):
        if pairs[0][0] == items[1]:
            raise RuntimeError("disk full")
        return real(session, run_id, pairs, **rows)

    monkeypatch.setattr(replenishment_writes, "write_chunk", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        replenishment.run_reorder(run_date=RUN_DAY, chunk_size=1)
    db.session.rollback()
    run = db.session.scalars(select(ReorderRun)).one()
    assert run.status == "failed" and "disk full" in run.errors[-1]["error"]
    # The next run is not refused by it.
    monkeypatch.setattr(replenishment_writes, "write_chunk", real)
    assert replenishment.run_reorder(run_date=RUN_DAY, chunk_size=1)["status"] == "succeeded"


def test_the_same_day_and_inputs_give_the_same_run(shop):
    item = shop.item()
    first = replenishment.run_reorder(run_date=RUN_DAY)
    again = replenishment.run_reorder(run_date=RUN_DAY)
    assert again["id"] == first["id"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ReorderRun)) == 1
    assert list(suggestions(first["id"])) == [item]

    with at(RUN_DAY):  # the ledger moved: new inputs, a new run
        shop.make.document("issue", shop.wh, [(item, 1, None)])
    moved = replenishment.run_reorder(run_date=RUN_DAY)
    assert moved["id"] != first["id"] and moved["status"] == "succeeded"


def test_a_price_break_or_a_pack_size_alone_makes_a_new_run_the_same_day(shop):
    item = shop.item(offer=False)
    offer = shop.buy.offer(shop.supplier, item, "2", breaks=[("50", "1.8")], lead_time_days=7)
    first = replenishment.run_reorder(run_date=RUN_DAY)
    assert replenishment.run_reorder(run_date=RUN_DAY)["id"] == first["id"]

    # Same count, same sums elsewhere: only the break's price moves.
    db.session.execute(
        update(SupplierPriceBreak)
        .where(SupplierPriceBreak.supplier_item_id == offer)
        .values(unit_price=D("1.7"))
    )
    db.session.commit()
    repriced = replenishment.run_reorder(run_date=RUN_DAY)
    assert repriced["id"] != first["id"] and repriced["status"] == "succeeded"
    assert replenishment.run_reorder(run_date=RUN_DAY)["id"] == repriced["id"]

    db.session.execute(update(SupplierItem).where(SupplierItem.id == offer).values(pack_size=6))
    db.session.commit()
    repacked = replenishment.run_reorder(run_date=RUN_DAY)
    assert repacked["id"] not in (first["id"], repriced["id"])


def test_a_run_without_the_settings_row_uses_the_migrations_defaults(shop):
    item = shop.item()
    db.session.execute(delete(ReorderSetting))
    db.session.commit()

    run = replenishment.run_reorder(run_date=RUN_DAY)

    assert run["status"] == "succeeded" and list(suggestions(run["id"])) == [item]
    assert run["parameters"]["settings"] == {
        "service_level_a": "0.98",
        "service_level_b": "0.95",
        "service_level_c": "0.90",
        "review_period_days": 7,
        "history_days": 1095,
        "freq": "W",
        "horizon": 26,
        "demand_kinds": ["issue"],
    }


def _running_run(started_at) -> None:
    """A run recorded as in progress since ``started_at``, as a live (or dead) process leaves it."""
    db.session.add(
        ReorderRun(
            run_date=RUN_DAY,
            status="running",
            fingerprint="x",
            parameters={},
            progress_done=0,
            progress_total=1,
            started_at=started_at,
        )
    )
    db.session.commit()


def test_a_second_run_while_one_is_running_is_a_conflict(shop):
    shop.item()
    _running_run(clock.now())
    with pytest.raises(Conflict, match=r"already in progress \(run 1\)"):
        replenishment.run_reorder(run_date=RUN_DAY)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ReorderRun)) == 1


def test_a_run_left_running_past_the_stale_limit_is_closed_by_the_next(shop, app):
    shop.item()
    app.config["REORDER_RUN_STALE_MINUTES"] = 60
    _running_run(clock.now() - timedelta(minutes=61))
    run = replenishment.run_reorder(run_date=RUN_DAY)

    assert run["id"] == 2 and run["status"] == "succeeded"
    stale = db.session.get(ReorderRun, 1)
    assert stale.status == "failed" and stale.finished_at is not None
    assert "Abandoned" in stale.errors[0]["error"] and "60 minutes" in stale.errors[0]["error"]
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "reorder_run.abandon" in actions


def test_a_run_inside_the_stale_limit_still_refuses_the_next(shop, app):
    shop.item()
    app.config["REORDER_RUN_STALE_MINUTES"] = 60
    _running_run(clock.now() - timedelta(minutes=59))
    with pytest.raises(Conflict, match="already in progress"):
        replenishment.run_reorder(run_date=RUN_DAY)
    db.session.rollback()
    assert db.session.get(ReorderRun, 1).status == "running"


def _forecast_fails_for(monkeypatch, item_id: int, message: str) -> None:
    """forecasting.forecast raises ``message`` on any history holding ``item_id``."""
    real = forecasting.forecast

    def flaky(history, **kwargs):
        if history["item_id"].str.startswith(f"{item_id}@").any():
            raise RuntimeError(message)
        return real(history, **kwargs)

    monkeypatch.setattr(forecasting, "forecast", flaky)


def test_a_failing_chunk_records_its_items_and_the_run_goes_on(shop, monkeypatch):
    items = [shop.item() for _ in range(3)]
    _forecast_fails_for(monkeypatch, items[0], "model blew up")
    run = replenishment.run_reorder(run_date=RUN_DAY, chunk_size=1)

    assert run["status"] == "succeeded"
    assert [e["item_id"] for e in run["errors"]] == [items[0]]
    assert "model blew up" in run["errors"][0]["error"]
    assert set(suggestions(run["id"])) == set(items[1:])
    assert run["progress"]["done"] == run["progress"]["total"] == 3
    assert [c["chunk"] for c in run["counts"]["chunks"]] == [0, 1, 2]
    db.session.rollback()
    errors = db.session.scalars(select(ForecastSeries.error).where(ForecastSeries.error != ""))
    assert len(list(errors)) == 1


def test_an_item_that_fails_in_a_chunk_fails_alone(shop, monkeypatch):
    # Five items in one chunk, the fourth cannot be forecast: the other four are decided.
    items = [shop.item() for _ in range(5)]
    _forecast_fails_for(monkeypatch, items[3], "no model able to be fitted")
    run = replenishment.run_reorder(run_date=RUN_DAY, chunk_size=5)

    assert run["status"] == "succeeded"
    assert [e["item_id"] for e in run["errors"]] == [items[3]]
    assert "no model able to be fitted" in run["errors"][0]["error"]
    assert set(suggestions(run["id"])) == set(items) - {items[3]}
    db.session.rollback()
    forecast_rows = db.session.scalars(select(DemandForecast.item_id).distinct())
    assert set(forecast_rows) == set(items) - {items[3]}


def test_flask_jobs_run_reorder_shows_progress_and_records_the_job(app, shop):
    from inventory.db.models import JobRun

    shop.item()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["jobs", "list"])
    assert listed.output.split() == [
        "classify-items",
        "cycle-counts",
        "deliver-notifications",
        "reorder",
        "rescore-suppliers",
    ]

    result = runner.invoke(args=["jobs", "run", "reorder"])

    assert result.exit_code == 0, result.output
    # Off a terminal click's bar prints just its label; the report follows on stdout.
    assert result.output.splitlines()[0] == "reorder"
    assert result.output.splitlines()[1].startswith("reorder: succeeded {'run_id': ")
    db.session.rollback()
    (job,) = db.session.scalars(select(JobRun).where(JobRun.name == "reorder")).all()
    assert job.outcome == "succeeded" and job.detail["status"] == "succeeded"
    assert job.detail["progress"]["done"] == 1
    again = runner.invoke(args=["jobs", "run", "reorder"])  # same day, same inputs: same run
    assert again.exit_code == 0 and f"'run_id': {job.detail['run_id']}" in again.output
    missing = runner.invoke(args=["jobs", "run", "reorder-nightly"])
    assert missing.exit_code == 1 and "No job 'reorder-nightly'" in missing.output


def test_beats_reorder_job_records_a_dispatched_run_not_a_finished_one(app, shop, monkeypatch):
    from inventory import jobs
    from inventory.db.models import JobRun

    shop.item()
    sent: list[int] = []
    monkeypatch.setattr(replenishment, "_celery", lambda: object())
    monkeypatch.setattr(replenishment, "dispatch", lambda _c, run_id, _chunks: sent.append(run_id))

    with at(RUN_DAY):
        detail = jobs.run("reorder")  # as beat's task runs it: no progress, no waiting

    db.session.rollback()
    (run_id,) = sent
    assert detail["status"] == "dispatched" and detail["run_id"] == run_id
    record = db.session.scalars(select(JobRun).where(JobRun.name == "reorder")).one()
    assert record.detail["status"] == "dispatched" and record.detail["run_id"] == run_id
    assert db.session.get(ReorderRun, run_id).status == "running"
