"""Purchase requests, approval decisions and the approval inbox."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from delivery.schemas.common import Amount, Flag, Id, QueryId, Text, When, sort_field
from inventory.db.request_queries import REQUEST_SORTS
from inventory.domain.approvals import APPROVING_ROLES, MAX_STEPS
from inventory.domain.requests import MAX_REQUEST_LINES, RequestStatus


class RequestLineInSchema(ma.Schema):
    item_id = Id(required=True)
    quantity = Amount(required=True, positive=True, metadata={"description": "3 decimals."})
    needed_by = ma.fields.Date(load_default=None, allow_none=True)
    estimated_price = Amount(
        required=True, metadata={"description": "Unit price in base currency, up to 4 places."}
    )
    note = Text(2000, load_default="")


class RequestInSchema(ma.Schema):
    class Meta:
        example = {
            "cost_centre_id": 1,
            "note": "Stock for the winter overhaul",
            "lines": [
                {
                    "item_id": 1,
                    "quantity": "500",
                    "needed_by": "2026-12-20",
                    "estimated_price": "0.12",
                    "note": "",
                }
            ],
        }

    cost_centre_id = Id(required=True)
    note = Text(2000, load_default="")
    lines = ma.fields.List(
        ma.fields.Nested(RequestLineInSchema),
        required=True,
        validate=validate.Length(1, MAX_REQUEST_LINES),
    )


class RequestEditSchema(ma.Schema):
    class Meta:
        example = {"note": "Needed a week earlier"}

    cost_centre_id = Id()
    note = Text(2000)
    lines = ma.fields.List(
        ma.fields.Nested(RequestLineInSchema),
        validate=validate.Length(1, MAX_REQUEST_LINES),
        metadata={"description": "The whole new list of lines; it replaces the old lines."},
    )

    @ma.validates_schema
    def _something_to_change(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("Send cost_centre_id, note and/or lines to change.")


class RequestLineSchema(ma.Schema):
    id = Id()
    line_no = ma.fields.Integer()
    item_id = Id()
    quantity = Amount()
    needed_by = ma.fields.Date(allow_none=True)
    estimated_price = Amount()
    note = ma.fields.String()
    ordered_quantity = Amount()


class DecisionSchema(ma.Schema):
    step = ma.fields.Integer()
    role = ma.fields.String()
    approver_id = Id()
    decision = ma.fields.String()
    reason = ma.fields.String()
    at = When()


class StatusChangeSchema(ma.Schema):
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    actor_id = Id()
    at = When()
    reason = ma.fields.String()


class RequestSummarySchema(ma.Schema):
    id = Id()
    requester_id = Id()
    cost_centre_id = Id()
    budget_id = Id(allow_none=True)
    status = ma.fields.String()
    total = Amount(metadata={"description": "Σ round2(quantity × estimated price), base currency"})
    steps = ma.fields.List(ma.fields.String(), allow_none=True)
    next_step = ma.fields.Integer()
    waiting_role = ma.fields.String(allow_none=True)
    over_budget = Flag()
    note = ma.fields.String()
    line_count = ma.fields.Integer()
    created_at = When()
    updated_at = When()
    submitted_at = When(allow_none=True)
    decided_at = When(allow_none=True)


class RequestSchema(RequestSummarySchema):
    lines = ma.fields.List(ma.fields.Nested(RequestLineSchema))
    decisions = ma.fields.List(ma.fields.Nested(DecisionSchema))
    history = ma.fields.List(
        ma.fields.Nested(StatusChangeSchema),
        metadata={"description": "Every status change: who, when, why."},
    )


class RequestQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf([s.value for s in RequestStatus]))
    cost_centre_id = QueryId()
    requester_id = QueryId()
    waiting_role = ma.fields.String(validate=validate.OneOf(APPROVING_ROLES))
    sort = sort_field(REQUEST_SORTS)


STEP_DOC = {
    "description": "The step you decide (from the inbox or the record); if it was decided "
    "meanwhile you get 409 instead of deciding the next one."
}


class ApproveSchema(ma.Schema):
    class Meta:
        example = {"step": 0, "reason": "Within the quarter's plan."}

    step = ma.fields.Integer(
        strict=True, validate=validate.Range(0, MAX_STEPS - 1), metadata=STEP_DOC
    )
    reason = Text(2000, load_default="")


class RejectSchema(ma.Schema):
    class Meta:
        example = {"step": 0, "reason": "Order from the framework contract instead."}

    step = ma.fields.Integer(
        strict=True, validate=validate.Range(0, MAX_STEPS - 1), metadata=STEP_DOC
    )
    reason = Text(2000, min_length=1, required=True)


class CancelSchema(ma.Schema):
    class Meta:
        example = {"reason": "No longer needed."}

    reason = Text(2000, load_default="")


class OrderApprovalSchema(ma.Schema):
    id = Id()
    status = ma.fields.String()
    approval_status = ma.fields.String()
    steps = ma.fields.List(ma.fields.String())
    next_step = ma.fields.Integer()
    waiting_role = ma.fields.String(allow_none=True)
    total = Amount()
    currency = ma.fields.String()
    created_by = Id()
    decisions = ma.fields.List(ma.fields.Nested(DecisionSchema))
    history = ma.fields.List(
        ma.fields.Nested(StatusChangeSchema),
        metadata={"description": "Changes of approval_status: who, when, why."},
    )


class InboxEntrySchema(ma.Schema):
    kind = ma.fields.String(metadata={"description": "purchase_request or purchase_order"})
    id = Id()
    waiting_role = ma.fields.String()
    step = ma.fields.Integer()
    amount = Amount()
    currency = ma.fields.String()
    raised_by = Id()
    waiting_since = When()
    cost_centre_id = Id(allow_none=True)
    supplier_id = Id(allow_none=True)
    over_budget = Flag()
