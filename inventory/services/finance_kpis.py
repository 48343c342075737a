"""KPIs over a window: turnover and days of inventory, stock-out days, fill rate of issues,
supplier OTIF and inventory record accuracy. docs/reports.md, "KPIs", gives each formula; the
figures come from aggregates in ``inventory.db.kpi_queries``, OTIF from the supplier score's
own rules (``score_frame.judged_deliveries``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from inventory.db import kpi_queries as q
from inventory.db import scoring_queries
from inventory.domain import numbers as n
from inventory.domain import stocktake as counts
from inventory.services import scoring
from inventory.services.finance_reports import Window, check_filters
from inventory.services.score_frame import judged_deliveries


def _ratio(numerator, denominator, places: int = 4) -> Decimal | None:
    if not denominator:
        return None
    return n.fixed(Decimal(numerator) / Decimal(denominator), places)


def _accuracy(lines: list[dict]) -> tuple[int, int]:
    within = 0
    for x in lines:
        variance = counts.line_variance(x["book"], x["counted"], x["cost"])
        if counts.within_tolerance(
            x["book"], variance.quantity, variance.value, x["pct"], x["tolerance"]
        ):
            within += 1
    return len(lines), within


def judged_window(first_day: date, last_day: date, config) -> pd.DataFrame:
    """``judged_deliveries`` of the window's deliveries on order lines with a promised
    delivery in it (the others have no OTIF), read narrowly: what the order lines had
    accepted before the window only counts towards in full, and adding it can only turn a
    short delivery full, so it is read just for the lines the window alone leaves short."""
    frame = scoring_queries.otif_deliveries(first_day, last_day)
    judged = judged_deliveries(frame, config)
    short = frame.loc[judged["in_full"].to_numpy() == 0, "po_line_id"].unique()
    if len(short):
        before = scoring_queries.accepted_before(short, first_day)
        frame["accepted_before"] = frame["po_line_id"].map(before).fillna(0.0)
        judged = judged_deliveries(frame, config)
    return judged


def _otif(win: Window) -> tuple[int, float | None, list[dict]]:
    config = scoring.config_from_environment()
    judged = judged_window(win.first_day, win.last_day, config)
    promised = judged[judged["otif"].notna()]
    per_supplier = [
        {"supplier_id": int(supplier), "deliveries": int(len(group)),
         "otif": round(float(group["otif"].mean()), 4)}
        for supplier, group in promised.groupby("supplier_id")
    ]  # fmt: skip
    overall = round(float(promised["otif"].mean()), 4) if len(promised) else None
    return len(promised), overall, per_supplier


def kpis(win: Window, filters: dict) -> dict:
    check_filters(filters)
    warehouse = filters.get("warehouse_id")
    opening, _, used = q.opening_and_consumption(win.start, win.stop, warehouse)
    closing = q.stock_value_before(win.stop, warehouse)
    average = n.value((opening + closing) / 2)
    turnover = _ratio(used, average)
    pairs, zero_days = q.stock_out(win.start, win.stop, warehouse)
    issued, filled = q.issue_lines(win.start, win.stop, warehouse)
    counted, within = _accuracy(q.counted_lines(win.start, win.stop, warehouse))
    deliveries, otif, per_supplier = _otif(win)
    rows = [
        ("inventory_turnover", turnover, "times", used, average),
        ("days_of_inventory", _ratio(win.days * average, used, 2), "days", None, None),
        ("stock_out_days", n.fixed(Decimal(repr(zero_days)), 2), "item-warehouse days",
         None, None),
        ("stock_out_rate", _ratio(Decimal(repr(zero_days)), pairs * win.days), "share",
         None, pairs * win.days),
        ("fill_rate_of_issues", _ratio(filled, issued), "share", filled, issued),
        ("supplier_otif", None if otif is None else n.fixed(Decimal(repr(otif)), 4), "share",
         None, deliveries),
        ("inventory_record_accuracy", _ratio(within, counted), "share", within, counted),
    ]  # fmt: skip
    return {
        "rows": [
            {"kpi": k, "value": v, "unit": u, "numerator": num, "denominator": den}
            for k, v, u, num, den in rows
        ],
        "money": {
            "opening_stock_value": opening,
            "closing_stock_value": closing,
            "average_stock_value": average,
            "cost_of_goods_consumed": used,
        },
        "suppliers": per_supplier,
    }
