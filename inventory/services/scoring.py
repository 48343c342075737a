"""Supplier scoring use cases: compute live, read the stored table, and the rescore job.

The score itself is defined in ``inventory.domain.scoring``; ``score_frame`` computes it for all
suppliers at once from one query's DataFrame. The ``rescore-suppliers`` job stores the result in
``supplier_score`` (one row per supplier, replaced each run), which is what the API lists unless
the caller asks for a live computation with other settings.

Job settings come from the environment: ``SUPPLIER_SCORE_WEIGHTS`` (``otif=35,quality=30,
lead_time=15,price=20``), ``SUPPLIER_SCORE_WINDOW_MONTHS`` (12), ``SUPPLIER_SCORE_GRACE_DAYS`` (2),
``SUPPLIER_SCORE_K`` (5).
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from inventory import clock
from inventory.db import scoring_queries as q
from inventory.db.queries import first_rows, page
from inventory.domain import scoring as rules
from inventory.domain.pricing import BASE_CURRENCY
from inventory.errors import NotFound, ValidationFailed
from inventory.services import audit
from inventory.services.score_frame import RATE_COLUMNS, RAW_OF, Scores, score_frame
from inventory.services.tx import transaction


def config_from_environment(env: Mapping[str, str] = os.environ) -> rules.ScoringConfig:
    try:
        weights = dict(rules.DEFAULT_WEIGHTS)
        for pair in filter(None, env.get("SUPPLIER_SCORE_WEIGHTS", "").split(",")):
            name, _, value = pair.partition("=")
            weights[name.strip()] = float(value)
        return rules.ScoringConfig(
            window_months=int(env.get("SUPPLIER_SCORE_WINDOW_MONTHS", "12")),
            grace_days=int(env.get("SUPPLIER_SCORE_GRACE_DAYS", "2")),
            k=float(env.get("SUPPLIER_SCORE_K", "5")),
            weights=weights,
        )
    except ValueError as exc:
        raise ValidationFailed(f"SUPPLIER_SCORE_* settings are not valid: {exc}") from exc


def compute(as_of: date | None = None, config: rules.ScoringConfig | None = None) -> Scores:
    """Every supplier's score over the window ending ``as_of`` (today by default); its days
    are whole days of the service time zone."""
    config = config or rules.ScoringConfig()
    as_of = as_of or clock.today()
    start, end = rules.window(as_of, config.window_months)
    return score_frame(q.deliveries(start, end, BASE_CURRENCY), as_of, config)


# --- explaining a score -------------------------------------------------------------------------


def _num(x, places: int) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else round(x, places)


def _explanation(row: Mapping, scores: Scores) -> dict:
    """What the stored ``parts`` column holds: the settings, the rates and each part."""
    config = scores.config
    parts = []
    for name in rules.PARTS:
        sub, effective = row[f"sub_{name}"], row[f"weight_{name}"]
        parts.append(
            {
                "name": name,
                "raw_value": _num(row[RAW_OF[name]], 4),
                "sub_score": _num(sub, 2),
                "weight": config.weights[name],
                "effective_weight": _num(effective, 4) or 0.0,
                "contribution": _num(effective * sub, 2) if not math.isnan(sub) else 0.0,
            }
        )
    return {
        "as_of": scores.as_of.isoformat(),
        "window_start": scores.window_start.isoformat(),
        "window_end": scores.window_end.isoformat(),
        "grace_days": config.grace_days,
        "in_full_share": config.in_full_share,
        "shrinkage_k": config.k,
        "population_mean": _num(scores.population_mean, 2),
        "raw_score": _num(row["raw_score"], 2),
        "rates": {name: _num(row[name], 4) for name in RATE_COLUMNS},
        "parts": parts,
        "trend_direction": row["trend_direction"],
        "trend_slope": _num(row["trend_slope"], 2),
    }


def _monthly_lists(scores: Scores, supplier_ids=None) -> dict[int, list[dict]]:
    """Each supplier's months, the whole window, empty months included."""
    monthly = scores.monthly
    if supplier_ids is not None:
        monthly = monthly[monthly["supplier_id"].isin(list(supplier_ids))]
    seen: dict[int, dict[int, tuple[int, float | None]]] = defaultdict(dict)
    for supplier_id, month, deliveries, score in monthly.itertuples(index=False):
        seen[int(supplier_id)][int(month)] = (int(deliveries), _num(score, 2))
    return {
        supplier_id: [
            {
                "month": label,
                "deliveries": got.get(i, (0, None))[0],
                "score": got.get(i, (0, None))[1],
            }
            for i, label in enumerate(scores.months)
        ]
        for supplier_id, got in seen.items()
    }


