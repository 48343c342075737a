"""The reorder rules on columns: many item-warehouses decided at once give, row for row, what
each gives alone (the single-row path is what tests/unit/test_reorder_rules.py checks by hand),
and the projected stock-out is the day-by-day rule's."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_FLOOR
from decimal import Decimal as D

import numpy as np
import pytest

from inventory.domain import reorder as r
from inventory.domain import reorder_columns as rc

TODAY = date(2026, 3, 10)


def stockout_by_the_day(on_hand: D, receipts, per_day: D) -> date | None:
    """The rule as written in reorder's docstring, step by step in Decimal."""
    if per_day <= 0:
        return None
    arrivals = sorted(
        (max((x.promised_on - TODAY).days, 0), x.quantity) for x in receipts if x.promised_on
    )
    available, i = on_hand, 0
    while True:
        while i < len(arrivals) and arrivals[i][0] <= 0:
            available += arrivals[i][1]
            i += 1
        short = max(int((available / per_day).to_integral_value(rounding=ROUND_FLOOR)), 0)
        if i < len(arrivals) and arrivals[i][0] <= short:
            offset = arrivals[i][0]
            while i < len(arrivals) and arrivals[i][0] == offset:
                available += arrivals[i][1]
                i += 1
            continue
        return TODAY + timedelta(days=short) if short <= rc.PROJECTION_DAYS else None


def random_rows(seed: int, n: int):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        receipts = tuple(
            r.OpenReceipt(
                D(int(rng.integers(1, 40_000))).scaleb(-3),
                None if rng.random() < 0.2 else TODAY + timedelta(days=int(rng.integers(-6, 30))),
                int(rng.integers(1, 10**6)),
            )
            for _ in range(int(rng.integers(0, 5)))
        )
        rop = D(int(rng.integers(0, 60)))
        levels = r.Levels(rop, rop + int(rng.integers(0, 40)))
        per_day = D(int(rng.integers(1, 5_000_000))).scaleb(-6)
        rows.append(
            {
                "on_hand": D(int(rng.integers(0, 80_000))).scaleb(-3),
                "requested": D(int(rng.integers(0, 3)) * 5),
                "receipts": receipts,
                "levels": None if rng.random() < 0.1 else levels,
                "per_day": D(0) if rng.random() < 0.15 else per_day,
                "lead_days": int(rng.integers(1, 30)),
            }
        )
    return rows


def level(row, name):
    return r._milli(getattr(row["levels"], name)) if row["levels"] else 0


def columns(rows):
    return dict(
        on_hand=np.array([r._milli(x["on_hand"]) for x in rows], np.int64),
        requested=np.array([r._milli(x["requested"]) for x in rows], np.int64),
        has_levels=np.array([x["levels"] is not None for x in rows]),
        reorder_point=np.array([level(x, "reorder_point") for x in rows], np.int64),
        order_up_to=np.array([level(x, "order_up_to") for x in rows], np.int64),
        per_day=np.array([r._micro(x["per_day"]) for x in rows], np.int64),
        lead_days=np.array([x["lead_days"] for x in rows], np.int64),
        receipts=r.receipt_columns([x["receipts"] for x in rows], TODAY),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_all_at_once_equals_one_at_a_time(seed):
    rows = random_rows(seed, 400)
    together = rc.decide(**columns(rows))
    first = 0
    for i, row in enumerate(rows):
        alone = rc.decide(**columns([row]))
        k = len(row["receipts"])
        for field in ("on_order", "position", "has_stockout", "suggest", "overstock", "excess"):
            assert getattr(together, field)[i] == getattr(alone, field)[0], (field, i)
        if alone.has_stockout[0]:
            assert together.stockout[i] == alone.stockout[0]
        if alone.suggest[0]:
            for field in ("needed", "need_by", "order_by", "urgency"):
                assert getattr(together, field)[i] == getattr(alone, field)[0], (field, i)
        exp = alone.expedite[0]
        assert together.expedite[i] == (-1 if exp < 0 else first + exp)
        assert list(together.late[first : first + k]) == list(alone.late)
        first += k


@pytest.mark.parametrize("seed", [4, 5])
def test_stockout_is_the_day_by_day_rule(seed):
    rows = random_rows(seed, 400)
    d = rc.decide(**columns(rows))
    for i, row in enumerate(rows):
        want = stockout_by_the_day(row["on_hand"], row["receipts"], row["per_day"])
        got = TODAY + timedelta(days=int(d.stockout[i])) if d.has_stockout[i] else None
        assert got == want, i


def test_no_rows_and_no_receipts():
    empty = np.zeros(0, np.int64)
    d = rc.decide(on_hand=empty, requested=empty, has_levels=np.zeros(0, bool),
                  reorder_point=empty, order_up_to=empty, per_day=empty, lead_days=empty,
                  receipts=rc.Receipts.empty())  # fmt: skip
    assert len(d.position) == 0 and len(d.late) == 0
