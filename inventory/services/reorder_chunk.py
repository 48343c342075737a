"""One chunk of a reorder run: read its item-warehouses' inputs, forecast them all at once, turn
the forecasts into reorder levels (vectorised), decide per item-warehouse, write the rows in one
transaction. The same function runs in-process and as a Celery task.

A failure of one item-warehouse (no lead time, a bad setting) is written as that series' error
and the others go on; a failure of the whole chunk (the forecast itself raised) is written as an
error on each of its item-warehouses, and the run goes on with the next chunk.
"""

from __future__ import annotations

import logging
import math
import socket
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

import forecasting
from forecasting.policy import lead_time_demand
from inventory.db import demand_queries
from inventory.db import replenishment_queries as q
from inventory.db import replenishment_writes as writes
from inventory.db.base import db
from inventory.db.replenishment_models import FORECAST_QUANTILES, ReorderRun, quantile_column
from inventory.domain import reorder
from inventory.domain.pricing import Offer, PriceBreak
from inventory.services.tx import transaction

log = logging.getLogger("quartermaster.reorder")
DAYS_PER_PERIOD = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}
MEASURED_LEAD_MIN_RECEIPTS = 3  # receipts before the measured mean replaces the nominal one
PLACES4 = Decimal("0.0001")


def series_id(item_id: int, warehouse_id: int) -> str:
    return f"{item_id}@{warehouse_id}"


@dataclass
class Rows:
    series: list[dict]
    forecasts: pd.DataFrame | list[dict]  # demand_forecast rows, column-wise when computed
    suggestions: list[dict]
    exceptions: list[dict]


def process_chunk(run_id: int, chunk: list[list], n_jobs: int = 1) -> dict:
    """Forecast, decide and write ``chunk`` (``[[item_id, warehouse_id, abc_class], ...]``) of
    run ``run_id``; returns ``{"chunk_size", "errors", "worker"}``. ``n_jobs``: processes the
    forecast may use (the in-process run passes the cores; a Celery task keeps 1, its sibling
    workers use the others)."""
    params = db.session.get(ReorderRun, run_id).parameters
    pairs = [(int(i), int(w)) for i, w, _ in chunk]
    abc = {(int(i), int(w)): c for i, w, c in chunk}
    try:
        rows = compute(pairs, abc, params, n_jobs)
    except Exception as exc:  # the chunk fails as a whole: each of its items says why
        log.exception("reorder chunk failed", extra={"run_id": run_id})
        db.session.rollback()
        rows = Rows(
            [_failed(i, w, abc[(i, w)], f"chunk failed: {type(exc).__name__}: {exc}")
             for i, w in pairs],
            [], [], [],
        )  # fmt: skip
    with transaction() as session:
        writes.write_chunk(
            session,
            run_id,
            pairs,
            series=rows.series,
            forecasts=rows.forecasts,
            suggestions=rows.suggestions,
            exceptions=rows.exceptions,
        )
    errors = sum(1 for row in rows.series if row["error"])
    return {"chunk_size": len(pairs), "errors": errors, "worker": socket.gethostname()}


def _failed(item_id: int, warehouse_id: int, abc: str, error: str, **values) -> dict:
    return {
        "item_id": item_id,
        "warehouse_id": warehouse_id,
        "demand_class": values.get("demand_class", "new"),
        "abc_class": abc,
        "model": values.get("model", ""),
        "mean": None,
        "variance": None,
        "backtest_mase": None,
        "backtest_rmsse": None,
        "error": error[:2000],
    }


