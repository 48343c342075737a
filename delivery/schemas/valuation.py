from __future__ import annotations

import marshmallow as ma

from delivery.schemas.common import Amount, DayOrMoment, ExportFormat, QueryId, Text, When


class ValuationQuerySchema(ma.Schema):
    as_of = DayOrMoment(
        bound="end",
        metadata={
            "description": "Stock value as it stood then: from the nearest closed period's "
            "snapshot plus the ledger since. Without it: now."
        },
    )
    warehouse_id = QueryId()
    category = Text(100, metadata={"description": "Only items of this category."})
    format = ExportFormat()


class ValuationRowSchema(ma.Schema):
    item_id = ma.fields.Integer()
    warehouse_id = ma.fields.Integer()
    quantity = Amount(signed=True)
    value = Amount(signed=True, metadata={"description": "Left out for the warehouse role."})


class ValuationTotalsSchema(ma.Schema):
    quantity = Amount(signed=True)
    value = Amount(signed=True)


class ValuationReportSchema(ma.Schema):
    as_of = When(allow_none=True)
    filters = ma.fields.Dict()
    rows = ma.fields.List(ma.fields.Nested(ValuationRowSchema))
    totals = ma.fields.Nested(ValuationTotalsSchema)


class PeriodSchema(ma.Schema):
    period = ma.fields.String(metadata={"example": "2026-11"})
    starts_at = When()
    ends_at = When(metadata={"description": "The next period's first instant (exclusive)."})
    closed_by = ma.fields.Integer()
    closed_at = When()


class PeriodListSchema(ma.Schema):
    closed = ma.fields.List(ma.fields.Nested(PeriodSchema))
    next = ma.fields.String(
        allow_none=True,
        metadata={"description": "The period that closes next; null: any ended month may."},
    )


class ReopenedSchema(ma.Schema):
    reopened = ma.fields.List(ma.fields.String())
