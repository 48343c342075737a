"""Cost centres, budgets and approval rules: everyone reads them, admin and finance write them.

They share one shape: list, create, read, and update with If-Match (the ETag of your last read).
"""

from __future__ import annotations

from flask.views import MethodView

from api.blueprint import Blueprint, listing
from delivery.access import EVERYONE, current_actor, roles
from delivery.schemas.procurement_setup import (
    ApprovalRuleQuerySchema,
    ApprovalRuleSchema,
    ApprovalRuleUpdateSchema,
    BudgetQuerySchema,
    BudgetSchema,
    BudgetUpdateSchema,
    CostCentreQuerySchema,
    CostCentreSchema,
    CostCentreUpdateSchema,
)
from inventory.db import request_queries as rq
from inventory.domain.actors import Role
from inventory.services import approvals, budgets

WRITERS = (Role.ADMIN, Role.FINANCE)
ID = "<int(max=2147483647):record_id>"


def make_blueprint(
    name: str,
    path: str,
    description: str,
    schema,
    update_schema,
    query_schema,
    list_query,
    create,
    read,
    update,
    conflicts: str,
) -> Blueprint:
    blp = Blueprint(name, __name__, url_prefix=f"/api/v1/{path}", description=description)

    @blp.route("")
    class Collection(MethodView):
        @roles(*EVERYONE)
        @blp.arguments(query_schema, location="query")
        @blp.response(200, schema(many=True))
        @blp.paged()
        def get(self, args, pagination_parameters):
            """One page of the records, filtered and sorted by the query."""
            return listing(list_query(**args), pagination_parameters)

        @roles(*WRITERS)
        @blp.arguments(schema)
        @blp.response(201, schema)
        @blp.alt_response(409, description=conflicts)
        def post(self, data):
            """Create a record."""
            return create(current_actor(), data)

    @blp.route(f"/{ID}")
    class Record(MethodView):
        @roles(*EVERYONE)
        @blp.etag
        @blp.response(200, schema)
        def get(self, record_id):
            """One record, with an ETag to send back as If-Match when changing it."""
            return read(record_id)

        @roles(*WRITERS)
        @blp.etag
        @blp.arguments(update_schema)
        @blp.response(200, schema)
        @blp.alt_response(409, description=conflicts)
        def patch(self, changes, record_id):
            """Change fields; send If-Match with the ETag of your last read."""
            return update(
                current_actor(),
                record_id,
                changes,
                lambda current: blp.check_etag(current, schema),
            )

    return blp


cost_centres = make_blueprint(
    "cost_centres",
    "cost-centres",
    "Cost centres that purchase requests are charged to",
    CostCentreSchema,
    CostCentreUpdateSchema,
    CostCentreQuerySchema,
    rq.cost_centres,
    lambda actor, data: budgets.create_centre(actor, **data),
    budgets.get_centre,
    budgets.update_centre,
    "The code is taken.",
)
budget_periods = make_blueprint(
    "budgets",
    "budgets",
    "Budgets of a cost centre per period; approvals check committed spend against them",
    BudgetSchema,
    BudgetUpdateSchema,
    BudgetQuerySchema,
    rq.budgets,
    budgets.create_budget,
    budgets.get_budget,
    budgets.update_budget,
    "The period's label is taken or its days overlap another budget of the centre.",
)
approval_rules = make_blueprint(
    "approval_rules",
    "approval-rules",
    "Amount bands [min, max) and the roles that approve in them, in order",
    ApprovalRuleSchema,
    ApprovalRuleUpdateSchema,
    ApprovalRuleQuerySchema,
    rq.approval_rules,
    approvals.create_rule,
    approvals.get_rule,
    approvals.update_rule,
    "The band overlaps an active rule's band.",
)
