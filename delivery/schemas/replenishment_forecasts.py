"""How reorder runs forecast and how the forecasts fared: the reorder settings and per item
policies, an item's forecast beside its history, and forecast accuracy.

Forecast figures and error measures are estimates, not books: they travel as JSON numbers.
Service levels are exact decimals written as strings.
"""

from __future__ import annotations

import math
from decimal import Decimal

import marshmallow as ma
from marshmallow import validate

from delivery.schemas.common import (
    Amount,
    DecimalString,
    ExportFormat,
    Flag,
    Id,
    QueryId,
    When,
    ordered,
)
from forecasting import DEMAND_CLASSES, MAX_HORIZON
from inventory.domain import numbers
from inventory.domain import reorder_review as rules
from inventory.domain.reorder_review import FREQUENCIES

SERVICE_LEVEL_PLACES = 4


class Estimate(ma.fields.Float):
    """A float that is written as ``null`` when it is not a finite number (a backtest on too
    little history gives NaN; JSON has no NaN)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None or not math.isfinite(float(value)):
            return None
        return super()._serialize(value, attr, obj, **kwargs)


def estimate(description: str = "", **kwargs) -> Estimate:
    return Estimate(allow_none=True, metadata={"description": description}, **kwargs)


class _FourPlaces(DecimalString):
    """Refuses a fifth decimal place instead of rounding it away: rounded, "0.99995" would be
    refused as 1 and "0.98765" stored as another level than the one asked for."""

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        if numbers.places(Decimal(str(value))) > SERVICE_LEVEL_PLACES:
            raise ma.ValidationError(f"At most {SERVICE_LEVEL_PLACES} decimal places.")
        return number


def ServiceLevel(**kwargs) -> DecimalString:  # noqa: N802 - reads as a field type
    """A probability strictly between 0 and 1, up to 4 places, e.g. "0.95"."""
    return _FourPlaces(
        as_string=True,
        places=SERVICE_LEVEL_PLACES,
        validate=validate.Range(Decimal(0), Decimal(1), min_inclusive=False, max_inclusive=False),
        metadata={
            "pattern": "^0?\\.[0-9]+$",
            "description": "Strictly between 0 and 1, up to 4 decimal places (0.95 = 95%).",
            **kwargs.pop("metadata", {}),
        },
        **kwargs,
    )


# --- settings and policies -----------------------------------------------------------------------


def _days(bounds: tuple[int, int], description: str, **kwargs) -> ma.fields.Integer:
    return ma.fields.Integer(
        strict=True,
        validate=validate.Range(*bounds),
        metadata={"description": description},
        **kwargs,
    )


class SettingsSchema(ma.Schema):
    class Meta:
        example = {
            "service_level_a": "0.98",
            "service_level_b": "0.95",
            "service_level_c": "0.90",
            "review_period_days": 7,
            "history_days": 1095,
            "freq": "W",
            "horizon": 26,
            "demand_kinds": ["issue"],
        }

    service_level_a = ServiceLevel(required=True)
    service_level_b = ServiceLevel(required=True)
    service_level_c = ServiceLevel(required=True)
    review_period_days = _days(rules.REVIEW_PERIOD_DAYS, "Days between reviews.", required=True)
    history_days = _days(rules.HISTORY_DAYS, "Days of history forecast from.", required=True)
    freq = ma.fields.String(
        required=True,
        validate=validate.OneOf(FREQUENCIES),
        metadata={"description": "The forecast's bucket: D day, W week, M month."},
    )
    horizon = _days((1, MAX_HORIZON), "Periods forecast ahead.", required=True)
    demand_kinds = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(rules.DEMAND_KINDS)),
        required=True,
        validate=validate.Length(1, len(rules.DEMAND_KINDS)),
        metadata={"description": "Which stock movements count as demand."},
    )
    updated_at = When(dump_only=True, allow_none=True)
    updated_by = Id(dump_only=True, allow_none=True)


class PolicySchema(ma.Schema):
    class Meta:
        example = {
            "service_level": "0.99",
            "review_period_days": 14,
            "lead_time_days": 10,
            "min_quantity": "5",
            "max_quantity": "40",
            "active": True,
        }

    item_id = Id(dump_only=True)
    warehouse_id = Id(dump_only=True)
    stored = Flag(
        dump_only=True, metadata={"description": "false: no overrides, the defaults hold."}
    )
    service_level = ServiceLevel(load_default=None, allow_none=True)
    review_period_days = _days(
        rules.REVIEW_PERIOD_DAYS, "Days between reviews.", load_default=None, allow_none=True
    )
    lead_time_days = _days(
        rules.LEAD_TIME_DAYS,
        "Overrides the supplier's and the measured lead time.",
        load_default=None,
        allow_none=True,
    )
    min_quantity = Amount(
        load_default=None,
        allow_none=True,
        metadata={"description": "Items with little history: reorder at this level."},
    )
    max_quantity = Amount(
        load_default=None,
        allow_none=True,
        metadata={"description": "Items with little history: fill up to this level."},
    )
    active = Flag(load_default=True)
    updated_at = When(dump_only=True, allow_none=True)
    updated_by = Id(dump_only=True, allow_none=True)

    @ma.validates_schema
    def _min_not_above_max(self, data, **kwargs):
        low, high = data.get("min_quantity"), data.get("max_quantity")
        if low is not None and high is not None and low > high:
            raise ma.ValidationError("Must not be more than max_quantity.", "min_quantity")


class PolicyQuerySchema(ma.Schema):
    item_id = QueryId()
    warehouse_id = QueryId()


# --- an item's forecast and forecast accuracy ---------------------------------------------------


class HistoryPointSchema(ma.Schema):
    period = ma.fields.Date(metadata={"description": "The period's first day."})
    qty = ma.fields.Float()
    stocked_out = ma.fields.Boolean(metadata={"description": "No stock: censored, not zero."})


class ForecastPointSchema(ma.Schema):
    period = ma.fields.Date(metadata={"description": "The period's first day."})
    mean = estimate()
    lo_80 = estimate("The 0.1 quantile.")
    hi_80 = estimate("The 0.9 quantile.")
    lo_95 = estimate("The 0.025 quantile.")
    hi_95 = estimate("The 0.975 quantile.")
    quantiles = ma.fields.Dict(
        keys=ma.fields.String(),
        values=Estimate(allow_none=True),
        metadata={"description": 'Every stored quantile by level: {"0.025": …, "0.99": …}.'},
    )


class SeriesForecastSchema(ma.Schema):
    warehouse_id = Id()
    in_run = ma.fields.Boolean(
        metadata={
            "description": "Whether the newest succeeded run forecast it; when not, "
            "demand_class is classed now from the history shown, and there is no forecast."
        }
    )
    demand_class = ma.fields.String(metadata={"description": ", ".join(DEMAND_CLASSES)})
    abc_class = ma.fields.String(allow_none=True)
    model = ma.fields.String()
    backtest_mase = estimate()
    backtest_rmsse = estimate()
    error = ma.fields.String(metadata={"description": "Why the run could not forecast it."})
    history = ma.fields.List(ma.fields.Nested(HistoryPointSchema))
    forecast = ma.fields.List(ma.fields.Nested(ForecastPointSchema))


class ItemForecastSchema(ma.Schema):
    item_id = Id()
    run_id = Id(allow_none=True, metadata={"description": "The newest succeeded run."})
    run_date = ma.fields.Date(allow_none=True)
    freq = ma.fields.String()
    series = ma.fields.List(
        ma.fields.Nested(SeriesForecastSchema),
        metadata={"description": "Per warehouse holding history or a forecast of the item."},
    )


class ItemForecastQuerySchema(ma.Schema):
    warehouse_id = QueryId()


class AccuracyQuerySchema(ma.Schema):
    date_from = ma.fields.Date(metadata={"description": "First period (default: a year ago)."})
    date_to = ma.fields.Date(metadata={"description": "Last period (default: today)."})
    warehouse_id = QueryId()
    _ordered = ordered("date_from", "date_to")


class AccuracyItemQuerySchema(AccuracyQuerySchema):
    demand_class = ma.fields.String(validate=validate.OneOf(DEMAND_CLASSES))
    format = ExportFormat()


class MetricsSchema(ma.Schema):
    mase = estimate("Mean absolute scaled error (1 = as good as seasonal naive in-sample).")
    rmsse = estimate("Root mean squared scaled error.")
    bias = estimate("Mean of forecast − actual, in units (positive: over-forecast).")
    scaled_pinball = estimate("Pinball loss over the stored quantiles, scaled like MASE.")
    cover_80 = estimate("Share of actuals inside the 80% interval.")
    cover_95 = estimate("Share of actuals inside the 95% interval.")


class AccuracyRowSchema(ma.Schema):
    series = ma.fields.Integer(metadata={"description": "Item-warehouse series measured."})
    periods = ma.fields.Integer(metadata={"description": "Forecast periods measured."})
    forecast = ma.fields.Nested(MetricsSchema, metadata={"description": "Our stored forecasts."})
    seasonal_naive = ma.fields.Nested(
        MetricsSchema, metadata={"description": "From the history known at each origin."}
    )


class AccuracyClassSchema(AccuracyRowSchema):
    demand_class = ma.fields.String()


class AccuracyItemSchema(AccuracyRowSchema):
    item_id = Id()
    sku = ma.fields.String()
    warehouse_id = Id()
    warehouse_code = ma.fields.String()
    demand_class = ma.fields.String()
    model = ma.fields.String()


class AccuracySchema(ma.Schema):
    date_from = ma.fields.Date()
    date_to = ma.fields.Date()
    freq = ma.fields.String()
    season_length = ma.fields.Integer()
    overall = ma.fields.Nested(AccuracyRowSchema)
    by_class = ma.fields.List(ma.fields.Nested(AccuracyClassSchema))
