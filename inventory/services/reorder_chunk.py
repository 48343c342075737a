"""One chunk of a reorder run: read its item-warehouses' inputs, forecast them all at once, turn
the forecasts into reorder levels and decisions (vectorised over the chunk: ``_plan``,
``_levels``, ``reorder_columns.decide``), put the suggestions and exceptions in words, write the
rows in one transaction. The same function runs in-process and as a Celery task.

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
from sqlalchemy.exc import SQLAlchemyError

import forecasting
from forecasting.policy import lead_time_demand, path_mean
from inventory.db import demand_queries
from inventory.db import replenishment_queries as q
from inventory.db import replenishment_writes as writes
from inventory.db.base import db
from inventory.db.replenishment_models import FORECAST_QUANTILES, ReorderRun, quantile_column
from inventory.domain import reorder
from inventory.domain import reorder_columns as rc
from inventory.domain.pricing import Offer, PriceBreak
from inventory.services.tx import transaction

log = logging.getLogger("quartermaster.reorder")
DAYS_PER_PERIOD = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}
MEASURED_LEAD_MIN_RECEIPTS = 3  # receipts before the measured mean replaces the nominal one
PLACES4 = Decimal("0.0001")


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
    rows = _isolating(pairs, abc, params, n_jobs, run_id)
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


def _isolating(pairs, abc: dict, params: dict, n_jobs: int, run_id: int) -> Rows:
    """``compute`` of ``pairs``; if it fails, of each half again, so a failure is only the
    items that cause it (a series no model can fit fails alone, not its 500 neighbours). The
    halves are forecast apart, so their class-level model choice sees fewer series: a cost of
    the failure path only."""
    try:
        return compute(pairs, abc, params, n_jobs)
    except Exception as exc:
        db.session.rollback()
        if isinstance(exc, SQLAlchemyError):
            # The database, not an item: halving would only ask it again 2n times.
            log.exception("reorder chunk failed", extra={"run_id": run_id})
            failed = f"chunk failed: {type(exc).__name__}: {exc}"
            return Rows([_failed(i, w, abc[(i, w)], failed) for i, w in pairs], [], [], [])
        if len(pairs) > 1:
            half = len(pairs) // 2
            first, second = (_isolating(p, abc, params, n_jobs, run_id)
                             for p in (pairs[:half], pairs[half:]))  # fmt: skip
            return Rows(
                first.series + second.series,
                _joined(first.forecasts, second.forecasts),
                first.suggestions + second.suggestions,
                first.exceptions + second.exceptions,
            )
        (i, w) = pairs[0]
        log.exception("reorder item failed", extra={"run_id": run_id, "item_id": i})
        return Rows([_failed(i, w, abc[(i, w)], f"{type(exc).__name__}: {exc}")], [], [], [])


def _joined(a: pd.DataFrame | list[dict], b: pd.DataFrame | list[dict]):
    frames = [f for f in (a, b) if len(f)]
    if len(frames) < 2:
        return frames[0] if frames else []
    if all(isinstance(f, pd.DataFrame) for f in frames):
        return pd.concat(frames, ignore_index=True)
    return [*_records(frames[0]), *_records(frames[1])]


def _records(rows: pd.DataFrame | list[dict]) -> list[dict]:
    return rows.to_dict("records") if isinstance(rows, pd.DataFrame) else rows


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

    state = _state(items, today)
    plan = _plan(pairs, abc, fc_series, state, params)
    plan = _levels(plan, params, fc_rows)
    rows = Rows([], _forecast_rows(fc_rows), [], [])
    _decide(plan, state, today, params, rows)
    return rows


def _message(exc: Exception) -> str:
    detail = getattr(exc, "detail", None) or str(exc)
    code = getattr(exc, "code", type(exc).__name__)
    return f"{code}: {detail}"


def _state(items: list[int], today: date) -> dict:
    """The chunk's items' inputs as frames: stock, open order lines, requested quantities,
    offers, measured lead times, policy overrides."""
    return {
        "stock": q.item_warehouses(items),
        "orders": q.open_order_lines(items),
        "requested": q.requested(items),
        "options": q.supplier_options(items, today),
        "measured": q.measured_lead_times(items),
        "policy": q.policies(items),
    }


def _milli(values: pd.Series) -> np.ndarray:
    """Quantities (Decimal, 3 places; None counts 0) as whole thousandths."""
    number = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    return np.rint(np.nan_to_num(number) * rc.QTY_SCALE).astype(np.int64)


def _lead_offers(options: pd.DataFrame) -> pd.DataFrame:
    """Per item, the offer whose lead time plans it: the preferred one, else the best scored,
    else the first (by supplier item id). ``[item_id, supplier_id, offer_lead_days]``."""
    if options.empty:
        return pd.DataFrame(columns=["item_id", "supplier_id", "offer_lead_days"])
    ranked = options.assign(
        _not_preferred=~options["preferred"].astype(bool),
        _neg_score=-pd.to_numeric(options["score"], errors="coerce").astype(float).fillna(-1.0),
    ).sort_values(["item_id", "_not_preferred", "_neg_score", "supplier_item_id"], kind="stable")
    first = ranked.drop_duplicates("item_id")
    return pd.DataFrame(
        {
            "item_id": first["item_id"].to_numpy(),
            "supplier_id": first["supplier_id"].to_numpy(),
            "offer_lead_days": first["lead_time_days"].astype(float).to_numpy(),
        }
    )


def _plan(pairs, abc: dict, fc_series: pd.DataFrame, state: dict, params: dict) -> pd.DataFrame:
    """One row per item-warehouse of the chunk, in ``pairs`` order: its forecast, policy
    overrides, lead time (mean, sd in days; NaN when nothing gives one), service level and
    review period, as ``lead_time``, ``service_level`` and ``review_days`` say, set-based."""
    settings = params["settings"]
    plan = pd.DataFrame(pairs, columns=["item_id", "warehouse_id"])
    plan["abc_class"] = [abc[key] for key in pairs]
    plan["sid"] = plan["item_id"].astype(str) + "@" + plan["warehouse_id"].astype(str)
    fc = fc_series.rename(columns={"item_id": "sid"})
    plan = plan.merge(fc, on="sid", how="left")
    plan["has_fc"] = plan["sid"].isin(fc["sid"])
    policy = state["policy"].rename(
        columns={
            "service_level": "policy_service_level",
            "review_period_days": "policy_review_days",
            "lead_time_days": "policy_lead_days",
        }
    )
    policy = policy.assign(has_policy=True)
    plan = plan.merge(policy, on=["item_id", "warehouse_id"], how="left")
    plan["has_policy"] = plan["has_policy"].eq(True)
    plan = plan.merge(_lead_offers(state["options"]), on="item_id", how="left")
    measured = state["measured"][["supplier_id", "item_id", "receipts", "lead_mean_days",
                                  "lead_sd_days"]]  # fmt: skip
    plan = plan.merge(measured, on=["supplier_id", "item_id"], how="left")
    receipts = pd.to_numeric(plan["receipts"], errors="coerce").fillna(0).to_numpy()
    sd = np.where(receipts >= 2, plan["lead_sd_days"].astype(float).fillna(0.0), 0.0)
    policy_lead = pd.to_numeric(plan["policy_lead_days"], errors="coerce").astype(float)
    offer_lead = plan["offer_lead_days"].astype(float)
    measured_lead = plan["lead_mean_days"].astype(float)
    from_offer = np.where(receipts >= MEASURED_LEAD_MIN_RECEIPTS, measured_lead, offer_lead)
    plan["lead_mean"] = np.where(policy_lead.notna(), policy_lead, from_offer)
    plan["lead_sd"] = np.where(plan["lead_mean"].notna(), sd, np.nan)
    default_level = plan["abc_class"].map(lambda c: Decimal(settings[f"service_level_{c.lower()}"]))
    own_level = plan["policy_service_level"].map(
        lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else Decimal(v)
    )
    plan["service_level"] = own_level.where(own_level.notna(), default_level)
    review = pd.to_numeric(plan["policy_review_days"], errors="coerce")
    plan["review_days"] = review.fillna(int(settings["review_period_days"])).astype(int)
    return plan


def _levels(plan: pd.DataFrame, params: dict, path: pd.DataFrame | None = None) -> pd.DataFrame:
    """Reorder point and order-up-to (``rop``, ``out``; whole units, NaN where none) per row
    with a forecast, a lead time and a valid service level: two vectorised calls over the
    chunk. With the forecast ``path`` (``[item_id, period, mean]`` by series id), each level
    takes the path's mean over its own periods (lead time; lead time plus review), so a coming
    seasonal peak counts where it falls; without it, the horizon's mean per period."""
    plan = plan.assign(rop=np.nan, out=np.nan)
    if not plan["has_fc"].any():
        return plan
    per = DAYS_PER_PERIOD[params["freq"]]
    level = plan["service_level"].astype(float)
    split = [c for c in ("noise_variance", "level_variance") if c in plan.columns]
    frame = pd.DataFrame(
        {
            "item_id": plan["sid"],
            "mean": plan["mean"].astype(float).clip(lower=0).fillna(0),
            "lead_periods": plan["lead_mean"] / per,
            "lead_periods_sd": plan["lead_sd"] / per,
            "review_periods": plan["review_days"] / per,
            "service_level": level.where((level > 0) & (level < 1)),
        }
    )
    frame["variance"] = plan["variance"].astype(float).fillna(frame["mean"]).clip(lower=0)
    if len(split) == 2:  # the lead-time split of the variance (forecasting.policy docstring)
        noise = plan["noise_variance"].astype(float)
        frame["noise_variance"] = noise.fillna(frame["variance"]).clip(lower=0)
        frame["level_variance"] = plan["level_variance"].astype(float).fillna(0).clip(lower=0)
    usable = frame[plan["has_fc"].to_numpy()].dropna(subset=["lead_periods", "service_level"])
    if usable.empty:
        return plan
    cover = usable.assign(lead_periods=usable["lead_periods"] + usable["review_periods"])
    if path is not None and not path.empty:
        usable, cover = (
            f.assign(mean=_over_path(path, f, f["lead_periods"]).fillna(f["mean"]))
            for f in (usable, cover)
        )
    rop = lead_time_demand(usable, {"reorder_point": "service_level"})
    out = lead_time_demand(cover, {"order_up_to": "service_level"})
    r = np.ceil(rop["reorder_point"].to_numpy(dtype=float))
    u = np.ceil(np.fmax(out["order_up_to"].to_numpy(dtype=float), r))
    plan.loc[usable.index, "rop"] = r
    plan.loc[usable.index, "out"] = u
    return plan


