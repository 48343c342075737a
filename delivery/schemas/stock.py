from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from delivery.schemas.common import (
    Amount,
    DayOrMoment,
    ExportFormat,
    Flag,
    Id,
    QueryId,
    Text,
    When,
    ordered,
)
from inventory.domain.documents import MAX_LINES, DocumentStatus, DocumentType


class LineInSchema(ma.Schema):
    item_id = Id(required=True)
    quantity = Amount(
        signed=True,
        required=True,
        metadata={"description": "Positive; signed for adjustments. 3 decimals."},
    )
    unit_cost = Amount(
        load_default=None,
        allow_none=True,
        metadata={"description": "Receipts, and adjustments that add stock."},
    )


class StockDocumentInSchema(ma.Schema):
    class Meta:
        example = {
            "type": "receipt",
            "warehouse_id": 1,
            "reference": "DN-4711",
            "draft": False,
            "lines": [{"item_id": 1, "quantity": "10", "unit_cost": "2.50"}],
        }

    type = ma.fields.String(required=True, validate=validate.OneOf([t.value for t in DocumentType]))
    warehouse_id = Id(required=True)
    to_warehouse_id = Id(load_default=None, allow_none=True)
    reference = Text(200, load_default="")
    cost_centre_id = Id(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Issues only: the cost centre the goods are charged to (must exist "
            "and be active); the cost of goods issued report groups by it."
        },
    )
    draft = Flag(load_default=False)
    lines = ma.fields.List(
        ma.fields.Nested(LineInSchema), required=True, validate=validate.Length(1, MAX_LINES)
    )


class LineSchema(ma.Schema):
    id = Id()
    line_no = ma.fields.Integer()
    item_id = Id()
    quantity = Amount(signed=True)
    unit_cost = Amount(allow_none=True)


class StockDocumentSummarySchema(ma.Schema):
    id = Id()
    type = ma.fields.String()
    status = ma.fields.String()
    warehouse_id = Id()
    to_warehouse_id = Id(allow_none=True)
    reference = ma.fields.String()
    source = ma.fields.String()
    cost_centre_id = Id(allow_none=True)
    created_by = Id()
    created_at = When()
    posted_by = Id(allow_none=True)
    posted_at = When(allow_none=True)
    cancelled_by = Id(allow_none=True)
    cancelled_at = When(allow_none=True)


class StockDocumentSchema(StockDocumentSummarySchema):
    lines = ma.fields.List(ma.fields.Nested(LineSchema))


class DocumentQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf([s.value for s in DocumentStatus]))
    type = ma.fields.String(validate=validate.OneOf([t.value for t in DocumentType]))
    warehouse_id = QueryId()


class BalanceQuerySchema(ma.Schema):
    item_id = QueryId()
    warehouse_id = QueryId()
    as_of = DayOrMoment(
        bound="end", metadata={"description": "Stock as it stood then, from the ledger."}
    )
    format = ExportFormat()


class BalanceSchema(ma.Schema):
    item_id = Id()
    warehouse_id = Id()
    quantity = Amount(signed=True)
    value = Amount(signed=True)


class LedgerQuerySchema(ma.Schema):
    warehouse_id = QueryId()
    date_from = DayOrMoment(bound="start", metadata={"description": "Entries from then on."})
    date_to = DayOrMoment(bound="end", metadata={"description": "Entries until then, included."})
    _in_order = ordered("date_from", "date_to")


class LedgerEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    posted_at = When()
    document_id = Id()
    document_type = ma.fields.String()
    reference = ma.fields.String()
    warehouse_id = Id()
    quantity = Amount(signed=True)
    unit_cost = Amount()
    value = Amount(signed=True)
    balance_quantity = Amount(signed=True)
    balance_value = Amount(signed=True)
    reversal = Flag()
    actor_id = Id()