def _records(scores: Scores, frame=None) -> list[dict]:
    frame = scores.suppliers if frame is None else frame
    return [
        {"supplier_id": int(i)} | r
        for i, r in zip(frame.index, frame.to_dict("records"), strict=True)
    ]


def _summary(record: dict, names: dict, computed_at, source: str, as_of: str) -> dict:
    code, name = names.get(record["supplier_id"], ("", ""))
    return {
        "supplier_id": record["supplier_id"],
        "supplier_code": code,
        "supplier_name": name,
        "score": _num(record["score"], 2),
        "grade": record["grade"],
        "deliveries": int(record["deliveries"]),
        "raw_score": _num(record.get("raw_score"), 2),
        "trend_direction": record["trend_direction"],
        "as_of": as_of,
        "computed_at": computed_at,
        "source": source,
    }


def _detail(summary: dict, explanation: dict, months: list[dict]) -> dict:
    return (
        summary
        | {
            key: explanation[key]
            for key in (
                "window_start",
                "window_end",
                "grace_days",
                "in_full_share",
                "shrinkage_k",
                "population_mean",
                "rates",
                "parts",
            )
        }
        | {
            "raw_score": explanation["raw_score"],
            "trend": {
                "direction": explanation["trend_direction"],
                "slope_per_month": explanation["trend_slope"],
                "months": months,
            },
        }
    )


def _stored_summary(row: Mapping) -> dict:
    explanation = row["parts"] or {}
    return {
        "supplier_id": row["supplier_id"],
        "supplier_code": row["supplier_code"],
        "supplier_name": row["supplier_name"],
        "score": float(row["score"]),
        "grade": row["grade"],
        "deliveries": row["deliveries"],
        "raw_score": explanation.get("raw_score"),
        "trend_direction": explanation.get("trend_direction"),
        "as_of": explanation.get("as_of"),
        "computed_at": row["computed_at"],
        "source": "stored",
    }


# --- what the API asks for ----------------------------------------------------------------------


def list_scores(
    page_no: int, page_size: int, *, live: bool, as_of=None, config=None
) -> tuple[list[dict], int]:
    """One page of scores, best first: the stored table, or computed now when ``live``."""
    if not live:
        rows, total = page(q.stored_scores(), page_no, page_size)
        return [_stored_summary(r) for r in rows], total
    scores = compute(as_of, config)
    chosen = scores.suppliers.iloc[(page_no - 1) * page_size : page_no * page_size]
    records = _records(scores, chosen)
    names = q.supplier_names([r["supplier_id"] for r in records])
    as_of_text = scores.as_of.isoformat()
    return [_summary(r, names, None, "live", as_of_text) for r in records], len(scores.suppliers)


def score_report(limit: int, *, live: bool, as_of=None, config=None) -> list[dict]:
    """The first ``limit`` scores, best first, as ``list_scores`` gives them plus ``rank`` and
    each part's sub-score as ``{part}_sub_score`` (None where the part had no data)."""
    if not live:
        stored = first_rows(q.stored_scores(), limit)
        ranked = [(_stored_summary(r), (r["parts"] or {}).get("parts", [])) for r in stored]
    else:
        scores = compute(as_of, config)
        records = _records(scores, scores.suppliers.iloc[:limit])
        names = q.supplier_names([r["supplier_id"] for r in records])
        as_of_text = scores.as_of.isoformat()
        ranked = [
            (_summary(r, names, None, "live", as_of_text), _explanation(r, scores)["parts"])
            for r in records
        ]
    return [
        {"rank": rank} | summary | {f"{p['name']}_sub_score": p["sub_score"] for p in parts}
        for rank, (summary, parts) in enumerate(ranked, start=1)
    ]


