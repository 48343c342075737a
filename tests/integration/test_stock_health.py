"""Stock health on SQLite and PostgreSQL: ageing buckets and slow-moving stock by hand, kept
classes and the reorder run reading them, exceptions, supply risk, cycle counts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal as D

from inventory import clock
from inventory.db import control_queries, health_queries, item_class_queries
from inventory.db.models import Stocktake, StocktakeLine
from inventory.domain import cycle_counts as cc
from inventory.domain.receiving import ReceiptLineIn
from inventory.domain.stocktake import CountIn
from inventory.services import (
    master_data,
    receipts,
    replenishment,
    stock,
    stock_health,
    stocktakes,
)
from inventory.services.tx import transaction
from tests.integration import receipt_helpers as rh
from tests.integration.purchasing_helpers import count

TODAY = clock.today()


def at(days_ago: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(12), UTC)


def test_ageing_by_hand(backend, make):
    wh, item = make.warehouse(), make.item()
    for days_ago, qty, cost in ((400, 10, "1.00"), (100, 10, "2.00"), (40, 5, "4.00"),
                                (10, 5, "4.00")):  # fmt: skip
        with clock.pinned(at(days_ago)):
            make.receive(wh, item, qty, cost)
    with clock.pinned(at(5)):  # a receipt cancelled later is not stock on hand
        cancelled = make.receive(wh, item, 100, "9.00")
        stock.cancel_document(make.admin, cancelled)
    with clock.pinned(at(1)):
        make.document("issue", wh, [(item, 12, None)])
    # on hand 18 of 30 at 70/30 each: 42.00 left. Newest first: 5 (10 days), 5 (40 days), then
    # 8 of the 10 received 100 days ago; nothing of the oldest receipt.
    [row] = health_queries.ageing(today=TODAY, limit=10)
    assert (row["quantity"], row["value"]) == (D("18"), D("42.00"))
    assert [row[f"qty_{b}"] for b in health_queries.BUCKETS] == [D(5), D(5), D(8), 0, 0]
    # values at the average cost, rounded cumulatively so they add up to the cent
    assert [row[f"value_{b}"] for b in health_queries.BUCKETS] == [
        D("11.67"),
        D("11.66"),
        D("18.67"),
        D("0.00"),
        D("0.00"),
    ]
    assert row["oldest_receipt_at"] == at(100)
    assert health_queries.count_on_hand() == 1
    # issue everything but 3: all of it from the newest receipt (10 days old)
    make.document("issue", wh, [(item, 15, None)])
    [row] = health_queries.ageing(today=TODAY, limit=10)
    assert [row[f"qty_{b}"] for b in health_queries.BUCKETS] == [D(3), 0, 0, 0, 0]
    assert health_queries.ageing(today=TODAY, limit=10, category="none") == []


def test_ageing_of_stock_older_than_a_year_and_the_bucket_edges(backend, make):
    wh, item = make.warehouse(), make.item()
    for days_ago in (366, 365, 181, 180, 91, 90, 31, 30, 0):
        with clock.pinned(at(days_ago)):
            make.receive(wh, item, 1, "1.00")
    [row] = health_queries.ageing(today=TODAY, limit=10)
    assert [row[f"qty_{b}"] for b in health_queries.BUCKETS] == [2, 2, 2, 2, 1]


def test_ageing_of_a_fifo_item_by_its_open_layers(backend, make):
    w1, w2 = make.warehouse(), make.warehouse()
    item = make.item()
    master_data.update("item", make.admin, item, {"valuation_method": "fifo"}, lambda _: None)
    with clock.pinned(at(200)):
        make.receive(w1, item, 10, "2.00")
    with clock.pinned(at(20)):
        make.receive(w1, item, 5, "3.00")
    with clock.pinned(at(10)):  # FIFO: 4 of the oldest layer go out, 6 @ 2.00 stay
        make.document("issue", w1, [(item, 4, None)])
    with clock.pinned(at(5)):  # 2 more of the oldest layer move, keeping their receipt date
        make.document("transfer", w1, [(item, 2, None)], to_warehouse_id=w2)
    # w1 holds 4 @ 2.00 received 200 days ago and 5 @ 3.00 received 20 days ago: 23.00.
    # The average cost (23/9) would put 12.78 in 0_30; the layers put exactly 15.00 there.
    # w2 holds 2 @ 2.00 received 200 days ago (the moving-average rule would say 5 days).
    first, second = health_queries.ageing(today=TODAY, item_id=item, limit=10)
    assert (first["warehouse_id"], first["quantity"], first["value"]) == (w1, D(9), D("23.00"))
    assert [first[f"qty_{b}"] for b in health_queries.BUCKETS] == [D(5), 0, 0, D(4), 0]
    assert [first[f"value_{b}"] for b in health_queries.BUCKETS] == [
        D("15.00"),
        D("0.00"),
        D("0.00"),
        D("8.00"),
        D("0.00"),
    ]
    assert (first["oldest_receipt_at"], first["newest_receipt_at"]) == (at(200), at(20))
    assert (second["warehouse_id"], second["quantity"], second["value"]) == (w2, D(2), D("4.00"))
    assert [second[f"qty_{b}"] for b in health_queries.BUCKETS] == [0, 0, 0, D(2), 0]
    assert [second[f"value_{b}"] for b in health_queries.BUCKETS] == [
        D("0.00"),
        D("0.00"),
        D("0.00"),
        D("4.00"),
        D("0.00"),
    ]
    assert second["oldest_receipt_at"] == at(200)


def test_slow_moving_and_dead(backend, make):
    wh = make.warehouse()
    busy, slow, dead, never = (make.item() for _ in range(4))
    with clock.pinned(at(500)):
        for item in (busy, slow, dead):
            make.receive(wh, item, 10, "1.00")
    with clock.pinned(at(20)):
        make.receive(wh, never, 10, "2.00")
    with clock.pinned(at(400)):
        make.document("issue", wh, [(dead, 1, None)])
    with clock.pinned(at(100)):
        make.document("issue", wh, [(slow, 1, None)])
    make.document("issue", wh, [(busy, 1, None)])
    rows, total = health_queries.slow_moving(today=TODAY, slow_days=90, dead_days=365, limit=10)
    assert total == 2
    assert [(r["item_id"], r["status"], r["idle_days"]) for r in rows] == [
        (dead, "dead", 400),
        (slow, "slow", 100),
    ]
    assert rows[0]["value"] == D("9.00")
    rows, _ = health_queries.slow_moving(today=TODAY, slow_days=10, dead_days=365, limit=10,
                                         status="slow")  # fmt: skip
    assert {r["item_id"] for r in rows} == {slow, never}


def _issue_monthly(make, wh, item, quantities):
    """Issue ``quantities`` in the months before this one, the last one a month ago."""
    for months_ago, qty in enumerate(reversed(quantities), start=1):
        if qty:
            with clock.pinned(at(30 * months_ago)):
                make.document("issue", wh, [(item, qty, None)])


def test_classify_items_keeps_abc_and_xyz_and_the_reorder_run_uses_them(backend, make):
    wh = make.warehouse()
    steady = make.item(valuation_cost="10")  # 10 a month for 12 months: 1,200 a year, CV 0
    lumpy = make.item(valuation_cost="1")  # 60 twice: 120 a year, CV sqrt(5) = 2.24
    idle = make.item(valuation_cost="5")
    with clock.pinned(at(400)):
        for item in (steady, lumpy, idle):
            make.receive(wh, item, 500, "1.00")
    _issue_monthly(make, wh, steady, [10] * 11)
    _issue_monthly(make, wh, lumpy, [60, 0, 0, 0, 0, 60, 0, 0, 0, 0, 0])
    summary = stock_health.classify_items(TODAY)
    assert summary["items"] == 3
    kept = {r["item_id"]: r for r in item_class_queries.first_classes()}
    assert {i: (r["abc_class"], r["xyz_class"]) for i, r in kept.items()} == {
        steady: ("A", "X"),
        lumpy: ("B", "Z"),
        idle: ("C", "Z"),
    }
    assert kept[steady]["consumption_value"] == D("1100.00")  # 11 months of 10 × 10
    assert kept[idle]["demand_cv"] is None
    # the reorder run's plan takes the kept class over its own (here: made C → A)
    with transaction() as session:
        item_class_queries.replace_classes(session, [
            {"item_id": idle, "abc_class": "A", "xyz_class": "Z", "consumption_value": 0,
             "annual_quantity": 0, "demand_cv": None, "computed_at": clock.now()}
        ])  # fmt: skip
    planned = replenishment.plan(TODAY)
    classes = {i: c for chunk in planned["chunks"] for i, _, c in chunk}
    assert classes[idle] == "A"
    assert classes[steady] == "A"  # not kept: the run's own computation


def test_exceptions(backend, make):
    wh, other = make.warehouse(), make.warehouse()
    item = make.item()
    clerk = make.user("warehouse")
    since = clock.now() - timedelta(days=1)
    make.receive(wh, item, 10, "1.00")
    make.receive(wh, item, 10, "1.50")  # 50% above the average of 1.00: flagged
    make.receive(wh, item, 10, "1.30")  # 4% above 1.25: not
    cancelled = make.receive(wh, item, 2, "1.27")  # near the average 38/30: no variance
    stock.cancel_document(make.admin, cancelled)
    take = stocktakes.create(make.admin, wh, item_ids=[item], quantity_tolerance_pct=D(100),
                             value_tolerance=D(1000))  # fmt: skip
    stocktakes.count(clerk, take, [CountIn(item, D("28"))])
    stocktakes.post(make.admin, take)
    for _ in range(10):
        make.document("receipt", wh, [(item, 1, "1.30")], actor=clerk)
    make.document("receipt", other, [(item, 1, "1.30")], actor=clerk)
    until = clock.now() + timedelta(seconds=1)
    rows = control_queries.exceptions(since=since, until=until)
    kinds = {}
    for r in rows:
        kinds.setdefault(r["kind"], []).append(r)
    assert set(kinds) == {"price_variance", "cancellation", "stocktake_variance",
                          "unusual_warehouse"}  # fmt: skip
    [price] = kinds["price_variance"]
    assert (price["quantity"], price["value"]) == (D(10), D("5.00"))
    [cancel] = kinds["cancellation"]
    assert cancel["value"] == D("2.54") and cancel["reference"] == f"stock_document:{cancelled}"
    [variance] = kinds["stocktake_variance"]
    # 2 short at the book unit cost of the count, 38.00 / 30 = 1.2667
    assert variance["quantity"] == D(-2) and variance["value"] == D("-2.53")
    [unusual] = kinds["unusual_warehouse"]
    assert (unusual["warehouse_id"], unusual["actor_id"]) == (other, clerk.id)
    only = control_queries.exceptions(since=since, until=until, kind="cancellation")
    assert [r["kind"] for r in only] == ["cancellation"]
    assert control_queries.exceptions(since=since, until=until, price_threshold_pct=D(60),
                                      kind="price_variance") == []  # fmt: skip
    assert control_queries.exceptions(since=until, until=until + timedelta(days=1)) == []


def test_supply_risk(backend, make):
    wh = make.warehouse()
    single, multi = make.item(), make.item()
    big, small, held = rh.supplier(), rh.supplier(), rh.supplier()
    rh.supplier_item(big, single)
    rh.supplier_item(big, multi)
    rh.supplier_item(small, multi)
    for supplier, qty in ((big, "30"), (small, "10")):
        po = rh.order(make, [(multi, qty, "1.00")], warehouse_id=wh, supplier_id=supplier)
        receipts.receive(make.admin, po.id, [ReceiptLineIn(po.lines[0], D(qty), D(qty), D(0))])
    po = rh.order(make, [(single, "5", "2.00")], warehouse_id=wh, supplier_id=held)
    from inventory.db.base import db
    from inventory.db.procurement_models import Supplier

    db.session.get(Supplier, held).status = "blocked"
    db.session.commit()
    make.document("issue", wh, [(multi, 4, None)])
    risk = control_queries.supply_risk(since=clock.now() - timedelta(days=1),
                                       until=clock.now() + timedelta(seconds=1))  # fmt: skip
    assert risk["spend_total"] == D("40.00")
    assert [(s["supplier_id"], s["spend"], s["share_pct"]) for s in risk["spend"]] == [
        (big, D("30.00"), D("75.00")),
        (small, D("10.00"), D("25.00")),
    ]
    assert [r["item_id"] for r in risk["single_source_items"]] == [single]
    [h] = risk["held_suppliers_with_open_orders"]
    assert (h["supplier_id"], h["open_orders"], h["open_value"]) == (held, 1, D("10.00"))


def _classes(session, classes: dict[int, str]):
    item_class_queries.replace_classes(session, [
        {"item_id": i, "abc_class": c, "xyz_class": "X", "consumption_value": 0,
         "annual_quantity": 0, "demand_cv": None, "computed_at": clock.now()}
        for i, c in classes.items()
    ])  # fmt: skip


def test_cycle_counts_open_stocktakes_once_a_day(backend, app, make):
    app.config["CYCLE_COUNTS_PER_YEAR"] = "A=52,B=26,C=12"
    per_year = {"A": 52, "B": 26, "C": 12}
    wh = make.warehouse()
    items = [make.item() for _ in range(12)]
    for item in items:
        make.receive(wh, item, 1, "1.00")
    classes = {i: "ABC"[n % 3] for n, i in enumerate(items)}
    with transaction() as session:
        _classes(session, classes)
    candidates = sorted(classes.items())
    # 4×52 + 4×26 + 4×12 = 360 counts over 261 days: one or two a day
    plan = {d: cc.due_items(d, candidates, per_year) for d in cc.working_days(TODAY.year + 1)}
    assert {len(due) for due in plan.values()} == {1, 2}
    day = next(d for d, due in plan.items() if len(due) == 2)
    due = plan[day]
    first = stock_health.open_cycle_counts(day)
    [opened] = first["opened"]
    assert (opened["due"], opened["counted"]) == (len(due), len(due))
    lines = item_class_queries.db.session.query(StocktakeLine.item_id).filter_by(
        stocktake_id=opened["stocktake_id"]
    )
    assert sorted(i for (i,) in lines) == due
    again = stock_health.open_cycle_counts(day)
    assert again == {"day": day.isoformat(), "opened": [], "already_done": [wh]}
    assert count(Stocktake) == 1
    # the next working day with items due leaves those on the open count to it
    later = next(d for d in plan if d > day)
    overlap = set(plan[later]) & set(due)
    result = stock_health.open_cycle_counts(later)
    assert result["opened"][0]["left_to_open_counts"] == len(overlap)
    saturday = day + timedelta(days=5 - day.weekday())
    assert stock_health.open_cycle_counts(saturday)["opened"][0]["stocktake_id"] is None
