"""Schemas of the stock health and control reports."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from delivery.schemas.common import (
    Amount,
    DayOrMoment,
    DecimalString,
    ExportFormat,
    Id,
    QueryId,
    Text,
    When,
    in_the_days_served,
    ordered,
    sort_field,
)
from inventory.db.control_queries import KINDS
from inventory.db.health_queries import BUCKETS
from inventory.db.item_class_queries import CLASS_SORTS

MAX_RANGE_DAYS = 366


class StockScopeSchema(ma.Schema):
    item_id = QueryId()
    warehouse_id = QueryId()
    category = Text(100)
    format = ExportFormat()


def _ageing_fields() -> dict:
    money = {"description": "finance and admin only"}
    fields = {
        "item_id": Id(),
        "sku": ma.fields.String(),
        "name": ma.fields.String(),
        "category": ma.fields.String(),
        "warehouse_id": Id(),
        "warehouse_code": ma.fields.String(),
        "quantity": Amount(),
        "value": Amount(metadata=money),
        "oldest_receipt_at": When(allow_none=True),
        "newest_receipt_at": When(allow_none=True),
    }
    for bucket in BUCKETS:
        fields[f"qty_{bucket}"] = Amount()
        fields[f"value_{bucket}"] = Amount(metadata=money)
    return fields


# One quantity and one value column per bucket, so built from the bucket names.
AgeingRowSchema = ma.Schema.from_dict(_ageing_fields(), name="AgeingRowSchema")


class SlowMovingQuerySchema(StockScopeSchema):
    slow_days = ma.fields.Integer(
        load_default=90,
        validate=validate.Range(min=1, max=3650),
        metadata={"description": "Idle this many days or more: slow."},
    )
    dead_days = ma.fields.Integer(
        load_default=365,
        validate=validate.Range(min=1, max=3650),
        metadata={"description": "Idle this many days or more: dead."},
    )
    status = ma.fields.String(validate=validate.OneOf(["slow", "dead"]))

    @ma.validates_schema
    def _dead_after_slow(self, data, **kwargs):
        if data["dead_days"] < data["slow_days"]:
            raise ma.ValidationError("Must not be more than dead_days.", field_name="slow_days")


class SlowMovingRowSchema(ma.Schema):
    item_id = Id()
    sku = ma.fields.String()
    name = ma.fields.String()
    category = ma.fields.String()
    warehouse_id = Id()
    warehouse_code = ma.fields.String()
    quantity = Amount()
    value = Amount(metadata={"description": "finance and admin only"})
    last_issue_at = When(allow_none=True)
    idle_since = When(allow_none=True)
    idle_days = ma.fields.Integer()
    status = ma.fields.String()


class ClassQuerySchema(ma.Schema):
    item_id = QueryId()
    category = Text(100)
    abc = ma.fields.String(validate=validate.OneOf(["A", "B", "C"]))
    xyz = ma.fields.String(validate=validate.OneOf(["X", "Y", "Z"]))
    sort = sort_field(CLASS_SORTS)
    format = ExportFormat()


class ClassRowSchema(ma.Schema):
    item_id = Id()
    sku = ma.fields.String()
    name = ma.fields.String()
    category = ma.fields.String()
    abc_class = ma.fields.String()
    xyz_class = ma.fields.String()
    consumption_value = Amount(metadata={"description": "finance and admin only"})
    annual_quantity = Amount()
    demand_cv = DecimalString(as_string=True, allow_none=True)
    computed_at = When()


def _bounded_range(self, data, **kwargs):
    since, until = data.get("since"), data.get("until")
    if since and until and (until - since).days > MAX_RANGE_DAYS:
        raise ma.ValidationError(
            f"The range may span at most {MAX_RANGE_DAYS} days.", field_name="until"
        )


def _window_bound(bound, description: str) -> DayOrMoment:
    """A window's end the other end's default is counted from: kept inside the days served."""
    return DayOrMoment(
        bound=bound, validate=in_the_days_served, metadata={"description": description}
    )


class ExceptionQuerySchema(ma.Schema):
    since = _window_bound("start", "From then on (30 days ago).")
    until = _window_bound("end", "Until then, included (now).")
    kind = ma.fields.String(validate=validate.OneOf(KINDS))
    warehouse_id = QueryId()
    cost_centre_id = QueryId(
        metadata={
            "description": "Only exceptions charged to this cost centre: over-budget requests "
            "and direct orders of it, cancellations of issues charged to it."
        }
    )
    price_threshold_pct = ma.fields.Float(
        load_default=10.0,
        validate=validate.Range(min=0, max=1000),
        metadata={"description": "price_variance: percent off the previous average cost."},
    )
    unusual_share = ma.fields.Float(
        load_default=0.1,
        validate=validate.Range(min=0, max=1),
        metadata={
            "description": "unusual_warehouse: share of a user's postings below which a "
            "warehouse is unusual for them."
        },
    )
    format = ExportFormat()
    _in_order = ordered("since", "until")
    _bounded = ma.validates_schema(_bounded_range)


class ExceptionRowSchema(ma.Schema):
    kind = ma.fields.String()
    at = When()
    actor_id = Id(allow_none=True)
    warehouse_id = Id(allow_none=True)
    item_id = Id(allow_none=True)
    cost_centre_id = Id(allow_none=True)
    reference = ma.fields.String()
    quantity = Amount(signed=True, allow_none=True)
    value = Amount(signed=True, allow_none=True)
    budget_left = Amount(
        signed=True,
        allow_none=True,
        metadata={
            "description": "over_budget rows: what the budget had left just before the "
            "direct order, or at the request's approval (negative when already overspent; "
            "null on requests flagged before migration 0011b)."
        },
    )
    detail = ma.fields.String()


class SupplyRiskQuerySchema(ma.Schema):
    since = _window_bound("start", "Spend from then on (a year).")
    until = _window_bound("end", "Spend until then (now).")
    _in_order = ordered("since", "until")
    _bounded = ma.validates_schema(_bounded_range)


class SpendShareSchema(ma.Schema):
    supplier_id = Id()
    supplier_code = ma.fields.String()
    name = ma.fields.String()
    status = ma.fields.String()
    spend = Amount(signed=True)
    share_pct = Amount(signed=True)


class SingleSourceSchema(ma.Schema):
    item_id = Id()
    sku = ma.fields.String()
    name = ma.fields.String()
    supplier_id = Id()
    supplier_code = ma.fields.String()
    stock_quantity = Amount()
    stock_value = Amount()
    annual_quantity = Amount(signed=True)
    annual_consumption_value = Amount(signed=True)


class HeldSupplierSchema(ma.Schema):
    supplier_id = Id()
    supplier_code = ma.fields.String()
    name = ma.fields.String()
    status = ma.fields.String()
    currency = ma.fields.String()
    open_orders = ma.fields.Integer()
    open_value = Amount(signed=True)


class SupplyRiskSchema(ma.Schema):
    since = When()
    until = When()
    spend_total = Amount(signed=True)
    spend = ma.fields.List(ma.fields.Nested(SpendShareSchema))
    single_source_items = ma.fields.List(ma.fields.Nested(SingleSourceSchema))
    held_suppliers_with_open_orders = ma.fields.List(ma.fields.Nested(HeldSupplierSchema))