def _over_path(path: pd.DataFrame, frame: pd.DataFrame, periods: pd.Series) -> pd.Series:
    return pd.Series(
        path_mean(path[["item_id", "period", "mean"]], frame["item_id"], periods),
        index=frame.index,
    )


def _receipts(plan: pd.DataFrame, orders: pd.DataFrame, today: date):
    """The chunk's open order lines as columns (``reorder_columns.Receipts``), grouped by row in
    order, with the frame they came from (same order) and each row's first entry."""
    row_of = pd.Series(np.arange(len(plan)), index=pd.MultiIndex.from_frame(
        plan[["item_id", "warehouse_id"]]))  # fmt: skip
    if orders.empty:
        lines = orders.assign(row=pd.Series(dtype=np.int64))
    else:
        keys = pd.MultiIndex.from_frame(orders[["item_id", "warehouse_id"]])
        lines = orders.assign(row=row_of.reindex(keys).to_numpy())
        lines = lines[lines["row"].notna()].astype({"row": np.int64})
        lines = lines.sort_values("row", kind="stable").reset_index(drop=True)
    promised = pd.to_datetime(lines["promised_date"])
    days = ((promised - pd.Timestamp(today)) // pd.Timedelta(days=1)).fillna(0)
    columns = rc.Receipts(
        row=lines["row"].to_numpy(np.int64),
        quantity=_milli(lines["open_quantity"]),
        promised=days.to_numpy(np.int64),
        dated=promised.notna().to_numpy(),
    )
    first = np.searchsorted(columns.row, np.arange(len(plan)))
    return columns, lines, first


def _quantities(plan: pd.DataFrame, frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame``'s ``column`` per plan row (Decimal; 0 where the row has none)."""
    got = plan[["item_id", "warehouse_id"]].merge(
        frame[["item_id", "warehouse_id", column]], on=["item_id", "warehouse_id"], how="left"
    )[column]
    return got.where(got.notna(), Decimal(0))


def _chosen_levels(plan: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Which rows plan from their min/max settings (a ``new`` item or one without forecast
    levels, when its policy has both) and which from the forecast's levels."""
    klass = plan["demand_class"].where(plan["has_fc"], "new").fillna("new")
    has_min_max = plan["has_policy"] & plan["min_quantity"].notna() & plan["max_quantity"].notna()
    settings = (has_min_max & ((klass == "new") | plan["rop"].isna())).to_numpy()
    return settings, ~settings & plan["rop"].notna().to_numpy()


def _decide(plan: pd.DataFrame, state: dict, today: date, params: dict, rows: Rows) -> None:
    """Every row's decision at once (``reorder_columns.decide``); then, only for the rows with a
    suggestion or an exception, the supplier choice and the words (``reorder.decision_at``)."""
    per = DAYS_PER_PERIOD[params["freq"]]
    on_hand = _quantities(plan, state["stock"], "on_hand")
    requested = _quantities(plan, state["requested"], "requested")
    from_settings, from_forecast = _chosen_levels(plan)
    setting_m = {c: np.where(from_settings, _milli(plan[c]), 0) for c in ("min_quantity",
                 "max_quantity")}  # fmt: skip
    forecast_m = {c: np.nan_to_num(plan[c].to_numpy(float)) * rc.QTY_SCALE for c in ("rop", "out")}
    lead3 = np.round(plan["lead_mean"].to_numpy(float), 3)
    mean = np.fmax(pd.to_numeric(plan["mean"], errors="coerce").fillna(0.0).to_numpy(float), 0)
    per_day = np.round(mean / per, 6)
    receipts, lines, first = _receipts(plan, state["orders"], today)
    d = rc.decide(
        on_hand=_milli(on_hand),
        requested=_milli(requested),
        has_levels=from_settings | from_forecast,
        reorder_point=np.where(from_settings, setting_m["min_quantity"], forecast_m["rop"]),
        order_up_to=np.where(from_settings, setting_m["max_quantity"], forecast_m["out"]),
        per_day=np.rint(per_day * rc.RATE_SCALE).astype(np.int64),
        lead_days=np.ceil(np.nan_to_num(lead3)).astype(np.int64),
        receipts=receipts,
    )
    refused = _refusals(plan, lead3, _milli(requested))
    late_rows = np.zeros(len(plan), bool)
    np.logical_or.at(late_rows, receipts.row, d.late)
    speaks = refused.isna().to_numpy() & (d.suggest | d.overstock | (d.expedite >= 0) | late_rows)

    fc = _forecast_figures(plan)
    series = fc.assign(
        item_id=plan["item_id"], warehouse_id=plan["warehouse_id"],
        abc_class=plan["abc_class"], error="",
    )[["item_id", "warehouse_id", "demand_class", "abc_class", "model", "mean", "variance",
       "backtest_mase", "backtest_rmsse", "error"]].to_dict("records")  # fmt: skip
    rows.series.extend(series)
    for i in np.flatnonzero(refused.notna().to_numpy()):
        _fail(rows.series[i], refused.iat[i])

    # The few Python objects the words need, built once per chunk.
    offers_of: dict[int, list] = {}
    for option in state["options"].itertuples(index=False):
        offers_of.setdefault(option.item_id, []).append(_offer(option))
    open_receipts = [
        reorder.OpenReceipt(quantity, promised, line)
        for quantity, promised, line in zip(
            lines["open_quantity"], lines["promised_date"], lines["po_line_id"], strict=True
        )
    ]
    orders = state["orders"]
    order_supplier = dict(zip(orders["po_line_id"], orders["supplier_id"], strict=True))
    counts = np.bincount(receipts.row, minlength=len(plan))
    sd3 = np.round(plan["lead_sd"].to_numpy(float), 3)
    levels = _levels_objects(plan, from_settings, from_forecast, speaks)
    service, review = plan["service_level"].tolist(), plan["review_days"].tolist()
    for i in np.flatnonzero(speaks):
        figures = series[i]
        key = (figures["item_id"], figures["warehouse_id"])
        context = {
            **{k: figures[k] for k in ("demand_class", "abc_class", "model", "backtest_mase",
                                       "backtest_rmsse")},
            "forecast_mean_per_period": figures["mean"],
            "forecast_variance_per_period": figures["variance"],
            "freq": params["freq"],
            "review_period_days": int(review[i]),
        }  # fmt: skip
        try:
            decision = reorder.decision_at(
                d, i, first_receipt=int(first[i]),
                receipts=open_receipts[first[i] : first[i] + counts[i]],
                on_hand=on_hand.iat[i], requested=requested.iat[i], levels=levels[i],
                mean_per_day=Decimal(str(per_day[i])),
                lead_time=reorder.LeadTime(Decimal(str(lead3[i])), Decimal(str(sd3[i]))),
                service_level=service[i], options=offers_of.get(key[0], []),
                today=today, context=context,
            )  # fmt: skip
        except Exception as exc:  # one item's refusal is that item's error, never the run's
            _fail(rows.series[i], exc)
            continue
        if decision.suggestion is not None:
            rows.suggestions.append(_suggestion_row(key, decision, context))
        rows.exceptions += [
            {
                "item_id": key[0],
                "warehouse_id": key[1],
                "kind": str(found.kind),
                "supplier_id": order_supplier.get(found.order_line_id),
                "po_line_id": found.order_line_id,
                "message": found.detail,
                "detail": {
                    "quantity": None if found.quantity is None else str(found.quantity),
                    "on": None if found.on is None else found.on.isoformat(),
                },
            }
            for found in decision.exceptions
        ]


def _forecast_figures(plan: pd.DataFrame) -> pd.DataFrame:
    """Per row: demand class (``new`` without a forecast), ABC class, model ("" without one) and
    the forecast figures (None where missing), as the series rows and explanations hold them."""
    cols = ["mean", "variance", "backtest_mase", "backtest_rmsse"]
    figures = plan.reindex(columns=cols).astype(float).astype(object)
    figures = figures.where(figures.notna().to_numpy(), None)
    figures["demand_class"] = plan["demand_class"].where(plan["has_fc"], "new").fillna("new")
    figures["abc_class"] = plan["abc_class"]
    model = plan.reindex(columns=["model"])["model"]
    figures["model"] = model.where(plan["has_fc"] & model.notna(), "")
    return figures


def _levels_objects(plan, from_settings, from_forecast, wanted) -> dict:
    """``reorder.Levels`` of the ``wanted`` rows (their words quote them as given)."""
    out = {}
    for i in np.flatnonzero(wanted & (from_settings | from_forecast)):
        if from_settings[i]:
            low, high = plan["min_quantity"].iat[i], plan["max_quantity"].iat[i]
            out[i] = reorder.Levels(low, high, "settings")
        else:
            rop, top = (Decimal(int(plan[c].iat[i])) for c in ("rop", "out"))
            out[i] = reorder.Levels(rop, top, "forecast")
    return {i: out.get(i) for i in np.flatnonzero(wanted)}


def _fail(row: dict, exc: Exception) -> None:
    """A series row as its item's error: no figures, the error's code and words."""
    row.update(mean=None, variance=None, backtest_mase=None, backtest_rmsse=None)
    row["error"] = _message(exc)[:2000]


def _refusals(plan: pd.DataFrame, lead3: np.ndarray, requested_m: np.ndarray) -> pd.Series:
    """Per row, the error ``reorder.decide`` refuses it with (None for most rows): no lead time,
    a service level outside (0, 1), a negative requested quantity."""
    level = plan["service_level"].astype(float).to_numpy()
    out = pd.Series([None] * len(plan), dtype=object)
    for i in np.flatnonzero(np.isnan(lead3) | ~((level > 0) & (level < 1)) | (requested_m < 0)):
        item_id, warehouse_id = int(plan["item_id"].iat[i]), int(plan["warehouse_id"].iat[i])
        if np.isnan(lead3[i]):
            out.iat[i] = reorder.MissingLeadTime(
                f"No lead time for item {item_id} in warehouse {warehouse_id}: no active offer "
                "of an active supplier and no lead_time_days in its reorder policy."
            )
            continue
        try:
            reorder.check(
                lead_time=reorder.LeadTime(Decimal(int(np.ceil(lead3[i])))),
                service_level=plan["service_level"].iat[i],
                mean_per_day=Decimal(0),
            )
            reorder.inventory_position(Decimal(0), Decimal(0),
                                       Decimal(int(requested_m[i])).scaleb(-3))  # fmt: skip
        except Exception as exc:
            out.iat[i] = exc
    return out


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


def _suggestion_row(key, decision, context: dict) -> dict:
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
        "demand_class": context["demand_class"],
        "abc_class": context["abc_class"],
        "model": context["model"],
        "explanation": decision.explanation,
        "status": "open",
        "dismiss_reason": "",
    }


def _forecast_rows(frame: pd.DataFrame) -> pd.DataFrame | list[dict]:
    """demand_forecast rows from the forecast frame, built column-wise (a frame: the writer copies
    it in one block on PostgreSQL)."""
    if frame.empty:
        return []
    # Each series id repeats horizon times: split the distinct ones only.
    codes, uniques = pd.factorize(frame["item_id"].astype(str))
    ids = pd.Series(uniques).str.split("@", expand=True).astype(int).to_numpy()
    out = pd.DataFrame(
        {
            "item_id": ids[codes, 0],
            "warehouse_id": ids[codes, 1],
            "period": pd.to_datetime(frame["period"]).dt.date.to_numpy(),
            "mean": frame["mean"].astype(float).to_numpy(),
        }
    )
    for qv in FORECAST_QUANTILES:
        out[quantile_column(qv)] = frame[f"q{qv:g}"].astype(float).to_numpy()
    return out
