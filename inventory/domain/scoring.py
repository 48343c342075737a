"""The supplier score: what each part measures, how it maps to 0-100, and how the parts combine.

A *delivery* is one goods-receipt line (one order line delivered in one receipt) of a posted
receipt whose received date (UTC) lies in the window: the ``window_months`` calendar months
ending with ``as_of``'s month, cut at ``as_of`` (12 months ending 2026-06-15 run from 2025-07-01
to 2026-06-15). Per supplier:

- **on time**: received date <= promised date + ``grace_days``. Deliveries without a promised
  date are left out of on-time and OTIF (nothing was promised, so nothing was kept or broken).
- **in full**: after this delivery the order line's accepted quantity, counting every earlier
  posted receipt of the line (also those before the window), reaches ``in_full_share`` (95 %) of
  the line's ordered quantity less what the buyer cancelled. A split delivery is therefore not
  in full until the part that completes the line; rejected goods do not count.
- **OTIF**: on time and in full; the rate over deliveries with a promised date.
- **quality**: accepted / received quantity over the window's deliveries.
- **lead-time spread**: the population standard deviation of each delivery's deviation from
  its promise relative to the promised lead time, ``(received - promised) / max(promised -
  ordered, 1 day)``. A supplier that is always two days late is predictable (OTIF punishes the
  lateness); one that swings between early and late is not.
- **price index**: per item, the supplier's quantity-weighted average unit price in base
  currency (receipt price × the order's fixed exchange rate) against the median of the other
  suppliers' averages for the same item; over its items, ``Σ qty × own price / Σ qty × others'
  median`` — what it charged against what the others would have. 1.0 is the median; items no
  one else delivered are not compared.

Sub-scores (0-100): OTIF and quality are ``100 × rate``; lead time ``100 × (1 - 2 × spread)``;
price ``50 + 250 × (1 - index)`` (20 % cheaper than the others → 100, 20 % dearer → 0); all
clipped to 0-100. The raw score is the weighted mean of the parts a supplier has (a part with no
data drops out and the weights of the others are renormalised). With ``n`` deliveries the score
is pulled toward the mean raw score of all scored suppliers: ``(n × raw + k × mean) / (n + k)``.

The mapping functions work on plain floats and, unchanged, on pandas Series (duck typing: this
module imports no pandas), so the set-based computation in ``inventory.services.scoring`` uses
the very same formulas. ``score_suppliers`` below is the scalar reference it is tested against.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType

from inventory.errors import ValidationFailed

PARTS = ("otif", "quality", "lead_time", "price")
DEFAULT_WEIGHTS = MappingProxyType(
    {"otif": 35.0, "quality": 30.0, "lead_time": 15.0, "price": 20.0}
)
# Lowest score for each grade, best first; below the last threshold is E.
GRADES = (("A", 85.0), ("B", 70.0), ("C", 55.0), ("D", 40.0))
LOWEST_GRADE = "E"
# A trend needs this many months with deliveries, and a slope of at least this many points a
# month either way, before it is called improving or worsening.
TREND_MIN_MONTHS = 3
TREND_FLAT_POINTS = 1.0
IN_FULL_EPSILON = 1e-9  # float noise on "reaches 95 %" comparisons


@dataclass(frozen=True)
class ScoringConfig:
    window_months: int = 12
    grace_days: int = 2
    k: float = 5.0
    in_full_share: float = 0.95
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def __post_init__(self):
        errors: dict[str, list[str]] = {}
        if not 1 <= self.window_months <= 60:
            errors["window_months"] = ["Between 1 and 60 months."]
        if not 0 <= self.grace_days <= 365:
            errors["grace_days"] = ["Between 0 and 365 days."]
        if not (math.isfinite(self.k) and 0 <= self.k <= 10_000):
            errors["k"] = ["Between 0 and 10000 deliveries."]
        if not 0 < self.in_full_share <= 1:
            errors["in_full_share"] = ["Above 0 and at most 1."]
        unknown = set(self.weights) - set(PARTS)
        if unknown:
            errors["weights"] = [f"Unknown parts {sorted(unknown)}; parts are {list(PARTS)}."]
        elif any(not math.isfinite(w) or w < 0 for w in self.weights.values()):
            errors["weights"] = ["Weights are finite and not negative."]
        elif sum(self.weights.values()) <= 0:
            errors["weights"] = ["At least one weight must be above zero."]
        if errors:
            raise ValidationFailed("The scoring settings are not valid.", errors=errors)
        # Missing parts weigh nothing; keep a full, read-only mapping.
        full = {p: float(self.weights.get(p, 0.0)) for p in PARTS}
        object.__setattr__(self, "weights", MappingProxyType(full))


# --- the window ---------------------------------------------------------------------------------


def window(as_of: date, months: int) -> tuple[date, date]:
    """First and last day (inclusive) of the ``months`` calendar months ending at ``as_of``."""
    index = as_of.year * 12 + as_of.month - 1 - (months - 1)
    if index < 12 or as_of.year > 9998:
        raise ValidationFailed("The window must lie between the years 1 and 9998.")
    return date(index // 12, index % 12 + 1, 1), as_of


def window_months(as_of: date, months: int) -> list[str]:
    """The window's months as ``YYYY-MM``, oldest first."""
    start, _ = window(as_of, months)
    first = start.year * 12 + start.month - 1
    return [f"{(first + i) // 12:04d}-{(first + i) % 12 + 1:02d}" for i in range(months)]


