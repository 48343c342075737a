"""The supplier score, set-based: a frame of deliveries in, per-supplier and per-month scores out.

The formulas are ``inventory.domain.scoring``'s (its module docstring defines every part); this
module only applies them to whole columns at once with pandas and numpy: group-bys for the rates,
a sorted array for the leave-one-out price median, and closed-form sums for the trend slope.
There is no loop over suppliers or deliveries; a test checks it against the scalar reference.

Input columns (one row per delivery, sorted by ``po_line_id`` then time):
``line_id, supplier_id, po_line_id, item_id, received_day, received, accepted, required,
accepted_before, promised_day, ordered_day, base_unit_price`` — days are integers since
1970-01-01, quantities units, missing values NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from inventory.domain import scoring as rules

_EPOCH_MONTH = 1970 * 12  # months are counted as year × 12 + month - 1
RATE_COLUMNS = ["on_time", "in_full", "otif", "quality", "lead_time_spread", "price_index"]
RAW_OF = {"otif": "otif", "quality": "quality", "lead_time": "lead_time_spread"}
RAW_OF["price"] = "price_index"


@dataclass(frozen=True)
class Scores:
    """``suppliers``: one row per scored supplier (index supplier_id), best first, with the
    rates, ``sub_<part>``, ``weight_<part>`` (effective), ``raw_score``, ``score``, ``grade``,
    ``deliveries``, ``trend_slope``, ``trend_direction``. ``monthly``: supplier_id, month
    (index into ``months``), deliveries, score."""

    as_of: date
    window_start: date
    window_end: date
    config: rules.ScoringConfig
    population_mean: float
    months: list[str]
    suppliers: pd.DataFrame
    monthly: pd.DataFrame


def _judge(frame: pd.DataFrame, first_month: int, config: rules.ScoringConfig) -> pd.DataFrame:
    """Per delivery: on_time, in_full, otif (1/0/NaN), the lead-time deviation, and the month."""
    day = frame["received_day"].to_numpy(dtype="int64")
    promised = frame["promised_day"].to_numpy(dtype="float64")
    ordered = frame["ordered_day"].to_numpy(dtype="float64")
    has_promise = ~np.isnan(promised)
    on_time = np.where(has_promise, (day <= promised + config.grace_days).astype(float), np.nan)
    # Accepted on the order line so far, this delivery included (the frame is in line order).
    so_far = frame.groupby("po_line_id", sort=False)["accepted"].cumsum() + frame["accepted_before"]
    required = frame["required"].to_numpy()
    in_full = (
        (required <= 0)
        | (so_far.to_numpy() >= config.in_full_share * required - rules.IN_FULL_EPSILON)
    ).astype(float)
    promised_days = np.maximum(promised - ordered, 1.0)
    deviation = np.where(has_promise & ~np.isnan(ordered), (day - promised) / promised_days, np.nan)
    month = day.astype("datetime64[D]").astype("datetime64[M]").astype("int64")
    return pd.DataFrame(
        {
            "supplier_id": frame["supplier_id"].to_numpy(),
            "month": month + _EPOCH_MONTH - first_month,
            "on_time": on_time,
            "in_full": in_full,
            "otif": np.where(has_promise, on_time * in_full, np.nan),
            "received": frame["received"].to_numpy(),
            "accepted": frame["accepted"].to_numpy(),
            "deviation": deviation,
        }
    )


def _rates(judged: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = judged.groupby(keys, sort=True)
    out = grouped.agg(
        deliveries=("in_full", "size"),
        on_time=("on_time", "mean"),
        in_full=("in_full", "mean"),
        otif=("otif", "mean"),
        received=("received", "sum"),
        accepted=("accepted", "sum"),
    )
    out["quality"] = (out["accepted"] / out["received"]).where(out["received"] > 0)
    out["lead_time_spread"] = grouped["deviation"].std(ddof=0)
    return out.drop(columns=["received", "accepted"])


def price_indexes(frame: pd.DataFrame) -> pd.Series:
    """Per supplier: Σ qty × own average price / Σ qty × the other suppliers' median, over the
    items someone else delivered too."""
    priced = frame.loc[
        frame["base_unit_price"].notna() & (frame["received"] > 0),
        ["supplier_id", "item_id", "received", "base_unit_price"],
    ]
    priced = priced.assign(spend=priced["received"] * priced["base_unit_price"])
    pairs = priced.groupby(["item_id", "supplier_id"], sort=False)[["received", "spend"]].sum()
    pairs = pairs.reset_index()
    pairs["price"] = pairs["spend"] / pairs["received"]
    pairs = pairs.sort_values(["item_id", "price"], kind="mergesort", ignore_index=True)
    values = pairs["price"].to_numpy()
    by_item = pairs.groupby("item_id", sort=False)
    rank = by_item.cumcount().to_numpy()
    others = by_item["item_id"].transform("size").to_numpy() - 1
    first = np.arange(len(pairs)) - rank
    # The median of the others: positions lo and hi in the item's sorted prices with this
    # supplier's own price skipped (a position at or past its rank moves up by one).
    lo, hi = (others - 1) // 2, others // 2
    compared = others >= 1
    lo_at = np.where(compared, first + lo + (lo >= rank), first)
    hi_at = np.where(compared, first + hi + (hi >= rank), first)
    reference = np.where(compared, (values[lo_at] + values[hi_at]) / 2, np.nan)
    pairs["paid"] = np.where(compared, pairs["spend"], 0.0)
    pairs["reference"] = np.where(compared, pairs["received"] * reference, 0.0)
    sums = pairs.groupby("supplier_id")[["paid", "reference"]].sum()
    return (sums["paid"] / sums["reference"]).where(sums["reference"] > 0).dropna()


def _weigh(rates: pd.DataFrame, price_sub: pd.Series, config: rules.ScoringConfig) -> pd.DataFrame:
    """Sub-scores, effective weights and the weighted raw score of each row of ``rates``."""
    subs = pd.DataFrame(
        {
            "otif": rules.rate_sub_score(rates["otif"]),
            "quality": rules.rate_sub_score(rates["quality"]),
            "lead_time": rules.lead_time_sub_score(rates["lead_time_spread"]),
            "price": price_sub,
        },
        index=rates.index,
    )
    present = subs.notna()
    weights = present.mul(pd.Series(dict(config.weights))[list(rules.PARTS)])
    total = weights.sum(axis=1)
    effective = weights.div(total.where(total > 0), axis=0)
    raw = (effective * subs.fillna(0.0)).sum(axis=1).where(total > 0)
    out = pd.concat([subs.add_prefix("sub_"), effective.add_prefix("weight_")], axis=1)
    out["raw_score"] = raw
    return out


def _grades(score: pd.Series) -> np.ndarray:
    conditions = [score >= lowest for _, lowest in rules.GRADES]
    return np.select(conditions, [g for g, _ in rules.GRADES], default=rules.LOWEST_GRADE)


def _trend(monthly: pd.DataFrame) -> pd.DataFrame:
    """Per supplier: the deliveries-weighted least-squares slope of the monthly score."""
    scored = monthly[monthly["score"].notna()]
    w, x, y = scored["deliveries"], scored["month"], scored["score"]
    sums = pd.DataFrame(
        {"w": w, "wx": w * x, "wy": w * y, "wxx": w * x * x, "wxy": w * x * y, "n": 1.0}
    )
    s = sums.groupby(scored["supplier_id"]).sum()
    denominator = s["w"] * s["wxx"] - s["wx"] ** 2
    slope = (s["w"] * s["wxy"] - s["wx"] * s["wy"]) / denominator.where(denominator > 0)
    slope = slope.where(s["n"] >= 2)
    months_seen = monthly.groupby("supplier_id")["deliveries"].size()
    return pd.DataFrame({"trend_slope": slope, "months_with_deliveries": months_seen})


def score_frame(
    frame: pd.DataFrame, as_of: date, config: rules.ScoringConfig | None = None
) -> Scores:
    """Score every supplier with a delivery in the window (see ``inventory.domain.scoring``)."""
    config = config or rules.ScoringConfig()
    start, end = rules.window(as_of, config.window_months)
    months = rules.window_months(as_of, config.window_months)
    epoch = date(1970, 1, 1)
    days = frame["received_day"]
    inside = frame[(days >= (start - epoch).days) & (days <= (end - epoch).days)]
    first_month = start.year * 12 + start.month - 1
    judged = _judge(inside, first_month, config)

    per_supplier = _rates(judged, ["supplier_id"])
    per_supplier["price_index"] = price_indexes(inside)
    price_sub = rules.price_sub_score(per_supplier["price_index"])
    per_supplier = per_supplier.join(_weigh(per_supplier, price_sub, config))
    per_supplier = per_supplier[per_supplier["raw_score"].notna()]
    mean = float(per_supplier["raw_score"].mean()) if len(per_supplier) else float("nan")
    per_supplier["score"] = rules.shrink(
        per_supplier["raw_score"], per_supplier["deliveries"], mean, config.k
    )
    per_supplier["grade"] = _grades(per_supplier["score"])

    # Months: the same formula on each month's deliveries, with the window's price sub-score.
    monthly = _rates(
        judged[judged["supplier_id"].isin(per_supplier.index)], ["supplier_id", "month"]
    )
    month_price = price_sub.reindex(monthly.index.get_level_values("supplier_id")).to_numpy()
    monthly["score"] = _weigh(monthly, pd.Series(month_price, index=monthly.index), config)[
        "raw_score"
    ]
    monthly = monthly.reset_index()[["supplier_id", "month", "deliveries", "score"]]

    per_supplier = per_supplier.join(_trend(monthly))
    slope, seen = per_supplier["trend_slope"], per_supplier["months_with_deliveries"]
    per_supplier["trend_direction"] = np.select(
        [
            (seen < rules.TREND_MIN_MONTHS) | slope.isna(),
            slope >= rules.TREND_FLAT_POINTS,
            slope <= -rules.TREND_FLAT_POINTS,
        ],
        ["insufficient_data", "improving", "worsening"],
        default="stable",
    )
    per_supplier = per_supplier.sort_values(
        ["score", "supplier_id"], ascending=[False, True], kind="mergesort"
    )
    per_supplier["deliveries"] = per_supplier["deliveries"].astype("int64")
    return Scores(as_of, start, end, config, mean, months, per_supplier, monthly)


def judged_deliveries(frame: pd.DataFrame, config: rules.ScoringConfig) -> pd.DataFrame:
    """Per delivery of ``frame`` (as ``scoring_queries.deliveries`` gives it): ``supplier_id``,
    ``on_time``, ``in_full`` and ``otif`` (1/0, NaN without a promised date), by the same rules
    the score uses — for reports that need the rates over another window."""
    return _judge(frame, 0, config)[["supplier_id", "on_time", "in_full", "otif"]]
