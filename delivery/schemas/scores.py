"""Supplier scores: the query that asks for a live computation, and the score with its parts.

Scores, rates and weights are statistics, not money, so they travel as JSON numbers (rounded:
scores to 2 places, rates to 4).
"""

from __future__ import annotations

from datetime import date

import marshmallow as ma
from marshmallow import validate

from delivery.schemas.common import ExportFormat, Id, When
from inventory.domain.scoring import DEFAULT_WEIGHTS, PARTS

LIVE_FIELDS = ("as_of", "window_months", "grace_days", "k") + tuple(f"weight_{p}" for p in PARTS)


def _weight(part: str) -> ma.fields.Float:
    return ma.fields.Float(
        validate=validate.Range(0, 1000),
        metadata={"description": f"Weight of the {part} part (default {DEFAULT_WEIGHTS[part]:g})."},
    )


class ScoreQuerySchema(ma.Schema):
    """Any of these computes the scores now instead of reading the last stored run."""

    as_of = ma.fields.Date(
        validate=validate.Range(date(1971, 1, 1), date(2999, 12, 31)),
        metadata={
            "description": "Last day of the window (default today): the whole day, as every day "
            "of the window, in the service's time zone."
        },
    )
    window_months = ma.fields.Integer(
        validate=validate.Range(1, 60), metadata={"description": "Calendar months (default 12)."}
    )
    grace_days = ma.fields.Integer(
        validate=validate.Range(0, 365),
        metadata={"description": "Days after the promised date still on time (default 2)."},
    )
    k = ma.fields.Integer(
        validate=validate.Range(0, 10000),
        metadata={
            "description": "Shrinkage: deliveries' worth of the population mean (default 5)."
        },
    )
    weight_otif = _weight("otif")
    weight_quality = _weight("quality")
    weight_lead_time = _weight("lead_time")
    weight_price = _weight("price")


class ScoreListQuerySchema(ScoreQuerySchema):
    format = ExportFormat()


class ScoreSummarySchema(ma.Schema):
    supplier_id = Id()
    supplier_code = ma.fields.String()
    supplier_name = ma.fields.String()
    score = ma.fields.Float(allow_none=True, metadata={"description": "0-100, after shrinkage."})
    grade = ma.fields.String(allow_none=True, metadata={"description": "A (best) to E."})
    deliveries = ma.fields.Integer(metadata={"description": "Receipt lines the score stands on."})
    raw_score = ma.fields.Float(allow_none=True, metadata={"description": "Before shrinkage."})
    trend_direction = ma.fields.String(
        allow_none=True,
        validate=validate.OneOf(["improving", "worsening", "stable", "insufficient_data"]),
    )
    as_of = ma.fields.String(allow_none=True, metadata={"description": "Window end, a date."})
    computed_at = When(allow_none=True, metadata={"description": "When the stored run was."})
    source = ma.fields.String(
        validate=validate.OneOf(["stored", "live"]),
        metadata={"description": "'stored': the last rescore-suppliers run; 'live': just now."},
    )


class PartSchema(ma.Schema):
    name = ma.fields.String(validate=validate.OneOf(PARTS))
    raw_value = ma.fields.Float(
        allow_none=True,
        metadata={"description": "OTIF/quality rate, lead-time spread or price index."},
    )
    sub_score = ma.fields.Float(allow_none=True, metadata={"description": "0-100."})
    weight = ma.fields.Float(metadata={"description": "As configured."})
    effective_weight = ma.fields.Float(
        metadata={"description": "Share of the score, after parts without data dropped out."}
    )
    contribution = ma.fields.Float(metadata={"description": "Points of the raw score."})


class MonthSchema(ma.Schema):
    month = ma.fields.String(metadata={"description": "YYYY-MM"})
    deliveries = ma.fields.Integer()
    score = ma.fields.Float(allow_none=True, metadata={"description": "Raw score that month."})


class TrendSchema(ma.Schema):
    direction = ma.fields.String()
    slope_per_month = ma.fields.Float(allow_none=True)
    months = ma.fields.List(ma.fields.Nested(MonthSchema))


class RatesSchema(ma.Schema):
    on_time = ma.fields.Float(allow_none=True)
    in_full = ma.fields.Float(allow_none=True)
    otif = ma.fields.Float(allow_none=True)
    quality = ma.fields.Float(allow_none=True)
    lead_time_spread = ma.fields.Float(allow_none=True)
    price_index = ma.fields.Float(allow_none=True)


class ScoreDetailSchema(ScoreSummarySchema):
    window_start = ma.fields.String(allow_none=True)
    window_end = ma.fields.String(allow_none=True)
    grace_days = ma.fields.Integer()
    in_full_share = ma.fields.Float()
    shrinkage_k = ma.fields.Float()
    population_mean = ma.fields.Float(allow_none=True)
    rates = ma.fields.Nested(RatesSchema)
    parts = ma.fields.List(ma.fields.Nested(PartSchema))
    trend = ma.fields.Nested(TrendSchema)