def _num(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def compute(pairs: list[tuple[int, int]], abc: dict, params: dict, n_jobs: int = 1) -> Rows:
    """The chunk's rows, from the database's inputs and the run's parameters."""
    today = date.fromisoformat(params["run_date"])
    freq, horizon = params["freq"], int(params["horizon"])
    items = sorted({i for i, _ in pairs})
    wanted = set(pairs)

    history = demand_queries.demand_history(
        freq=freq,
        start=date.fromisoformat(params["history_start"]),
        end=date.fromisoformat(params["history_end"]),
        kinds=params["demand_kinds"],
        item_ids=items,
        warehouse_ids=sorted({w for _, w in pairs}),
    )
    keys = pd.MultiIndex.from_frame(history[["item_id", "warehouse_id"]])
    history = history[keys.isin(list(wanted))]
    history = history.assign(
        item_id=history["item_id"].astype(str) + "@" + history["warehouse_id"].astype(str)
    )[["item_id", "period", "qty", "stocked_out"]]
    if len(history):
        result = forecasting.forecast(history, horizon=horizon, freq=freq, n_jobs=n_jobs)
        fc_series, fc_rows = result.series, result.forecasts
    else:
        fc_series = pd.DataFrame(columns=["item_id", "demand_class", "model", "mean", "variance"])
        fc_rows = pd.DataFrame(columns=["item_id", "period", "mean"])

    state = _state(items, wanted, today)
    levels = _levels(fc_series, state, params, abc)
    rows = Rows([], _forecast_rows(fc_rows), [], [])
    by_series = fc_series.set_index("item_id").to_dict("index") if len(fc_series) else {}
    for key in pairs:
        fc = by_series.get(series_id(*key))
        try:
            decision = _decide(key, fc, levels.get(series_id(*key)), state, today,
                               params, abc)  # fmt: skip
        except Exception as exc:  # one item's refusal is that item's error, never the run's
            rows.series.append(_failed(*key, abc[key], _message(exc), **(fc or {})))
            continue
        rows.series.append(_series_row(key, abc, fc))
        if decision.suggestion is not None:
            rows.suggestions.append(_suggestion_row(key, decision, abc, fc))
        rows.exceptions += [
            {
                "item_id": key[0],
                "warehouse_id": key[1],
                "kind": str(found.kind),
                "supplier_id": state["order_supplier"].get(found.order_line_id),
                "po_line_id": found.order_line_id,
                "message": found.detail,
                "detail": {
                    "quantity": None if found.quantity is None else str(found.quantity),
                    "on": None if found.on is None else found.on.isoformat(),
                },
            }
            for found in decision.exceptions
        ]
    return rows


def _message(exc: Exception) -> str:
    detail = getattr(exc, "detail", None) or str(exc)
    code = getattr(exc, "code", type(exc).__name__)
    return f"{code}: {detail}"


def _state(items: list[int], wanted: set, today: date) -> dict:
    """Per item-warehouse: on hand, open receipts, requested; per item: offers; per supplier and
    item: measured lead time; per pair: policy overrides."""
    stock = q.item_warehouses(items)
    orders = q.open_order_lines(items)
    asked = q.requested(items)
    options = q.supplier_options(items, today)
    measured = q.measured_lead_times(items)
    overrides = q.policies(items)
    receipts: dict = {}
    for row in orders.itertuples(index=False):
        receipts.setdefault((row.item_id, row.warehouse_id), []).append(
            reorder.OpenReceipt(row.open_quantity, row.promised_date, row.po_line_id)
        )
    offers: dict = {}
    for row in options.itertuples(index=False):
        offers.setdefault(row.item_id, []).append(row)
    return {
        "on_hand": {(r.item_id, r.warehouse_id): r.on_hand for r in stock.itertuples()},
        "receipts": receipts,
        "order_supplier": dict(zip(orders["po_line_id"], orders["supplier_id"], strict=True)),
        "requested": {(r.item_id, r.warehouse_id): r.requested for r in asked.itertuples()},
        "offers": offers,
        "measured": {
            (r.supplier_id, r.item_id): (r.receipts, r.lead_mean_days, r.lead_sd_days)
            for r in measured.itertuples()
        },
        "policy": {(r.item_id, r.warehouse_id): r for r in overrides.itertuples(index=False)},
    }


def _lead_offer(offers: list):
    """The offer whose lead time plans the item: the preferred one, else the best scored, else
    the first."""
    if not offers:
        return None
    return sorted(
        offers,
        key=lambda o: (
            not o.preferred,
            -(o.score if o.score is not None else -1),
            o.supplier_item_id,
        ),
    )[0]


def lead_time(item_id: int, warehouse_id: int, state: dict) -> tuple[float, float] | None:
    """(mean, sd) in days: the policy's lead time if set; else the lead-planning offer's, as
    measured from its receipts when there are enough, else as the offer says (sd as measured
    from two receipts on, else 0). None when nothing gives one."""
    policy = state["policy"].get((item_id, warehouse_id))
    offer = _lead_offer(state["offers"].get(item_id, []))
    measured = state["measured"].get((offer.supplier_id, item_id)) if offer else None
    sd = float(measured[2]) if measured and measured[0] >= 2 else 0.0
    if policy is not None and policy.lead_time_days is not None:
        return float(policy.lead_time_days), sd
    if offer is None:
        return None
    if measured and measured[0] >= MEASURED_LEAD_MIN_RECEIPTS:
        return float(measured[1]), sd
    return float(offer.lead_time_days), sd


def service_level(item_id: int, warehouse_id: int, abc_class: str, state: dict, params: dict):
    policy = state["policy"].get((item_id, warehouse_id))
    if policy is not None and policy.service_level is not None:
        return Decimal(policy.service_level)
    return Decimal(params["settings"][f"service_level_{abc_class.lower()}"])


def review_days(item_id: int, warehouse_id: int, state: dict, params: dict) -> int:
    policy = state["policy"].get((item_id, warehouse_id))
    if policy is not None and policy.review_period_days is not None:
        return int(policy.review_period_days)
    return int(params["settings"]["review_period_days"])


def _levels(fc_series: pd.DataFrame, state: dict, params: dict, abc: dict) -> dict:
    """Reorder point and order-up-to per series id, for every series with a lead time and a
    valid service level: two vectorised calls over the chunk."""
    if fc_series.empty:
        return {}
    per = DAYS_PER_PERIOD[params["freq"]]
    split = [c for c in ("noise_variance", "level_variance") if c in fc_series.columns]
    frame = fc_series[["item_id", "mean", "variance", *split]].copy()
    ids = frame["item_id"].str.split("@", expand=True).astype(int)
    lead, sd, review, level = [], [], [], []
    for i, w in zip(ids[0], ids[1], strict=True):
        lt = lead_time(i, w, state)
        lead.append(np.nan if lt is None else lt[0] / per)
        sd.append(np.nan if lt is None else lt[1] / per)
        review.append(review_days(i, w, state, params) / per)
        sl = service_level(i, w, abc.get((i, w), "C"), state, params)
        level.append(float(sl) if 0 < sl < 1 else np.nan)
    frame["lead_periods"], frame["lead_periods_sd"] = lead, sd
    frame["review_periods"], frame["service_level"] = review, level
    frame["mean"] = frame["mean"].astype(float).clip(lower=0).fillna(0)
    frame["variance"] = frame["variance"].astype(float).fillna(frame["mean"]).clip(lower=0)
    if len(split) == 2:  # the lead-time split of the variance (forecasting.policy docstring)
        noise = frame["noise_variance"].astype(float)
        frame["noise_variance"] = noise.fillna(frame["variance"]).clip(lower=0)
        frame["level_variance"] = frame["level_variance"].astype(float).fillna(0).clip(lower=0)
    usable = frame.dropna(subset=["lead_periods", "service_level"])
    if usable.empty:
        return {}
    rop = lead_time_demand(usable, {"reorder_point": "service_level"})
    cover = usable.assign(lead_periods=usable["lead_periods"] + usable["review_periods"])
    out = lead_time_demand(cover, {"order_up_to": "service_level"})
    return {
        sid: (Decimal(int(math.ceil(r))), Decimal(int(math.ceil(max(u, r)))))
        for sid, r, u in zip(rop["item_id"], rop["reorder_point"], out["order_up_to"], strict=True)
    }


def _decide(key: tuple[int, int], fc: dict | None, levels, state, today, params, abc):
    item_id, warehouse_id = key
    fc = fc or {}
    freq = params["freq"]
    policy = state["policy"].get(key)
    chosen = None
    has_min_max = policy is not None and None not in (policy.min_quantity, policy.max_quantity)
    if has_min_max and (fc.get("demand_class", "new") == "new" or levels is None):
        # too little history to forecast from: the item's own min/max settings
        chosen = reorder.Levels(policy.min_quantity, policy.max_quantity, "settings")
    if chosen is None and levels is not None:
        chosen = reorder.Levels(levels[0], levels[1], "forecast")
    lt = lead_time(item_id, warehouse_id, state)
    if lt is None:
        raise reorder.MissingLeadTime(
            f"No lead time for item {item_id} in warehouse {warehouse_id}: no active offer of "
            "an active supplier and no lead_time_days in its reorder policy."
        )
    mean = float(_num(fc.get("mean")) or 0.0)
    context = {
        "demand_class": fc.get("demand_class", "new"),
        "abc_class": abc[key],
        "model": fc.get("model", ""),
        "backtest_mase": _num(fc.get("backtest_mase")),
        "backtest_rmsse": _num(fc.get("backtest_rmsse")),
        "forecast_mean_per_period": _num(fc.get("mean")),
        "forecast_variance_per_period": _num(fc.get("variance")),
        "freq": freq,
        "review_period_days": review_days(item_id, warehouse_id, state, params),
    }
    return reorder.decide(
        on_hand=state["on_hand"].get(key, Decimal(0)),
        open_receipts=state["receipts"].get(key, []),
        requested=state["requested"].get(key, Decimal(0)),
        levels=chosen,
        mean_per_day=Decimal(str(round(max(mean, 0.0) / DAYS_PER_PERIOD[freq], 6))),
        lead_time=reorder.LeadTime(Decimal(str(round(lt[0], 3))), Decimal(str(round(lt[1], 3)))),
        service_level=service_level(item_id, warehouse_id, abc[key], state, params),
        options=[_offer(o) for o in state["offers"].get(item_id, [])],
        today=today,
        context=context,
    )


def _offer(row):
    return Offer(
        supplier_id=row.supplier_id,
        supplier_item_id=row.supplier_item_id,
        supplier_code=row.supplier_code,
        currency=row.currency,
        unit_price=row.unit_price,
        breaks=tuple(PriceBreak(qty, price) for qty, price in row.breaks),
        min_order_quantity=row.min_order_quantity,
        pack_size=row.pack_size,
        lead_time_days=int(row.lead_time_days),
        preferred=bool(row.preferred),
        score=row.score,
        rate=row.rate,
    )


def _series_row(key: tuple[int, int], abc: dict, fc: dict | None) -> dict:
    fc = fc or {}
    return {
        "item_id": key[0],
        "warehouse_id": key[1],
        "demand_class": fc.get("demand_class", "new"),
        "abc_class": abc[key],
        "model": fc.get("model", "") or "",
        "mean": _num(fc.get("mean")),
        "variance": _num(fc.get("variance")),
        "backtest_mase": _num(fc.get("backtest_mase")),
        "backtest_rmsse": _num(fc.get("backtest_rmsse")),
        "error": "",
    }


def _suggestion_row(key, decision, abc: dict, fc: dict | None) -> dict:
    s = decision.suggestion
    choice = s.supplier
    base_price = None
    if choice is not None and choice.option.rate is not None:
        base_price = (choice.unit_price * choice.option.rate).quantize(PLACES4)
    return {
        "item_id": key[0],
        "warehouse_id": key[1],
        "supplier_id": choice.option.supplier_id if choice else None,
        "supplier_item_id": choice.option.supplier_item_id if choice else None,
        "quantity": s.quantity,
        "unit_price": base_price,
        "order_by": s.order_by,
        "need_by": s.need_by,
        "urgency": str(s.urgency),
        "demand_class": (fc or {}).get("demand_class", "new"),
        "abc_class": abc[key],
        "model": (fc or {}).get("model", "") or "",
        "explanation": decision.explanation,
        "status": "open",
        "dismiss_reason": "",
    }


def _forecast_rows(frame: pd.DataFrame) -> pd.DataFrame | list[dict]:
    """demand_forecast rows from the forecast frame, built column-wise (a frame: the writer copies
    it in one block on PostgreSQL)."""
    if frame.empty:
        return []
    ids = frame["item_id"].astype(str).str.split("@", expand=True).astype(int)
    out = pd.DataFrame(
        {
            "item_id": ids[0].to_numpy(),
            "warehouse_id": ids[1].to_numpy(),
            "period": pd.to_datetime(frame["period"]).dt.date.to_numpy(),
            "mean": frame["mean"].astype(float).to_numpy(),
        }
    )
    for qv in FORECAST_QUANTILES:
        out[quantile_column(qv)] = frame[f"q{qv:g}"].astype(float).to_numpy()
    return out
