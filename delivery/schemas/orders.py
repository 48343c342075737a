from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from delivery.schemas.common import Amount, Id, QueryId, Text, When, sort_field
from inventory.db.purchasing_queries import ORDER_SORTS
from inventory.domain.orders import MAX_ORDER_LINES, ApprovalStatus, OrderStatus


class OrderLineInSchema(ma.Schema):
    item_id = Id(required=True)
    quantity = Amount(
        required=True,
        positive=True,
        metadata={"description": "Rounded up to the supplier's MOQ and pack size. 3 decimals."},
    )
    unit_price = Amount(
        load_default=None,
        allow_none=True,
        metadata={"description": "Order currency; leave out for the supplier item's price."},
    )
    promised_date = ma.fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "Leave out for today + the supplier's lead time."},
    )


class PurchaseOrderInSchema(ma.Schema):
    class Meta:
        example = {
            "supplier_id": 1,
            "warehouse_id": 1,
            "lines": [
                {
                    "item_id": 1,
                    "quantity": "100",
                    "unit_price": "0.11",
                    "promised_date": "2026-12-20",
                }
            ],
        }

    supplier_id = Id(required=True)
    warehouse_id = Id(required=True, metadata={"description": "Where the goods are received."})
    cost_centre_id = Id(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The cost centre the order is bought for; it then counts against "
            "that centre's budget for the day it is sent."
        },
    )
    lines = ma.fields.List(
        ma.fields.Nested(OrderLineInSchema),
        required=True,
        validate=validate.Length(1, MAX_ORDER_LINES),
    )


class SupplierChoiceSchema(ma.Schema):
    request_line_id = Id(required=True)
    supplier_id = Id(required=True)


class FromRequestsInSchema(ma.Schema):
    class Meta:
        example = {
            "request_line_ids": [1, 2],
            "warehouse_id": 1,
            "supplier_overrides": [{"request_line_id": 2, "supplier_id": 1}],
        }

    request_line_ids = ma.fields.List(
        Id(), required=True, validate=validate.Length(1, MAX_ORDER_LINES)
    )
    warehouse_id = Id(required=True, metadata={"description": "Where the goods are received."})
    supplier_overrides = ma.fields.List(
        ma.fields.Nested(SupplierChoiceSchema),
        load_default=list,
        validate=validate.Length(max=MAX_ORDER_LINES),
        metadata={"description": "Order these lines from this supplier instead of the proposal."},
    )


class OrderLineSchema(ma.Schema):
    id = Id()
    line_no = ma.fields.Integer()
    item_id = Id()
    sku = ma.fields.String()
    item_name = ma.fields.String()
    supplier_item_id = Id(allow_none=True)
    supplier_sku = ma.fields.String(allow_none=True)
    request_line_id = Id(allow_none=True)
    request_id = Id(allow_none=True)
    quantity = Amount()
    unit_price = Amount(metadata={"description": "Order currency."})
    line_total = Amount(metadata={"description": "round2(quantity × unit_price)."})
    promised_date = ma.fields.Date(allow_none=True)
    received_quantity = Amount(signed=True)
    cancelled_quantity = Amount()
    open_quantity = Amount()
    suggestion_reason = ma.fields.String(metadata={"description": "Why this supplier and price."})


class PurchaseOrderSummarySchema(ma.Schema):
    id = Id()
    supplier_id = Id()
    supplier_code = ma.fields.String()
    supplier_name = ma.fields.String()
    warehouse_id = Id()
    cost_centre_id = Id(
        allow_none=True, metadata={"description": "Direct orders: the centre they are for."}
    )
    status = ma.fields.String()
    currency = ma.fields.String()
    exchange_rate = Amount(
        allow_none=True, metadata={"description": "Base units per unit; fixed when sent."}
    )
    total = Amount(metadata={"description": "Order currency: the sum of the line totals."})
    total_base = Amount(
        allow_none=True, metadata={"description": "Base currency, once the rate is fixed."}
    )
    approval_status = ma.fields.String()
    steps = ma.fields.List(ma.fields.String(), allow_none=True)
    next_step = ma.fields.Integer()
    waiting_role = ma.fields.String(allow_none=True)
    created_by = Id()
    created_at = When()
    updated_at = When()
    sent_at = When(allow_none=True)


class PurchaseOrderSchema(PurchaseOrderSummarySchema):
    lines = ma.fields.List(ma.fields.Nested(OrderLineSchema))


class OrdersCreatedSchema(ma.Schema):
    orders = ma.fields.List(
        ma.fields.Nested(PurchaseOrderSchema), metadata={"description": "One per supplier."}
    )


class OrderQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf([s.value for s in OrderStatus]))
    approval_status = ma.fields.String(validate=validate.OneOf([s.value for s in ApprovalStatus]))
    supplier_id = QueryId()
    warehouse_id = QueryId()
    item_id = QueryId(metadata={"description": "Orders with a line for this item."})
    request_id = QueryId(metadata={"description": "Orders raised from this request."})
    sort = sort_field(ORDER_SORTS)


class ReasonSchema(ma.Schema):
    class Meta:
        example = {"reason": "The supplier cannot deliver before spring."}

    reason = Text(2000, load_default="")


class PromiseSchema(ma.Schema):
    class Meta:
        example = {"promised_date": "2026-12-22"}

    promised_date = ma.fields.Date(
        required=True, allow_none=True, metadata={"description": "What the supplier promised."}
    )
