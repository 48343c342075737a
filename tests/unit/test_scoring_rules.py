"""The supplier score formula with hand-computed examples, and the set-based computation checked
against the scalar reference on a generated data set."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from inventory.domain import scoring as s
from inventory.errors import ValidationFailed
from inventory.services.score_frame import score_frame

AS_OF = date(2026, 6, 30)
EPOCH = date(1970, 1, 1)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC).replace(hour=hour)


def d(line, supplier, po_line, item, received_at, received, accepted, required, **kw):
    return s.Delivery(
        line, supplier, po_line, item, received_at, received, accepted, required, **kw
    )


def test_sub_score_mappings():
    assert s.rate_sub_score(0.8) == pytest.approx(80)
    assert s.rate_sub_score(1.0) == 100
    assert s.lead_time_sub_score(0.0) == 100
    assert s.lead_time_sub_score(0.1) == pytest.approx(80)
    assert s.lead_time_sub_score(0.25) == pytest.approx(50)
    assert s.lead_time_sub_score(0.6) == 0
    assert s.price_sub_score(1.0) == 50
    assert s.price_sub_score(0.8) == pytest.approx(100)
    assert s.price_sub_score(0.7) == 100  # clipped
    assert s.price_sub_score(1.1) == pytest.approx(25)
    assert s.price_sub_score(1.3) == 0
    assert math.isnan(s.lead_time_sub_score(math.nan))


def test_mappings_work_on_pandas_series_too():
    got = s.price_sub_score(pd.Series([0.7, 1.0, 1.1, float("nan")]))
    assert got.iloc[:3].tolist() == pytest.approx([100, 50, 25])
    assert math.isnan(got.iloc[3])


def test_shrinkage_pulls_few_deliveries_toward_the_mean():
    # One perfect delivery against a mean of 60 with k = 5: (1×100 + 5×60) / 6.
    assert s.shrink(100.0, 1, 60.0, 5) == pytest.approx(400 / 6)
    # 45 deliveries: (45×100 + 5×60) / 50 = 96.
    assert s.shrink(100.0, 45, 60.0, 5) == pytest.approx(96)
    assert s.shrink(100.0, 3, 60.0, 0) == 100  # k = 0: no shrinkage


@pytest.mark.parametrize(
    ("score", "letter"),
    [(100, "A"), (85, "A"), (84.99, "B"), (70, "B"), (55, "C"), (40, "D"), (39.99, "E"), (0, "E")],
)
def test_grades(score, letter):
    assert s.grade(score) == letter


def test_weighted_score_renormalises_over_the_parts_present():
    weights = s.ScoringConfig().weights
    subs = {"otif": 80.0, "quality": 90.0, "lead_time": 50.0, "price": 50.0}
    score, effective = s.weighted_score(subs, weights)
    assert score == pytest.approx(0.35 * 80 + 0.30 * 90 + 0.15 * 50 + 0.20 * 50)  # 72.5
    assert sum(effective.values()) == pytest.approx(1)
    # No price comparison: 35 + 30 + 15 = 80 share the score.
    score, effective = s.weighted_score(subs | {"price": None}, weights)
    assert score == pytest.approx((35 * 80 + 30 * 90 + 15 * 50) / 80)  # 78.125
    assert effective["price"] == 0 and effective["otif"] == pytest.approx(35 / 80)


@pytest.mark.parametrize(
    "weights",
    [{"otif": -1.0}, {p: 0.0 for p in s.PARTS}, {"speed": 10.0}, {"otif": math.inf}],
)
def test_bad_weights_are_refused(weights):
    with pytest.raises(ValidationFailed) as caught:
        s.ScoringConfig(weights=weights)
    assert "weights" in caught.value.errors


def test_the_window_is_whole_calendar_months_cut_at_as_of():
    assert s.window(date(2026, 6, 15), 12) == (date(2025, 7, 1), date(2026, 6, 15))
    assert s.window(date(2026, 1, 31), 1) == (date(2026, 1, 1), date(2026, 1, 31))
    assert s.window_months(date(2026, 2, 3), 3) == ["2025-12", "2026-01", "2026-02"]


def hand_example() -> list[s.Delivery]:
    """A: one order line of 100 in two parts; B: one perfect delivery; C: no promise, short."""
    return [
        # A: 1 day late (within grace), 60 of 100 → on time, not in full.
        d(1, 1, 10, 7, at("2026-03-12"), 60, 60, 100, promised_date=date(2026, 3, 11),
          ordered_on=date(2026, 3, 1), base_unit_price=10.0),
        # A: 9 days late, 40 received, 38 accepted → 98 ≥ 95: in full, not on time.
        d(2, 1, 10, 7, at("2026-03-20"), 40, 38, 100, promised_date=date(2026, 3, 11),
          ordered_on=date(2026, 3, 1), base_unit_price=10.0),
        # B: on the promised day, all 50 accepted.
        d(3, 2, 20, 7, at("2026-04-05"), 50, 50, 50, promised_date=date(2026, 4, 5),
          ordered_on=date(2026, 4, 1), base_unit_price=8.0),
        # C: nothing promised; 9 of 10 accepted (< 9.5): not in full.
        d(4, 3, 30, 7, at("2026-05-10"), 10, 9, 10, base_unit_price=12.0),
        # Outside the window: ignored.
        d(5, 3, 31, 7, at("2025-06-30"), 10, 0, 10, base_unit_price=99.0),
    ]  # fmt: skip


def test_hand_computed_scores():
    got = s.score_suppliers(hand_example(), AS_OF)
    a, b, c = got[1], got[2], got[3]
    # A: on time 1/2, in full 1/2, OTIF 0/2, quality 98/100; deviations 1/10 and 9/10 → pstdev
    # 0.4 → lead time 100 × (1 - 0.8) = 20; price 10 against the median of 8 and 12 = 10 → 50.
    assert a.rates == pytest.approx(
        {"on_time": 0.5, "in_full": 0.5, "otif": 0.0, "quality": 0.98,
         "lead_time_spread": 0.4, "price_index": 1.0}
    )  # fmt: skip
    assert [p.sub_score for p in a.parts] == pytest.approx([0, 98, 20, 50])
    assert a.raw_score == pytest.approx(0 + 0.30 * 98 + 0.15 * 20 + 0.20 * 50)  # 42.4
    assert [p.contribution for p in a.parts] == pytest.approx([0, 29.4, 3, 10])
    # B: everything perfect; 8 against the median of 10 and 12 = 11 → index 8/11 → 100.
    assert b.rates["price_index"] == pytest.approx(8 / 11)
    assert b.raw_score == pytest.approx(100)
    # C: no OTIF, no lead time; quality 90 (weight 30) and price 12/9 → 0 (weight 20).
    assert c.rates["otif"] is None and c.rates["in_full"] == 0
    assert c.raw_score == pytest.approx((30 * 90 + 20 * 0) / 50)  # 54
    assert [p.effective_weight for p in c.parts] == pytest.approx([0, 0.6, 0, 0.4])
    # Shrinkage toward the mean 196.4 / 3 with k = 5.
    mean = (42.4 + 100 + 54) / 3
    assert a.score == pytest.approx((2 * 42.4 + 5 * mean) / 7)  # 58.88
    assert b.score == pytest.approx((100 + 5 * mean) / 6)  # 71.22: one lucky delivery, not top A
    assert c.score == pytest.approx((54 + 5 * mean) / 6)  # 63.56
    assert (a.grade, b.grade, c.grade) == ("C", "B", "C")
    assert (a.deliveries, b.deliveries, c.deliveries) == (2, 1, 1)
    assert a.trend_direction == "insufficient_data"
    assert [m.deliveries for m in a.trend][-4] == 2  # March 2026


def test_grace_days_and_earlier_acceptances_count():
    late = d(1, 1, 10, 7, at("2026-03-14"), 20, 20, 100, promised_date=date(2026, 3, 11))
    # 3 days late: not on time with 2 days' grace, on time with 3.
    assert s.score_suppliers([late], AS_OF)[1].rates["on_time"] == 0
    three = s.ScoringConfig(grace_days=3)
    assert s.score_suppliers([late], AS_OF, three)[1].rates["on_time"] == 1
    # 80 accepted before the window opened + these 20 = 100: in full.
    assert s.score_suppliers([late], AS_OF, accepted_before={10: 80.0})[1].rates["in_full"] == 1
    assert s.score_suppliers([late], AS_OF)[1].rates["in_full"] == 0


def test_monthly_trend_slope_is_weighted_by_deliveries():
    quality_only = s.ScoringConfig(weights={"quality": 1.0})
    deliveries = [
        d(1, 1, 1, 7, at("2026-02-10"), 10, 7, 10),  # February: 70
        d(2, 1, 2, 7, at("2026-03-10"), 10, 8, 10),  # March: 80
        d(3, 1, 3, 7, at("2026-04-10"), 10, 9, 10),  # April: 90, two deliveries
        d(4, 1, 4, 7, at("2026-04-11"), 10, 9, 10),
    ]
    got = s.score_suppliers(deliveries, AS_OF, quality_only)[1]
    by_month = {m.month: (m.deliveries, m.score) for m in got.trend}
    assert by_month["2026-02"] == (1, pytest.approx(70))
    assert by_month["2026-04"] == (2, pytest.approx(90))
    assert by_month["2026-05"] == (0, None)
    # x = 0, 1, 2 with weights 1, 1, 2: mean x 1.25, mean y 82.5; Sxy 27.5 / Sxx 2.75 = 10.
    assert got.trend_slope == pytest.approx(10)
    assert got.trend_direction == "improving"


# --- the set-based computation equals the reference --------------------------------------------


def as_frame(deliveries: list[s.Delivery], accepted_before: dict) -> pd.DataFrame:
    ordered = sorted(deliveries, key=lambda x: (x.po_line_id, x.received_at, x.line_id))

    def days(x):
        return float("nan") if x is None else float((x - EPOCH).days)

    return pd.DataFrame(
        {
            "line_id": [x.line_id for x in ordered],
            "supplier_id": [x.supplier_id for x in ordered],
            "po_line_id": [x.po_line_id for x in ordered],
            "item_id": [x.item_id for x in ordered],
            "received_day": [(x.received_at.date() - EPOCH).days for x in ordered],
            "received": [x.received for x in ordered],
            "accepted": [x.accepted for x in ordered],
            "required": [x.required for x in ordered],
            "accepted_before": [accepted_before.get(x.po_line_id, 0.0) for x in ordered],
            "promised_day": [days(x.promised_date) for x in ordered],
            "ordered_day": [days(x.ordered_on) for x in ordered],
            "base_unit_price": [
                float("nan") if x.base_unit_price is None else x.base_unit_price for x in ordered
            ],
        }
    )


def generated(seed: int) -> tuple[list[s.Delivery], dict]:
    rng = random.Random(seed)
    deliveries, before, line = [], {}, 0
    for po_line in range(1, 160):
        supplier, item = rng.randint(1, 25), rng.randint(1, 12)
        required = float(rng.choice([10, 20, 50, 100, 0]))
        ordered_on = date(2025, 5, 1) + timedelta(days=rng.randint(0, 400))
        promised = ordered_on + timedelta(days=rng.randint(0, 20)) if rng.random() < 0.9 else None
        price = rng.choice([None, round(rng.uniform(5, 15), 4)])
        if rng.random() < 0.2:
            before[po_line] = float(rng.randint(0, 60))
        for _ in range(rng.randint(1, 3)):
            line += 1
            received = float(rng.randint(0, 60))
            deliveries.append(
                s.Delivery(
                    line, supplier, po_line, item,
                    datetime.combine(ordered_on, datetime.min.time(), UTC)
                    + timedelta(days=rng.randint(-5, 40), hours=rng.randint(0, 23)),
                    received, float(rng.randint(0, int(received))), required,
                    promised_date=promised,
                    ordered_on=ordered_on if rng.random() < 0.95 else None,
                    base_unit_price=price,
                )
            )  # fmt: skip
    return deliveries, before


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    "config",
    [s.ScoringConfig(), s.ScoringConfig(grace_days=0, k=2, weights={"otif": 1.0, "price": 3.0})],
)
def test_the_vectorised_scores_equal_the_reference(seed, config):
    deliveries, before = generated(seed)
    expected = s.score_suppliers(deliveries, AS_OF, config, before)
    got = score_frame(as_frame(deliveries, before), AS_OF, config)
    table = got.suppliers
    assert set(table.index) == set(expected) and len(expected) > 10
    assert got.population_mean == pytest.approx(
        sum(e.raw_score for e in expected.values()) / len(expected)
    )
    for supplier, e in expected.items():
        row = table.loc[supplier]
        assert row["deliveries"] == e.deliveries
        assert row["raw_score"] == pytest.approx(e.raw_score, abs=1e-9)
        assert row["score"] == pytest.approx(e.score, abs=1e-9)
        assert row["grade"] == e.grade
        for name, value in e.rates.items():
            if value is None:
                assert math.isnan(row[name]), (supplier, name)
            else:
                assert row[name] == pytest.approx(value, abs=1e-9), (supplier, name)
        for part in e.parts:
            assert row[f"weight_{part.name}"] == pytest.approx(part.effective_weight, abs=1e-12)
        assert row["trend_direction"] == e.trend_direction
        if math.isnan(e.trend_slope):
            assert math.isnan(row["trend_slope"])
        else:
            assert row["trend_slope"] == pytest.approx(e.trend_slope, abs=1e-6)
        months = got.monthly[got.monthly["supplier_id"] == supplier]
        want = {i: m for i, m in enumerate(e.trend) if m.deliveries}
        assert set(months["month"]) == set(want)
        for _, m in months.iterrows():
            assert m["deliveries"] == want[m["month"]].deliveries
            assert m["score"] == pytest.approx(want[m["month"]].score, abs=1e-9)
    # Best first.
    assert list(table["score"]) == sorted(table["score"], reverse=True)


def test_an_empty_window_scores_nobody():
    got = score_frame(as_frame([], {}), AS_OF)
    assert got.suppliers.empty and got.monthly.empty
