"""XYZ by variation of monthly demand, ABC/XYZ together, and the cycle-count plan."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pandas as pd
import pytest

from forecasting.classification import classify, demand_cv, xyz_classes
from inventory.domain import cycle_counts as cc


def _monthly(series: dict[int, list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(i, m, q) for i, qs in series.items() for m, q in enumerate(qs)],
        columns=["item_id", "period", "qty"],
    )


def test_cv_and_xyz_by_hand():
    # item 1: steady 10s (cv 0); item 2: 0,20 alternating (mean 10, sd 10: cv 1.0);
    # item 3: 5,15 alternating (mean 10, sd 5: cv 0.5); item 4: never demanded
    monthly = _monthly({1: [10] * 4, 2: [0, 20, 0, 20], 3: [5, 15, 5, 15], 4: [0] * 4})
    cv = demand_cv(monthly)
    assert cv[1] == 0 and cv[2] == pytest.approx(1.0) and cv[3] == pytest.approx(0.5)
    assert pd.isna(cv[4])
    # the edges: exactly 0.5 is Y, exactly 1.0 is Z; no demand is Z
    assert xyz_classes(cv).to_dict() == {1: "X", 2: "Z", 3: "Y", 4: "Z"}
    assert xyz_classes(cv, (0.6, 1.5)).to_dict() == {1: "X", 2: "Y", 3: "X", 4: "Z"}
    with pytest.raises(ValueError):
        xyz_classes(cv, (1.0, 0.5))


def test_abc_and_xyz_together():
    # Values 700, 150, 100, 50 of 1000: A takes 70% and the one crossing 80% (150 → 85%),
    # B up to 95% (100), C the rest.
    totals = pd.DataFrame(
        {"item_id": [1, 2, 3, 4], "quantity": [7.0, 15, 10, 5],
         "consumption_value": [700.0, 150, 100, 50]}
    )  # fmt: skip
    monthly = _monthly({1: [1, 1], 2: [0, 2], 3: [1, 3], 4: [0, 0]})
    frame = classify(totals, monthly).set_index("item_id")
    assert frame["abc_class"].to_dict() == {1: "A", 2: "A", 3: "B", 4: "C"}
    assert frame["xyz_class"].to_dict() == {1: "X", 2: "Z", 3: "Y", 4: "Z"}


def _year_plan(year, items, per_year=cc.DEFAULT_COUNTS_PER_YEAR):
    return {day: cc.due_items(day, items, per_year) for day in cc.working_days(year)}


def test_each_item_is_counted_as_often_as_its_class_says_spread_evenly():
    items = [(i, "A") for i in range(1, 101)] + [(i, "B") for i in range(101, 301)]
    items += [(i, "C") for i in range(301, 701)]
    plan = _year_plan(2026, items)
    assert len(plan) == 261  # Monday to Friday in 2026
    counted = Counter(i for due in plan.values() for i in due)
    assert {counted[i] for i in range(1, 101)} == {4}
    assert {counted[i] for i in range(101, 301)} == {2}
    assert {counted[i] for i in range(301, 701)} == {1}
    # 1,200 counts over 261 days: every day 4 or 5
    assert {len(due) for due in plan.values()} == {4, 5}
    # An A item's counts are about a quarter of the year apart
    days = sorted(d for d, due in plan.items() if 1 in due)
    gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
    assert all(80 <= g <= 100 for g in gaps), gaps


def test_the_plan_is_the_same_twice_and_empty_at_weekends():
    items = [(i, "ABC"[i % 3]) for i in range(1, 200)]
    day = date(2026, 3, 11)
    assert cc.due_items(day, items) == cc.due_items(day, list(reversed(items)))
    saturday = date(2026, 3, 14)
    assert cc.due_items(saturday, items) == []
    assert cc.due_items(saturday + timedelta(days=1), items) == []


def test_configured_counts_per_year():
    items = [(1, "A"), (2, "B"), (3, "C")]
    counted = Counter(i for due in _year_plan(2027, items, {"A": 12, "B": 0, "C": 2}).values()
                      for i in due)  # fmt: skip
    assert counted == {1: 12, 3: 2}
    with pytest.raises(ValueError):
        cc.check_counts_per_year({"A": 53})
