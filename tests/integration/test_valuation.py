"""FIFO through the services and the books reconciled: now, and as of every closed period."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import text

from inventory import clock
from inventory.db import period_queries
from inventory.db.base import db
from inventory.errors import Conflict, InsufficientStock
from inventory.services import master_data, periods, stock
from tests.conftest import layers_match_balances, ledger_matches_balances


def _fifo_item(make) -> int:
    item = make.item()
    master_data.update("item", make.admin, item, {"valuation_method": "fifo"}, lambda _: None)
    return item


def _value(item, warehouse):
    rows = period_queries.valuation()
    return {(r["item_id"], r["warehouse_id"]): (r["quantity"], r["value"]) for r in rows}.get(
        (item, warehouse), (D(0), D(0))
    )


def test_fifo_issue_transfer_and_reversal_by_hand(backend, make):
    w1, w2 = make.warehouse(), make.warehouse()
    item = _fifo_item(make)
    make.receive(w1, item, "10", "1.00")
    make.receive(w1, item, "10", "1.30")
    issue = make.document("issue", w1, [(item, "15", None)])
    assert _value(item, w1) == (D("5"), D("6.50"))  # 10 × 1.00 + 5 × 1.30 went out
    make.receive(w1, item, "5", "2.00")
    transfer = make.document("transfer", w1, [(item, "7", None)], to_warehouse_id=w2)
    # 5 × 1.30 + 2 × 2.00 = 10.50 moves, as two layers at their own costs
    assert _value(item, w2) == (D("7"), D("10.50"))
    assert _value(item, w1) == (D("3"), D("6.00"))
    make.document("issue", w2, [(item, "6", None)])  # 5 × 1.30 + 1 × 2.00
    assert _value(item, w2) == (D("1"), D("2.00"))
    stock.cancel_document(make.admin, issue)  # gives back 10 @ 1.00 and 5 @ 1.30 exactly
    assert _value(item, w1) == (D("18"), D("22.50"))
    make.document("issue", w1, [(item, "11", None)])  # the oldest again: 10 × 1.00 + 1 × 1.30
    assert _value(item, w1) == (D("7"), D("11.20"))
    with pytest.raises(InsufficientStock):
        stock.cancel_document(make.admin, transfer)  # w2 holds 1, the reversal needs 7
    assert ledger_matches_balances() == []
    assert layers_match_balances() == []


def test_the_method_changes_only_without_stock(backend, make):
    w, item = make.warehouse(), make.item()
    make.receive(w, item, "2", "3")
    with pytest.raises(Conflict) as refused:
        master_data.update("item", make.admin, item, {"valuation_method": "fifo"}, lambda _: None)
    assert refused.value.errors["valuation_method"]
    make.document("issue", w, [(item, "2", None)])
    changed = master_data.update(
        "item", make.admin, item, {"valuation_method": "fifo"}, lambda _: None
    )
    assert changed["valuation_method"] == "fifo"


def _at(year, month, day, hour=12):
    return datetime(year, month, day, hour, tzinfo=UTC)


def test_postings_dated_in_a_closed_period_are_refused_and_reopen_allows_them(backend, make):
    w, item = make.warehouse(), make.item()
    with clock.pinned(_at(2026, 1, 10)):
        make.receive(w, item, "1", "1")
    with clock.pinned(_at(2026, 2, 2)):
        periods.close(make.admin, "2026-01")
        with pytest.raises(Conflict):
            periods.close(make.admin, "2026-01")  # twice
        with pytest.raises(Conflict):
            periods.close(make.admin, "2026-02")  # not ended
    with clock.pinned(_at(2026, 4, 2)), pytest.raises(Conflict):
        periods.close(make.admin, "2026-03")  # out of order
    with clock.pinned(_at(2026, 1, 31, 23)), pytest.raises(Conflict, match="2026-01"):
        make.receive(w, item, "1", "1")
    with clock.pinned(_at(2026, 2, 3)):
        assert periods.reopen(make.admin, "2026-01") == ["2026-01"]
    with clock.pinned(_at(2026, 1, 31, 23)):
        make.receive(w, item, "1", "1")
    assert _value(item, w) == (D("2"), D("2.00"))


def _ledger_as_of(cut):
    rows = db.session.execute(
        text(
            "SELECT item_id, warehouse_id, SUM(quantity), SUM(value) FROM stock_ledger "
            "WHERE posted_at <= :cut GROUP BY item_id, warehouse_id "
            "HAVING SUM(quantity) <> 0 OR SUM(value) <> 0"
        ),
        {"cut": cut if db.engine.dialect.name != "sqlite" else cut.replace(tzinfo=None)},
    ).all()
    # the raw columns hold scaled integers: quantities × 1000, values × 100
    return {(i, w): (D(q).scaleb(-3), D(v).scaleb(-2)) for i, w, q, v in rows}


def _valuation_as_of(cut):
    return {
        (r["item_id"], r["warehouse_id"]): (r["quantity"], r["value"])
        for r in period_queries.valuation(as_of=cut)
    }


def test_random_books_reconcile_now_and_as_of_every_closed_period(backend, make):
    rng = random.Random(11)
    warehouses = [make.warehouse() for _ in range(3)]
    items = [make.item() for _ in range(3)] + [_fifo_item(make) for _ in range(3)]
    posted: list[int] = []
    cuts = []
    for month in range(1, 6):
        for day in range(1, 28, 2):
            with clock.pinned(_at(2025, month, day) + timedelta(minutes=rng.randrange(600))):
                for _ in range(3):
                    _random_document(rng, make, warehouses, items, posted)
        # the month has ended: close it, and remember a moment inside the next one
        with clock.pinned(_at(2025, month + 1, 1, 6)):
            periods.close(make.admin, f"2025-{month:02d}")
        cuts.append(_at(2025, month + 1, 1, 0))
        cuts.append(_at(2025, month, 15, 0))
    assert ledger_matches_balances() == []
    assert layers_match_balances() == []
    now = {(r["item_id"], r["warehouse_id"]): (r["quantity"], r["value"])
           for r in period_queries.valuation()}  # fmt: skip
    assert now == _ledger_as_of(_at(2100, 1, 1))
    for cut in cuts:
        assert _valuation_as_of(cut) == _ledger_as_of(cut), cut
    # the FIFO layers kept at each close add up to that close's FIFO balances
    assert (
        db.session.execute(
            text("""
        SELECT s.period, s.item_id, s.warehouse_id FROM period_balance s
        JOIN item i ON i.id = s.item_id AND i.valuation_method = 'fifo'
        LEFT JOIN (SELECT period, item_id, warehouse_id, SUM(remaining_quantity) q,
                          SUM(remaining_value) v FROM period_layer
                   GROUP BY period, item_id, warehouse_id) l
          ON l.period = s.period AND l.item_id = s.item_id AND l.warehouse_id = s.warehouse_id
        WHERE s.quantity <> COALESCE(l.q, 0) OR s.value <> COALESCE(l.v, 0)
    """)
        ).all()
        == []
    )
    assert len(period_queries.closed_periods()) == 5
    # the run did give FIFO slices back (cancelled issues), not only take them
    given_back = "SELECT COUNT(*) FROM fifo_consumption WHERE quantity < 0"
    assert db.session.scalar(text(given_back)) > 0


def _random_document(rng, make, warehouses, items, posted) -> None:
    kind = rng.choice(["receipt", "receipt", "issue", "transfer", "adjustment", "cancel"])
    w = rng.choice(warehouses)
    lines = [
        (item, str(D(rng.randrange(1, 9000)) / 1000), str(D(rng.randrange(1, 50000)) / 10000))
        for item in rng.sample(items, rng.randrange(1, 4))
    ]
    try:
        if kind == "receipt":
            posted.append(make.document("receipt", w, lines))
        elif kind == "issue":
            posted.append(make.document("issue", w, [(i, q, None) for i, q, _ in lines]))
        elif kind == "transfer":
            to = rng.choice([x for x in warehouses if x != w])
            posted.append(
                make.document(
                    "transfer", w, [(i, q, None) for i, q, _ in lines], to_warehouse_id=to
                )
            )
        elif kind == "adjustment":
            signed = [(i, q if rng.random() < 0.5 else "-" + q, None) for i, q, _ in lines]
            posted.append(make.document("adjustment", w, signed))
        elif posted:
            stock.cancel_document(make.admin, posted.pop(rng.randrange(len(posted))))
    except InsufficientStock:
        pass
