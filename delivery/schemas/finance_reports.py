"""Query and body schemas of the finance reports (docs/reports.md defines every figure)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from delivery.schemas.common import Amount, QueryId, Text, When
from inventory.db.finance_queries import COGS_DIMENSIONS, COGS_REASONS, SPEND_DIMENSIONS
from inventory.services.finance_reports import MAX_MONTHS

FORMATS = ["json", "csv", "xlsx"]


class WindowQuerySchema(ma.Schema):
    date_from = ma.fields.Date(
        data_key="from",
        load_default=None,
        metadata={"description": "First day (service time zone); default: 11 months back, "
                  "on the 1st."},
    )  # fmt: skip
    date_to = ma.fields.Date(
        data_key="to",
        load_default=None,
        metadata={"description": f"Last day, included; default today. At most {MAX_MONTHS} "
                  "calendar months after `from`."},
    )  # fmt: skip
    format = ma.fields.String(
        load_default="json",
        validate=validate.OneOf(FORMATS),
        metadata={"description": "json: one page. csv, xlsx: every row, the totals and the "
                  "filters used, as a file."},
    )  # fmt: skip


def _group_by(dimensions) -> ma.fields.List:
    return ma.fields.List(
        ma.fields.String(validate=validate.OneOf(dimensions)),
        load_default=list(dimensions),
        metadata={"description": f"Repeat to group by several of {list(dimensions)}; "
                  "default all."},
    )  # fmt: skip


class SpendQuerySchema(WindowQuerySchema):
    supplier_id = QueryId()
    cost_centre_id = QueryId()
    category = Text(100)
    group_by = _group_by(SPEND_DIMENSIONS)


class SpendChartQuerySchema(ma.Schema):
    date_from = WindowQuerySchema().fields["date_from"]
    date_to = WindowQuerySchema().fields["date_to"]
    supplier_id = QueryId()
    cost_centre_id = QueryId()
    category = Text(100)


class CogsQuerySchema(WindowQuerySchema):
    warehouse_id = QueryId()
    cost_centre_id = QueryId(metadata={"description": "Only issues charged to this cost centre."})
    category = Text(100)
    reason = ma.fields.String(validate=validate.OneOf(COGS_REASONS))
    group_by = _group_by(COGS_DIMENSIONS)


class VarianceQuerySchema(WindowQuerySchema):
    supplier_id = QueryId()
    item_id = QueryId()
    warehouse_id = QueryId()
    category = Text(100)


class BudgetQuerySchema(WindowQuerySchema):
    cost_centre_id = QueryId()
    period = Text(20)


class KpiQuerySchema(WindowQuerySchema):
    warehouse_id = QueryId()


class _Report(ma.Schema):
    report = ma.fields.String()
    filters = ma.fields.Dict(metadata={"description": "The filters used, window included."})


class SpendRowSchema(ma.Schema):
    month = ma.fields.String(allow_none=True)
    supplier_id = ma.fields.Integer(allow_none=True)
    category = ma.fields.String(allow_none=True)
    cost_centre_id = ma.fields.Integer(allow_none=True)
    ordered = Amount()
    received = Amount()


class SpendTotalsSchema(ma.Schema):
    ordered = Amount()
    received = Amount()


class SpendReportSchema(_Report):
    totals = ma.fields.Nested(SpendTotalsSchema)
    rows = ma.fields.List(ma.fields.Nested(SpendRowSchema))


class CogsRowSchema(ma.Schema):
    month = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    cost_centre_id = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "null: issues charged to no cost centre (or not grouped by)."},
    )
    warehouse_id = ma.fields.Integer(allow_none=True)
    category = ma.fields.String(allow_none=True)
    quantity = Amount(signed=True)
    value = Amount(signed=True, allow_none=True, metadata={"description": "null for warehouse."})


class CogsTotalsSchema(ma.Schema):
    quantity = Amount(signed=True)
    value = Amount(signed=True, allow_none=True)


class CogsReportSchema(_Report):
    totals = ma.fields.Nested(CogsTotalsSchema)
    rows = ma.fields.List(ma.fields.Nested(CogsRowSchema))


class VarianceRowSchema(ma.Schema):
    ledger_id = ma.fields.Integer()
    receipt_id = ma.fields.Integer()
    received_at = When()
    supplier_id = ma.fields.Integer()
    order_id = ma.fields.Integer()
    po_line_id = ma.fields.Integer()
    item_id = ma.fields.Integer()
    warehouse_id = ma.fields.Integer()
    quantity = Amount(signed=True)
    unit_cost = Amount()
    value = Amount(signed=True)
    order_unit_cost = Amount()
    order_variance = Amount(signed=True)
    previous_average_cost = Amount(allow_none=True)
    average_variance = Amount(signed=True, allow_none=True)


class VarianceTotalsSchema(ma.Schema):
    rows = ma.fields.Integer()
    quantity = Amount(signed=True)
    value = Amount(signed=True)
    order_variance = Amount(signed=True)
    average_variance = Amount(signed=True)


class VarianceReportSchema(_Report):
    totals = ma.fields.Nested(VarianceTotalsSchema)
    rows = ma.fields.List(ma.fields.Nested(VarianceRowSchema))


class BudgetTotalsSchema(ma.Schema):
    amount = Amount()
    requested = Amount(signed=True)
    on_order = Amount(signed=True)
    committed = Amount(signed=True)
    actual = Amount(signed=True)
    available = Amount(signed=True)


class BudgetRowSchema(BudgetTotalsSchema):
    """A budget's figures (the totals' columns) with the budget it is."""

    budget_id = ma.fields.Integer()
    cost_centre_id = ma.fields.Integer()
    cost_centre_code = ma.fields.String()
    period = ma.fields.String()
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()


class BudgetReportSchema(_Report):
    totals = ma.fields.Nested(BudgetTotalsSchema)
    rows = ma.fields.List(ma.fields.Nested(BudgetRowSchema))


class KpiRowSchema(ma.Schema):
    kpi = ma.fields.String()
    value = Amount(signed=True, allow_none=True)
    unit = ma.fields.String()
    numerator = Amount(signed=True, allow_none=True)
    denominator = Amount(signed=True, allow_none=True)


class KpiSupplierSchema(ma.Schema):
    supplier_id = ma.fields.Integer()
    deliveries = ma.fields.Integer()
    otif = ma.fields.Float()


class KpiReportSchema(_Report):
    totals = ma.fields.Dict(
        metadata={"description": "Stock values and consumption behind turnover; finance, admin."}
    )
    rows = ma.fields.List(ma.fields.Nested(KpiRowSchema))
    suppliers = ma.fields.List(ma.fields.Nested(KpiSupplierSchema))