# --- sub-scores: floats or pandas Series alike -------------------------------------------------


def _clip(x, low: float, high: float):
    if hasattr(x, "clip"):
        return x.clip(low, high)
    return x if isinstance(x, float) and math.isnan(x) else max(low, min(high, x))


def rate_sub_score(rate):
    """OTIF and quality: a rate 0-1 → 0-100."""
    return _clip(100.0 * rate, 0.0, 100.0)


def lead_time_sub_score(spread):
    """Spread 0 → 100; 0.25 (a quarter of the promised lead time) → 50; 0.5 or more → 0."""
    return 100.0 * _clip(1.0 - 2.0 * spread, 0.0, 1.0)


def price_sub_score(index):
    """At the others' median → 50; 20 % below → 100; 20 % above → 0."""
    return _clip(50.0 + 250.0 * (1.0 - index), 0.0, 100.0)


def shrink(raw, deliveries, mean: float, k: float):
    """Pull a score standing on few deliveries toward the population mean."""
    return (deliveries * raw + k * mean) / (deliveries + k)


def grade(score: float) -> str:
    for letter, lowest in GRADES:
        if score >= lowest:
            return letter
    return LOWEST_GRADE


def trend_direction(slope: float, months_with_deliveries: int) -> str:
    if months_with_deliveries < TREND_MIN_MONTHS or math.isnan(slope):
        return "insufficient_data"
    if slope >= TREND_FLAT_POINTS:
        return "improving"
    if slope <= -TREND_FLAT_POINTS:
        return "worsening"
    return "stable"


def weighted_score(sub_scores: Mapping[str, float | None], weights: Mapping[str, float]):
    """The weighted mean of the parts that have a value; ``(score, {part: effective weight})``.
    NaN when no weighted part has a value."""
    present = {p: s for p, s in sub_scores.items() if s is not None and not math.isnan(s)}
    total = sum(weights[p] for p in present)
    if total <= 0:
        return math.nan, {p: 0.0 for p in PARTS}
    effective = {p: (weights[p] / total if p in present else 0.0) for p in PARTS}
    return sum(effective[p] * present[p] for p in present), effective