def _not_scored(supplier_id: int, names: dict, scores: Scores | None) -> dict:
    """A supplier without deliveries in the window (or, read from the table, none at the last
    run): no score, and ``deliveries: 0`` says why."""
    code, name = names[supplier_id]
    config = scores.config if scores else rules.ScoringConfig()
    return {
        "supplier_id": supplier_id,
        "supplier_code": code,
        "supplier_name": name,
        "score": None,
        "grade": None,
        "deliveries": 0,
        "raw_score": None,
        "trend_direction": "insufficient_data",
        "as_of": scores.as_of.isoformat() if scores else None,
        "computed_at": None,
        "source": "live" if scores else "stored",
        "window_start": scores.window_start.isoformat() if scores else None,
        "window_end": scores.window_end.isoformat() if scores else None,
        "grace_days": config.grace_days,
        "in_full_share": config.in_full_share,
        "shrinkage_k": config.k,
        "population_mean": _num(scores.population_mean, 2) if scores else None,
        "rates": {},
        "parts": [],
        "trend": {
            "direction": "insufficient_data",
            "slope_per_month": None,
            "months": [
                {"month": m, "deliveries": 0, "score": None}
                for m in (scores.months if scores else [])
            ],
        },
    }


def supplier_score(supplier_id: int, *, live: bool, as_of=None, config=None) -> dict:
    """One supplier's score with its parts and monthly trend: the stored one, or computed now
    when ``live``. A supplier without a score (no deliveries in the window, or the job has not
    run yet) answers with ``score: null`` and ``deliveries: 0``; reading never computes
    implicitly, so a plain GET stays cheap."""
    if not q.supplier_exists(supplier_id):
        raise NotFound(f"No supplier with id {supplier_id}.")
    names = q.supplier_names([supplier_id])
    if not live:
        row = q.stored_score(supplier_id)
        if row is None:
            return _not_scored(supplier_id, names, None)
        return _detail(_stored_summary(row), row["parts"], row["trend"])
    scores = compute(as_of, config)
    if supplier_id not in scores.suppliers.index:
        return _not_scored(supplier_id, names, scores)
    (record,) = _records(scores, scores.suppliers.loc[[supplier_id]])
    summary = _summary(record, names, None, "live", scores.as_of.isoformat())
    months = _monthly_lists(scores, [supplier_id])[supplier_id]
    return _detail(summary, _explanation(record, scores), months)


# --- the job ------------------------------------------------------------------------------------


def rescore(as_of: date | None = None, config: rules.ScoringConfig | None = None) -> dict:
    """Compute every supplier's score and replace the ``supplier_score`` table in one
    transaction: scored suppliers upserted, suppliers without deliveries in the window removed."""
    scores = compute(as_of, config)
    computed_at = clock.now()
    months = _monthly_lists(scores)
    rows = [
        {
            "supplier_id": r["supplier_id"],
            "computed_at": computed_at,
            "score": Decimal(str(_num(r["score"], 2))),
            "grade": r["grade"],
            "deliveries": int(r["deliveries"]),
            "parts": _explanation(r, scores),
            "trend": months[r["supplier_id"]],
        }
        for r in _records(scores)
    ]
    with transaction():
        removed = q.replace_scores(rows, computed_at)
        detail = {
            "as_of": scores.as_of.isoformat(),
            "suppliers_scored": len(rows),
            "scores_removed": removed,
            "population_mean": _num(scores.population_mean, 2),
        }
        audit.record(None, "rescore", "supplier_score", "all", after=detail)
    return detail


def rescore_suppliers_job() -> dict:
    return rescore(None, config_from_environment())
