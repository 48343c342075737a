"""Reorder runs, their suggestions and exceptions, and the review of suggestions (accept into
draft purchase requests, or dismiss).

Forecast figures are estimates, not books: they travel as JSON numbers (``estimate``, from
``delivery.schemas.replenishment_forecasts``).
Quantities and prices are exact decimals written as strings.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from delivery.schemas.common import Amount, Id, QueryId, Text, When
from delivery.schemas.replenishment_forecasts import estimate
from delivery.schemas.requests import RequestSchema
from forecasting import DEMAND_CLASSES
from inventory.domain.reorder_review import (
    ABC_CLASSES,
    EXCEPTION_KINDS,
    MAX_REVIEW_BATCH,
    URGENCIES,
    RunStatus,
    SuggestionStatus,
)

# --- runs ----------------------------------------------------------------------------------------


class ProgressSchema(ma.Schema):
    done = ma.fields.Integer()
    total = ma.fields.Integer()
    percent = ma.fields.Float()


class RunSummarySchema(ma.Schema):
    id = Id()
    run_date = ma.fields.Date()
    status = ma.fields.String(metadata={"description": "running, succeeded or failed"})
    parameters = ma.fields.Dict(metadata={"description": "The settings the run used."})
    counts = ma.fields.Dict(allow_none=True, metadata={"description": "Series, suggestions, …"})
    progress = ma.fields.Nested(ProgressSchema)
    started_at = When()
    finished_at = When(allow_none=True)
    started_by = Id(allow_none=True)


class RunSchema(RunSummarySchema):
    errors = ma.fields.List(
        ma.fields.Dict(), metadata={"description": "Per item and warehouse: what went wrong."}
    )


class RunQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf([s.value for s in RunStatus]))


# --- suggestions and exceptions ------------------------------------------------------------------


class _RunRowSchema(ma.Schema):
    """What a suggestion and an exception both say: their run, item, warehouse and supplier."""

    id = Id()
    run_id = Id()
    item_id = Id()
    sku = ma.fields.String()
    item_name = ma.fields.String()
    warehouse_id = Id()
    warehouse_code = ma.fields.String()
    supplier_id = Id(allow_none=True)
    supplier_code = ma.fields.String(allow_none=True)


class SuggestionSchema(_RunRowSchema):
    supplier_name = ma.fields.String(allow_none=True)
    supplier_item_id = Id(allow_none=True)
    quantity = Amount(metadata={"description": "Rounded to the supplier's MOQ and pack size."})
    unit_price = Amount(allow_none=True, metadata={"description": "Base currency."})
    order_by = ma.fields.Date(allow_none=True)
    need_by = ma.fields.Date(allow_none=True)
    urgency = ma.fields.String(metadata={"description": ", ".join(URGENCIES)})
    demand_class = ma.fields.String()
    abc_class = ma.fields.String()
    model = ma.fields.String()
    backtest_mase = estimate("The series' backtest MASE (null: too little history).")
    backtest_rmsse = estimate("The series' backtest RMSSE (null: too little history).")
    projected_stockout_on = ma.fields.Function(
        lambda row: (row.get("explanation") or {}).get("stockout_on"),
        metadata={
            "type": "string",
            "format": "date",
            "nullable": True,
            "description": "When stock runs out if nothing is ordered (null: not in sight).",
        },
    )
    explanation = ma.fields.Dict(
        metadata={"description": "The figures behind the line: forecast, lead time, levels, …"}
    )
    status = ma.fields.String(metadata={"description": "open, accepted or dismissed"})
    decided_by = Id(allow_none=True)
    decided_at = When(allow_none=True)
    dismiss_reason = ma.fields.String()
    request_line_id = Id(allow_none=True)
    request_id = Id(allow_none=True, metadata={"description": "The request it became."})


class _RunRowQuerySchema(ma.Schema):
    """The filters a suggestion and an exception share."""

    warehouse_id = QueryId()
    supplier_id = QueryId()
    demand_class = ma.fields.String(validate=validate.OneOf(DEMAND_CLASSES))
    abc_class = ma.fields.String(validate=validate.OneOf(ABC_CLASSES))


class SuggestionQuerySchema(_RunRowQuerySchema):
    urgency = ma.fields.String(validate=validate.OneOf(URGENCIES))
    status = ma.fields.String(validate=validate.OneOf([s.value for s in SuggestionStatus]))


class ExceptionSchema(_RunRowSchema):
    kind = ma.fields.String(metadata={"description": ", ".join(EXCEPTION_KINDS)})
    po_line_id = Id(allow_none=True)
    message = ma.fields.String()
    detail = ma.fields.Dict()
    demand_class = ma.fields.String(allow_none=True)
    abc_class = ma.fields.String(allow_none=True)


class ExceptionQuerySchema(_RunRowQuerySchema):
    kind = ma.fields.String(validate=validate.OneOf(EXCEPTION_KINDS))


# --- review --------------------------------------------------------------------------------------


def _suggestion_ids() -> ma.fields.List:
    return ma.fields.List(
        Id(),
        required=True,
        validate=validate.Length(1, MAX_REVIEW_BATCH),
        metadata={"description": f"1 to {MAX_REVIEW_BATCH} open suggestions of the newest run."},
    )


class AcceptSchema(ma.Schema):
    class Meta:
        example = {"suggestion_ids": [1, 2], "cost_centre_id": 1, "note": "Weekly reorder"}

    suggestion_ids = _suggestion_ids()
    cost_centre_id = Id(required=True)
    note = Text(2000, load_default="")


class AcceptedSchema(ma.Schema):
    requests = ma.fields.List(
        ma.fields.Nested(RequestSchema),
        metadata={"description": "The draft requests raised, one per supplier."},
    )
    suggestions = ma.fields.List(ma.fields.Nested(SuggestionSchema))


class DismissSchema(ma.Schema):
    class Meta:
        example = {"suggestion_ids": [3], "reason": "Item is being phased out."}

    suggestion_ids = _suggestion_ids()
    reason = Text(2000, min_length=1, required=True)


class DismissedSchema(ma.Schema):
    suggestions = ma.fields.List(ma.fields.Nested(SuggestionSchema))