# --- the scalar reference -----------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One receipt line, as the score reads it. Quantities in units; price in base currency
    (None when the order's exchange rate is unknown)."""

    line_id: int
    supplier_id: int
    po_line_id: int
    item_id: int
    received_at: datetime
    received: float
    accepted: float
    required: float  # the order line's quantity less what was cancelled
    promised_date: date | None = None
    ordered_on: date | None = None
    base_unit_price: float | None = None


@dataclass(frozen=True)
class Part:
    name: str
    raw_value: float | None
    sub_score: float | None
    weight: float
    effective_weight: float
    contribution: float


@dataclass(frozen=True)
class MonthScore:
    month: str
    deliveries: int
    score: float | None


@dataclass(frozen=True)
class SupplierScore:
    supplier_id: int
    deliveries: int
    rates: dict[str, float | None]
    parts: tuple[Part, ...]
    raw_score: float
    score: float
    grade: str
    trend: tuple[MonthScore, ...]
    trend_slope: float
    trend_direction: str


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _none_if_nan(x: float) -> float | None:
    return None if x is None or math.isnan(x) else x


def _rates(rows: list[tuple[Delivery, bool | None, bool, float | None]]) -> dict:
    """on-time / in-full / OTIF / quality rates and the lead-time spread of some deliveries."""
    promised = [(t, f) for _, t, f, _ in rows if t is not None]
    received = sum(d.received for d, *_ in rows)
    deviations = [x for *_, x in rows if x is not None]
    return {
        "on_time": _mean([float(t) for t, _ in promised]),
        "in_full": _mean([float(f) for _, _, f, _ in rows]),
        "otif": _mean([float(t and f) for t, f in promised]),
        "quality": sum(d.accepted for d, *_ in rows) / received if received > 0 else None,
        "lead_time_spread": statistics.pstdev(deviations) if deviations else None,
    }


def _sub_scores(rates: dict, price_index: float | None) -> dict[str, float | None]:
    def maybe(f, x):
        return None if x is None else f(x)

    return {
        "otif": maybe(rate_sub_score, rates["otif"]),
        "quality": maybe(rate_sub_score, rates["quality"]),
        "lead_time": maybe(lead_time_sub_score, rates["lead_time_spread"]),
        "price": maybe(price_sub_score, price_index),
    }


def _price_indexes(deliveries: Iterable[Delivery]) -> dict[int, float]:
    qty: dict[tuple[int, int], float] = defaultdict(float)
    spend: dict[tuple[int, int], float] = defaultdict(float)
    for d in deliveries:
        if d.base_unit_price is not None and d.received > 0:
            qty[d.supplier_id, d.item_id] += d.received
            spend[d.supplier_id, d.item_id] += d.received * d.base_unit_price
    average = {key: spend[key] / qty[key] for key in qty}
    by_item: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (supplier, item), price in average.items():
        by_item[item].append((supplier, price))
    paid: dict[int, float] = defaultdict(float)
    reference: dict[int, float] = defaultdict(float)
    for (supplier, item), price in average.items():
        others = [p for s, p in by_item[item] if s != supplier]
        if others:
            paid[supplier] += qty[supplier, item] * price
            reference[supplier] += qty[supplier, item] * statistics.median(others)
    return {s: paid[s] / reference[s] for s in paid if reference[s] > 0}


def score_suppliers(
    deliveries: Iterable[Delivery],
    as_of: date,
    config: ScoringConfig | None = None,
    accepted_before: Mapping[int, float] | None = None,
) -> dict[int, SupplierScore]:
    """Score every supplier with a delivery in the window, one delivery at a time.

    ``accepted_before`` is what each order line had accepted before the window opened."""
    config = config or ScoringConfig()
    start, end = window(as_of, config.window_months)
    months = window_months(as_of, config.window_months)
    inside = sorted(
        (d for d in deliveries if start <= d.received_at.date() <= end),
        key=lambda d: (d.received_at, d.line_id),
    )
    cumulative = defaultdict(float, accepted_before or {})
    judged: dict[int, list] = defaultdict(list)
    for d in inside:
        cumulative[d.po_line_id] += d.accepted
        on_time = None
        if d.promised_date is not None:
            on_time = (d.received_at.date() - d.promised_date).days <= config.grace_days
        in_full = (
            d.required <= 0
            or cumulative[d.po_line_id] >= config.in_full_share * d.required - IN_FULL_EPSILON
        )
        deviation = None
        if d.promised_date is not None and d.ordered_on is not None:
            promised_days = max((d.promised_date - d.ordered_on).days, 1)
            deviation = (d.received_at.date() - d.promised_date).days / promised_days
        judged[d.supplier_id].append((d, on_time, in_full, deviation))

    prices = _price_indexes(inside)
    raw: dict[int, tuple] = {}
    for supplier, rows in judged.items():
        rates = _rates(rows) | {"price_index": prices.get(supplier)}
        subs = _sub_scores(rates, prices.get(supplier))
        score, effective = weighted_score(subs, config.weights)
        if not math.isnan(score):
            raw[supplier] = (rows, rates, subs, score, effective)
    if not raw:
        return {}
    mean = statistics.fmean(r[3] for r in raw.values())

    result = {}
    for supplier, (rows, rates, subs, score, effective) in raw.items():
        parts = tuple(
            Part(
                name=p,
                raw_value=rates[_RAW_OF[p]],
                sub_score=subs[p],
                weight=config.weights[p],
                effective_weight=effective[p],
                contribution=effective[p] * subs[p] if subs[p] is not None else 0.0,
            )
            for p in PARTS
        )
        trend = _trend(rows, months, prices.get(supplier), config)
        slope = _slope(trend)
        adjusted = shrink(score, len(rows), mean, config.k)
        result[supplier] = SupplierScore(
            supplier_id=supplier,
            deliveries=len(rows),
            rates=rates,
            parts=parts,
            raw_score=score,
            score=adjusted,
            grade=grade(adjusted),
            trend=trend,
            trend_slope=slope,
            trend_direction=trend_direction(slope, sum(1 for m in trend if m.deliveries)),
        )
    return result


_RAW_OF = {
    "otif": "otif",
    "quality": "quality",
    "lead_time": "lead_time_spread",
    "price": "price_index",
}


def _trend(rows, months: list[str], price_index, config: ScoringConfig) -> tuple[MonthScore, ...]:
    """Each month's raw score from that month's deliveries; the price part keeps the window's
    index (a month holds too few prices to compare)."""
    by_month: dict[str, list] = defaultdict(list)
    for row in rows:
        by_month[row[0].received_at.strftime("%Y-%m")].append(row)
    out = []
    for month in months:
        picked = by_month.get(month, [])
        if not picked:
            out.append(MonthScore(month, 0, None))
            continue
        score, _ = weighted_score(_sub_scores(_rates(picked), price_index), config.weights)
        out.append(MonthScore(month, len(picked), _none_if_nan(score)))
    return tuple(out)


def _slope(trend: Iterable[MonthScore]) -> float:
    """Least-squares slope of monthly score against month number, weighted by deliveries;
    points per month. NaN with fewer than two months."""
    points = [(i, m.score, m.deliveries) for i, m in enumerate(trend) if m.score is not None]
    weight = sum(w for *_, w in points)
    if len(points) < 2 or weight <= 0:
        return math.nan
    mean_x = sum(x * w for x, _, w in points) / weight
    mean_y = sum(y * w for _, y, w in points) / weight
    sxx = sum(w * (x - mean_x) ** 2 for x, _, w in points)
    sxy = sum(w * (x - mean_x) * (y - mean_y) for x, y, w in points)
    return sxy / sxx if sxx > 0 else math.nan
