"""Stock health jobs: keep each item's ABC/XYZ class, and open the day's cycle counts.

``classify_items`` (job ``classify-items``): over the last ``CLASS_WINDOW_DAYS`` service days,
each active item's demand (the reorder settings' demand kinds, summed over warehouses) gives its
consumption value (annual quantity × the item's valuation cost, the measure the reorder run
uses) and so its ABC class (``forecasting.policy.abc_classes``, 80/15/5 by default), and its
monthly demand gives its XYZ class (``forecasting.classification``). The table is replaced
whole in one transaction.

``open_cycle_counts`` (job ``cycle-counts``): for each active warehouse, the items with stock
there that ``inventory.domain.cycle_counts`` makes due today get one stocktake through the
ordinary stocktake service, created by the service account ``CYCLE_COUNT_USER``. Items already
on an open stocktake of that warehouse are left to it. A ``cycle_count`` row per warehouse and
day makes a second run the same day open nothing.

Settings (app config, from the environment): ``CYCLE_COUNTS_PER_YEAR`` (``A=4,B=2,C=1``),
``ABC_CUTS`` (``0.8,0.95``), ``XYZ_CUTS`` (``0.5,1.0``), ``CYCLE_COUNT_USER``
(``cycle-counts``).
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

import pandas as pd

from forecasting.classification import XYZ_CUTS, check_xyz_cuts, classify
from forecasting.policy import ABC_CUTS
from inventory import clock
from inventory.db import demand_queries
from inventory.db import item_class_queries as icq
from inventory.db import replenishment_queries as rq
from inventory.domain import cycle_counts as cc
from inventory.domain.actors import Actor, Role
from inventory.services import audit, stocktakes, users
from inventory.services.tx import transaction

CLASS_WINDOW_DAYS = 365


def _setting(name: str, default: str) -> str:
    from flask import current_app, has_app_context

    return str(current_app.config.get(name, default)) if has_app_context() else default


def _pair(name: str, default: tuple[float, float]) -> tuple[float, float]:
    raw = _setting(name, ",".join(str(v) for v in default))
    try:
        low, high = (float(part) for part in raw.split(","))
    except ValueError:
        raise ValueError(f"{name}={raw!r}: write two numbers, e.g. 0.5,1.0") from None
    return low, high


def counts_per_year() -> dict[str, int]:
    """``CYCLE_COUNTS_PER_YEAR`` (e.g. ``A=4,B=2,C=1``) as ``{class: counts}``."""
    raw = _setting("CYCLE_COUNTS_PER_YEAR", "A=4,B=2,C=1")
    try:
        given = {
            k.strip().upper(): int(v)
            for k, v in (part.split("=") for part in raw.split(",") if part.strip())
        }
    except ValueError:
        raise ValueError(f"CYCLE_COUNTS_PER_YEAR={raw!r}: write e.g. A=4,B=2,C=1") from None
    return cc.check_counts_per_year(given)


def classify_items(today: date | None = None) -> dict:
    """Recompute and keep every active item's ABC and XYZ class; returns the counts per class."""
    today = today or clock.today()
    end = today - timedelta(days=1)
    start = end - timedelta(days=CLASS_WINDOW_DAYS - 1)
    abc_cuts, xyz_cuts = _pair("ABC_CUTS", ABC_CUTS), check_xyz_cuts(_pair("XYZ_CUTS", XYZ_CUTS))
    kinds = rq.settings()["demand_kinds"]
    history = demand_queries.demand_history(freq="M", start=start, end=end, kinds=kinds)
    monthly = history.groupby(["item_id", "period"], as_index=False)["qty"].sum()
    costs = icq.item_costs()
    annual = monthly.groupby("item_id")["qty"].sum()
    totals = costs.assign(quantity=costs["item_id"].map(annual).fillna(0.0).clip(lower=0))
    totals["consumption_value"] = totals["quantity"] * totals["valuation_cost"].astype(float)
    # Every month of the window for every item, so a month without demand counts as a zero.
    grid = pd.MultiIndex.from_product(
        [totals["item_id"], demand_queries.periods(start, end, "M")], names=["item_id", "period"]
    )
    monthly = monthly.set_index(["item_id", "period"])["qty"].reindex(grid, fill_value=0.0)
    frame = classify(totals, monthly.reset_index(), abc_cuts=abc_cuts, xyz_cuts=xyz_cuts)
    now = clock.now()
    rows = [
        {
            "item_id": int(r.item_id),
            "abc_class": r.abc_class,
            "xyz_class": r.xyz_class,
            "consumption_value": round(float(r.consumption_value), 2),
            "annual_quantity": round(float(r.quantity), 3),
            "demand_cv": None if pd.isna(r.demand_cv) else round(float(r.demand_cv), 4),
            "computed_at": now,
        }
        for r in frame.itertuples()
    ]
    summary = {
        "items": len(rows),
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "abc": {c: int((frame["abc_class"] == c).sum()) for c in "ABC"},
        "xyz": {c: int((frame["xyz_class"] == c).sum()) for c in "XYZ"},
    }
    with transaction() as session:
        icq.replace_classes(session, rows)
        audit.record(None, "item_classes.refresh", "item_class", "*", after=summary)
    return summary


def _counter() -> Actor:
    """The service account cycle counts are opened by; made on first use (a random password
    nobody is told: it never logs in)."""
    name = _setting("CYCLE_COUNT_USER", "cycle-counts")
    found = icq.user_id(name)
    if found is None:
        found = users.create_user(
            None,
            username=name,
            password=secrets.token_urlsafe(32),
            roles=[Role.WAREHOUSE.value],
            full_name="Cycle count job",
        ).id
    return Actor(found, name, frozenset({Role.WAREHOUSE.value}))


def open_cycle_counts(day: date | None = None) -> dict:
    """Open today's (``day``'s) cycle counts; returns per warehouse what was opened."""
    day = day or clock.today()
    per_year = counts_per_year()
    done = icq.cycle_count_done(day)
    opened, skipped = [], []
    actor = None
    for warehouse_id, items in icq.count_candidates().items():
        if warehouse_id in done:
            skipped.append(warehouse_id)
            continue
        due = cc.due_items(day, items, per_year)
        busy = icq.items_in_open_counts(warehouse_id) if due else set()
        wanted = [i for i in due if i not in busy]
        stocktake_id = None
        if wanted:
            actor = actor or _counter()
            stocktake_id = stocktakes.create(
                actor, warehouse_id, item_ids=wanted, note=f"Cycle count {day.isoformat()}"
            )
        with transaction() as session:
            icq.record_cycle_count(
                session,
                day=day,
                warehouse_id=warehouse_id,
                stocktake_id=stocktake_id,
                due=len(due),
                at=clock.now(),
            )
        opened.append(
            {
                "warehouse_id": warehouse_id,
                "stocktake_id": stocktake_id,
                "due": len(due),
                "counted": len(wanted),
                "left_to_open_counts": len(due) - len(wanted),
            }
        )
    return {"day": day.isoformat(), "opened": opened, "already_done": skipped}


def classify_items_job() -> dict:
    return classify_items()


def cycle_counts_job() -> dict:
    return open_cycle_counts()
