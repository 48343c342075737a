"""Cost centres, budgets per period and approval rules (amount bands)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from delivery.schemas.common import Amount, Code, Flag, Id, QueryId, Text, When, sort_field
from inventory.db.request_queries import CENTRE_SORTS
from inventory.domain.approvals import APPROVING_ROLES, MAX_STEPS, OverBudgetAction

ACTIONS = [a.value for a in OverBudgetAction]


class CostCentreSchema(ma.Schema):
    class Meta:
        example = {"code": "MAINT", "name": "Maintenance", "active": True}

    id = Id(dump_only=True)
    code = Code(32, required=True)
    name = Text(200, min_length=1, required=True)
    active = Flag(load_default=True)
    created_at = When(dump_only=True)
    updated_at = When(dump_only=True)


class CostCentreUpdateSchema(ma.Schema):
    class Meta:
        example = {"name": "Maintenance and repairs"}

    code = Code(32)
    name = Text(200, min_length=1)
    active = Flag()


class CostCentreQuerySchema(ma.Schema):
    active = Flag()
    sort = sort_field(CENTRE_SORTS)


class BudgetSchema(ma.Schema):
    class Meta:
        example = {
            "cost_centre_id": 1,
            "period": "2026-Q4",
            "starts_on": "2026-10-01",
            "ends_on": "2026-12-31",
            "amount": "50000.00",
            "over_budget_action": "refuse",
        }

    id = Id(dump_only=True)
    cost_centre_id = Id(required=True)
    period = Text(20, min_length=1, required=True, metadata={"description": 'e.g. "2026-Q4"'})
    starts_on = ma.fields.Date(required=True, metadata={"description": "First day, included."})
    ends_on = ma.fields.Date(required=True, metadata={"description": "Last day, included."})
    amount = Amount(required=True)
    over_budget_action = ma.fields.String(
        load_default=OverBudgetAction.REFUSE.value,
        validate=validate.OneOf(ACTIONS),
        metadata={
            "description": "What the last approval does past the budget: refuse it (409 with "
            "the figures) or approve it flagged over budget."
        },
    )
    committed = Amount(
        dump_only=True,
        metadata={"description": "Totals of approved, ordered and closed requests."},
    )
    available = Amount(signed=True, dump_only=True)


class BudgetUpdateSchema(ma.Schema):
    class Meta:
        example = {"amount": "60000.00"}

    period = Text(20, min_length=1)
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    amount = Amount()
    over_budget_action = ma.fields.String(validate=validate.OneOf(ACTIONS))


class BudgetQuerySchema(ma.Schema):
    cost_centre_id = QueryId()
    active_on = ma.fields.Date(metadata={"description": "Only the budgets whose period holds it."})


STEPS_DOC = {
    "description": "Roles that approve, in order; [] means no approval is needed. "
    "Amounts no rule covers need one approver."
}


class ApprovalRuleSchema(ma.Schema):
    class Meta:
        example = {
            "name": "Up to 5000",
            "min_amount": "0",
            "max_amount": "5000",
            "steps": ["approver"],
            "active": True,
        }

    id = Id(dump_only=True)
    name = Text(100, min_length=1, required=True)
    min_amount = Amount(required=True, metadata={"description": "Lower bound, included."})
    max_amount = Amount(
        load_default=None,
        allow_none=True,
        metadata={"description": "Upper bound, excluded; null for no upper bound."},
    )
    steps = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(APPROVING_ROLES)),
        required=True,
        validate=validate.Length(0, MAX_STEPS),
        metadata=STEPS_DOC,
    )
    active = Flag(load_default=True)


class ApprovalRuleUpdateSchema(ma.Schema):
    class Meta:
        example = {"steps": ["approver", "finance"]}

    name = Text(100, min_length=1)
    min_amount = Amount()
    max_amount = Amount(allow_none=True)
    steps = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(APPROVING_ROLES)),
        validate=validate.Length(0, MAX_STEPS),
        metadata=STEPS_DOC,
    )
    active = Flag()


class ApprovalRuleQuerySchema(ma.Schema):
    active = Flag()
