"""Goods receipts, supplier returns, inspection plans and the sampling plan for a lot."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import validate

from delivery.schemas.common import Amount, Flag, Id, QueryId, Text, When
from inventory.domain.receiving import MAX_LINES, InspectionMode

MAX_UNITS = 2**31 - 1


class ReceiptLineInSchema(ma.Schema):
    po_line_id = Id(required=True)
    received = Amount(
        required=True,
        positive=True,
        metadata={"description": "Units that arrived. 3 decimals."},
    )
    accepted = Amount(required=True, metadata={"description": "Units taken into stock."})
    rejected = Amount(
        load_default=Decimal(0),
        metadata={"description": "Units kept for return to the supplier."},
    )
    reason = Text(2000, load_default="", metadata={"description": "Why units were rejected."})
    defects_found = ma.fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(0, MAX_UNITS),
        metadata={"description": "Nonconforming units found in the sample (sampling plans)."},
    )


class ReceiptInSchema(ma.Schema):
    class Meta:
        example = {
            "warehouse_id": 1,
            "lines": [
                {
                    "po_line_id": 1,
                    "received": "100",
                    "accepted": "98",
                    "rejected": "2",
                    "reason": "Two bent",
                    "defects_found": 2,
                }
            ],
        }

    warehouse_id = Id(
        load_default=None, allow_none=True, metadata={"description": "Default: the order's."}
    )
    lines = ma.fields.List(
        ma.fields.Nested(ReceiptLineInSchema), required=True, validate=validate.Length(1, MAX_LINES)
    )


class InspectionSchema(ma.Schema):
    """What the inspector is told for a lot, and (at a receipt) what was decided."""

    po_line_id = Id()
    item_id = Id()
    mode = ma.fields.String(metadata={"description": "none, full or sampling"})
    aql = Amount(allow_none=True)
    lot_size = ma.fields.Integer()
    severity = ma.fields.String(allow_none=True, metadata={"description": "normal or tightened"})
    code_letter = ma.fields.String(
        allow_none=True, metadata={"description": "The plan's sample size code letter."}
    )
    sample_size = ma.fields.Integer(allow_none=True)
    accept = ma.fields.Integer(allow_none=True, metadata={"description": "Ac"})
    reject = ma.fields.Integer(allow_none=True, metadata={"description": "Re"})
    full_inspection = Flag()
    defects_found = ma.fields.Integer(allow_none=True)
    result = ma.fields.String(
        allow_none=True, metadata={"description": "accepted, rejected, full, or null"}
    )
    next_severity = ma.fields.String(
        allow_none=True, metadata={"description": "Severity for the next lot after this one."}
    )


class ReceiptLineSchema(ma.Schema):
    id = ma.fields.Integer()
    po_line_id = Id()
    item_id = Id()
    received = Amount()
    accepted = Amount()
    rejected = Amount()
    reason = ma.fields.String()
    unit_price = Amount(metadata={"description": "Order currency."})
    promised_date = ma.fields.Date(allow_none=True)
    ordered_at = When(allow_none=True)
    sample_size = ma.fields.Integer(allow_none=True)
    defects_found = ma.fields.Integer(allow_none=True)
    inspection_result = ma.fields.String(allow_none=True)
    inspection = ma.fields.Nested(
        InspectionSchema,
        metadata={"description": "Only in the response to the receipt itself."},
    )


class ReceiptSchema(ma.Schema):
    id = Id()
    order_id = Id()
    supplier_id = Id()
    warehouse_id = Id()
    status = ma.fields.String(metadata={"description": "posted or cancelled"})
    stock_document_id = Id(allow_none=True)
    received_by = Id()
    received_at = When()
    cancelled_at = When(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(ReceiptLineSchema))


class ReturnInSchema(ma.Schema):
    class Meta:
        example = {
            "po_line_id": 1,
            "quantity": "5",
            "reason": "Wrong thread pitch",
            "warehouse_id": 1,
        }

    po_line_id = Id(required=True)
    quantity = Amount(required=True, positive=True, metadata={"description": "3 decimals."})
    reason = Text(2000, min_length=1, required=True)
    warehouse_id = Id(
        load_default=None, allow_none=True, metadata={"description": "Default: the order's."}
    )
    cost_centre_id = Id(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The cost centre the returned goods are charged to (must exist and "
            "be active); the cost of goods issued report shows the return under it."
        },
    )


class ReturnSchema(ma.Schema):
    id = Id()
    order_id = Id()
    po_line_id = Id()
    quantity = Amount()
    reason = ma.fields.String()
    stock_document_id = Id()
    cost_centre_id = Id(allow_none=True)
    created_by = Id()
    created_at = When()


class InspectionQuerySchema(ma.Schema):
    po_line_id = QueryId(required=True)
    lot_size = ma.fields.Integer(
        validate=validate.Range(1, MAX_UNITS),
        metadata={"description": "Units in the lot; default the quantity still to come."},
    )


_MODES = [m.value for m in InspectionMode]


class InspectionPlanSchema(ma.Schema):
    class Meta:
        example = {"item_id": 1, "supplier_item_id": None, "mode": "sampling", "aql": "1.0"}

    id = Id(dump_only=True)
    item_id = Id(required=True)
    supplier_item_id = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "A supplier's item; its plan wins over the item's."},
    )
    mode = ma.fields.String(required=True, validate=validate.OneOf(_MODES))
    aql = Amount(
        load_default=None,
        allow_none=True,
        metadata={"description": "Sampling only: an ISO 2859-1 AQL, 0.010 … 10 (percent)."},
    )


class InspectionPlanUpdateSchema(ma.Schema):
    class Meta:
        example = {"mode": "full", "aql": None}

    mode = ma.fields.String(required=True, validate=validate.OneOf(_MODES))
    aql = Amount(load_default=None, allow_none=True)


class InspectionPlanQuerySchema(ma.Schema):
    item_id = QueryId()
    supplier_item_id = QueryId()
