"""Supplier scoring on the database (SQLite and PostgreSQL): the hand example's figures from
receipt rows, the window's edges, and the rescore job's writes."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import select

from inventory import jobs
from inventory.db import scoring_queries
from inventory.db.base import db
from inventory.db.models import AuditEvent, JobRun
from inventory.db.procurement_models import SupplierScore
from inventory.domain.pricing import BASE_CURRENCY
from inventory.domain.scoring import ScoringConfig
from inventory.services import finance_kpis, scoring
from inventory.services.score_frame import judged_deliveries
from tests.scoring_seed import AS_OF, EXPECTED, MEAN, Seeder, at, hand_example


@pytest.fixture
def example(backend, make):
    return hand_example(make)


def test_scores_from_receipt_rows_match_the_hand_computed_figures(example):
    got = scoring.compute(AS_OF)
    table = got.suppliers
    assert got.window_start == date(2025, 7, 1) and got.window_end == AS_OF
    assert got.population_mean == pytest.approx(MEAN)
    for code, (raw, deliveries, score, grade) in EXPECTED.items():
        row = table.loc[example[code]]
        assert row["raw_score"] == pytest.approx(raw), code
        assert row["deliveries"] == deliveries, code
        assert row["score"] == pytest.approx(score), code
        assert row["grade"] == grade, code
    a = table.loc[example["A"]]
    assert (a["on_time"], a["in_full"], a["otif"]) == (0.5, 0.5, 0.0)
    assert a["quality"] == pytest.approx(0.98)
    assert a["lead_time_spread"] == pytest.approx(0.4)
    # B's 10 USD at 0.8 is 8 EUR; against the median of A's 10 and C's 12.
    assert table.loc[example["B"], "price_index"] == pytest.approx(8 / 11)
    # Best first: the one-delivery perfect supplier does not top a shrunk table by much.
    assert list(table.index) == [example["B"], example["C"], example["A"]]
    assert example["D"] not in table.index


def test_acceptances_before_the_window_complete_a_line(example, make):
    seed = example["seed"]
    (line,) = seed.order(example["D"], [(example["item"], "100", "11", "2025-06-20")],
                         sent="2025-06-01")  # fmt: skip
    seed.receipt([(line, "80", "80")], at("2025-06-25"))  # before the window
    seed.receipt([(line, "20", "20")], at("2025-07-01", 0, 5))  # first minutes of the window
    d = scoring.compute(AS_OF).suppliers.loc[example["D"]]
    assert d["deliveries"] == 1
    assert d["in_full"] == 1.0
    assert d["on_time"] == 0.0  # 11 days after the promise


def test_settings_change_the_figures(example):
    # With 9 days' grace A's late part is on time, so the second part is OTIF.
    graceful = scoring.compute(AS_OF, ScoringConfig(grace_days=9)).suppliers
    assert graceful.loc[example["A"], "otif"] == 0.5
    # Quality only, no shrinkage: the score is the acceptance rate.
    quality = scoring.compute(AS_OF, ScoringConfig(k=0, weights={"quality": 1})).suppliers
    assert quality.loc[example["A"], "score"] == pytest.approx(98)
    assert quality.loc[example["C"], "score"] == pytest.approx(90)


def test_rescore_replaces_the_table_and_is_audited(example):
    detail = scoring.rescore(AS_OF)
    assert detail["suppliers_scored"] == 3 and detail["scores_removed"] == 0
    rows = {r.supplier_id: r for r in db.session.scalars(select(SupplierScore))}
    assert set(rows) == {example[c] for c in "ABC"}
    a = rows[example["A"]]
    assert float(a.score) == pytest.approx(EXPECTED["A"][2], abs=0.005)
    assert (a.grade, a.deliveries) == ("C", 2)
    assert [p["name"] for p in a.parts["parts"]] == ["otif", "quality", "lead_time", "price"]
    assert a.parts["raw_score"] == 42.4
    assert len(a.trend) == 12 and a.trend[8] == {"month": "2026-03", "deliveries": 2,
                                                 "score": pytest.approx(42.4)}  # fmt: skip
    # A year later only C's July receipt is in the window: A and B's rows go.
    detail = scoring.rescore(date(2027, 6, 30))
    assert detail["suppliers_scored"] == 1 and detail["scores_removed"] == 2
    assert [r.supplier_id for r in db.session.scalars(select(SupplierScore))] == [example["C"]]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rescore")).all()
    assert len(events) == 2 and events[-1].after["suppliers_scored"] == 1


def test_the_job_runs_by_name_and_is_recorded(example, monkeypatch):
    monkeypatch.setenv("SUPPLIER_SCORE_WEIGHTS", "otif=0,quality=1,lead_time=0,price=0")
    monkeypatch.setenv("SUPPLIER_SCORE_WINDOW_MONTHS", "60")  # today's window reaches 2026
    detail = jobs.run("rescore-suppliers")
    assert detail["suppliers_scored"] >= 1
    run = db.session.scalars(select(JobRun).where(JobRun.name == "rescore-suppliers")).one()
    assert run.outcome == "succeeded"
    row = db.session.get(SupplierScore, example["A"])
    assert row.parts["parts"][1]["effective_weight"] == 1.0


# --- the window's days are the service time zone's days ---------------------------------------

ZONES = ["Pacific/Honolulu", "Asia/Tokyo"]  # UTC-10 and UTC+9, neither with daylight saving


def _local(day: str, hour: int, minute: int, zone: str):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    moment = datetime.fromisoformat(day).replace(hour=hour, minute=minute)
    return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


@pytest.mark.parametrize("zone", ZONES)
def test_the_window_is_whole_days_of_the_service_time_zone(backend, app, make, zone):
    app.config["SERVICE_TIME_ZONE"] = zone
    seed = Seeder(make)
    item, supplier = make.item(), seed.supplier("Z")
    # Promised on the last day of the window; the window (three months to 30 June) opens 1 April.
    (line,) = seed.order(supplier, [(item, "100", "10", "2026-06-30")], sent="2026-03-01")
    seed.receipt([(line, "1", "1")], _local("2026-03-31", 23, 30, zone))  # before the window
    seed.receipt([(line, "2", "2")], _local("2026-04-01", 0, 5, zone))  # its first minutes
    seed.receipt([(line, "3", "3")], _local("2026-06-30", 23, 30, zone))  # its last hour
    seed.receipt([(line, "4", "4")], _local("2026-07-01", 0, 5, zone))  # after it
    config = ScoringConfig(window_months=3, grace_days=0, k=0, weights={"otif": 1})
    scores = scoring.compute(AS_OF, config)
    row = scores.suppliers.loc[supplier]
    assert row["deliveries"] == 2
    # 23:30 local on the promised day is on time, whatever the day is in UTC.
    assert row["on_time"] == 1.0
    # The 1 April delivery is in April's month, the 30 June one in June's.
    months = scores.monthly[scores.monthly["supplier_id"] == supplier]
    assert dict(zip(months["month"], months["deliveries"], strict=True)) == {0: 1, 2: 1}


def test_the_default_as_of_is_today_in_the_service_time_zone(backend, app, make):
    from inventory import clock

    app.config["SERVICE_TIME_ZONE"] = "Asia/Tokyo"
    with clock.pinned(_local("2026-07-01", 0, 30, "Asia/Tokyo")):  # 30 June, 15:30 in UTC
        assert scoring.compute().as_of == date(2026, 7, 1)


@pytest.mark.parametrize(("start", "end"), [(date(2025, 7, 1), AS_OF), (date(2026, 3, 1), AS_OF),
                                            (date(2027, 1, 1), date(2027, 1, 31))])  # fmt: skip
def test_the_kpis_narrow_read_judges_every_delivery_as_the_score_does(example, start, end):
    """finance_kpis judges OTIF from ``otif_deliveries`` (no orders, no prices, what came
    before the window read only for lines it leaves short, only lines with a promise): the
    same promised deliveries, the same judgements as from the score's own frame — with a line
    completed by acceptances before the window, a line without a promise, and an empty
    window."""
    seed = example["seed"]
    (line,) = seed.order(example["D"], [(example["item"], "100", "11", "2026-02-20")],
                         sent="2026-02-01")  # fmt: skip
    seed.receipt([(line, "80", "80")], at("2026-02-25"))
    seed.receipt([(line, "20", "20")], at("2026-03-01", 0, 5))
    config = ScoringConfig()
    full = judged_deliveries(scoring_queries.deliveries(start, end, BASE_CURRENCY), config)
    narrow = finance_kpis.judged_window(start, end, config)
    # the narrow read leaves out the lines without a promised delivery: judged neither way
    promised = full[full["otif"].notna()].reset_index(drop=True)
    pd.testing.assert_frame_equal(narrow[narrow["otif"].notna()].reset_index(drop=True), promised)
    assert len(narrow) <= len(full)
    if start.year < 2027:
        assert len(full) > 0 and full["otif"].notna().any()
    else:
        assert narrow.empty
