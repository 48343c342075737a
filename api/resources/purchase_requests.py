"""Purchase requests and their approval, the approval inbox, and the approval of purchase orders.

Purchasing (and admin) raise, edit (drafts), submit and cancel requests; approver and finance
decide them. Admin does not decide approvals by being admin: separation of duties is the point
of an approval, so an admin approves only when they also hold the waiting role (and then under
the same rules). See ``inventory.domain.approvals``.
"""

from __future__ import annotations

from flask.views import MethodView

from api.blueprint import Blueprint, listing
from api.idempotent import IDEMPOTENCY_DOC, run_once
from delivery.access import EVERYONE, current_actor, roles
from delivery.schemas.requests import (
    ApproveSchema,
    CancelSchema,
    InboxEntrySchema,
    OrderApprovalSchema,
    RejectSchema,
    RequestEditSchema,
    RequestInSchema,
    RequestQuerySchema,
    RequestSchema,
    RequestSummarySchema,
)
from inventory.db import request_queries as rq
from inventory.domain.actors import Role
from inventory.domain.requests import RequestLineIn
from inventory.services import approvals, purchase_requests

blp = Blueprint(
    "purchase_requests",
    __name__,
    url_prefix="/api/v1/purchase-requests",
    description="Purchase requests: raise, submit, approve or reject by amount band, cancel",
)
inbox_blp = Blueprint(
    "approvals", __name__, url_prefix="/api/v1/approvals", description="The approval inbox"
)
order_approvals = Blueprint(
    "purchase_order_approvals",
    __name__,
    url_prefix="/api/v1/purchase-orders",
    description="Approval of purchase orders raised directly or above their requests",
)
ID = "<int(max=2147483647):request_id>"
ORDER_ID = "<int(max=2147483647):order_id>"
RAISERS = (Role.ADMIN, Role.PURCHASING)
DECIDERS = (Role.APPROVER, Role.FINANCE)
request_schema = RequestSchema()


@blp.route("")
class Requests(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(RequestQuerySchema(), location="query")
    @blp.response(200, RequestSummarySchema(many=True))
    @blp.paged()
    def get(self, args, pagination_parameters):
        """One page of purchase requests, filtered and sorted by the query."""
        return listing(rq.purchase_requests(**args), pagination_parameters)

    @roles(*RAISERS)
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(RequestInSchema())
    @blp.response(201, RequestSchema)
    def post(self, data):
        """Raise a draft request; you are its requester. Submit it to send it for approval."""
        lines = [RequestLineIn(**line) for line in data["lines"]]

        def work():
            created = purchase_requests.create(
                current_actor(), data["cost_centre_id"], lines, data["note"]
            )
            return 201, request_schema.dump(purchase_requests.get(created))

        return run_once(data, work)


@blp.route(f"/{ID}")
class RequestRecord(MethodView):
    @roles(*EVERYONE)
    @blp.etag
    @blp.response(200, RequestSchema)
    def get(self, request_id):
        """The request with its lines, approval decisions and status history."""
        return purchase_requests.get(request_id)

    @roles(*RAISERS)
    @blp.etag
    @blp.arguments(RequestEditSchema())
    @blp.response(200, RequestSchema)
    @blp.alt_response(409, description="The request is not a draft any more.")
    def patch(self, data, request_id):
        """Edit a draft: its cost centre, note and/or lines (the whole new list replaces the old
        lines). Send If-Match with the ETag of your last read (by the requester or an admin)."""
        changes = dict(data)
        if "lines" in changes:
            changes["lines"] = [RequestLineIn(**line) for line in changes["lines"]]
        purchase_requests.edit(
            current_actor(),
            request_id,
            changes,
            lambda current: blp.check_etag(current, request_schema),
        )
        return purchase_requests.get(request_id)


@blp.route(f"/{ID}/submit")
class SubmitRequest(MethodView):
    @roles(*RAISERS)
    @blp.response(200, RequestSchema)
    @blp.alt_response(409, description="The request is not a draft.")
    @blp.alt_response(422, description="No budget period of the cost centre holds today.")
    def post(self, request_id):
        """Total the request, find today's budget period, fix its approval steps and notify
        the first step's approvers (by the requester or an admin)."""
        return purchase_requests.get(purchase_requests.submit(current_actor(), request_id))


@blp.route(f"/{ID}/approve")
class ApproveRequest(MethodView):
    @roles(*DECIDERS)
    @blp.arguments(ApproveSchema())
    @blp.response(200, RequestSchema)
    @blp.alt_response(
        403, description="Your own request, not your step's role, or you approved an earlier step."
    )
    @blp.alt_response(409, description="Decided already, or over budget (with the figures).")
    def post(self, data, request_id):
        """Approve the current step; the last step checks the budget and approves the request."""
        return purchase_requests.get(
            purchase_requests.approve(
                current_actor(), request_id, expected_step=data.get("step"), reason=data["reason"]
            )
        )


@blp.route(f"/{ID}/reject")
class RejectRequest(MethodView):
    @roles(*DECIDERS)
    @blp.arguments(RejectSchema())
    @blp.response(200, RequestSchema)
    @blp.alt_response(409, description="Decided already.")
    def post(self, data, request_id):
        """Reject the request at its current step; the reason is required."""
        return purchase_requests.get(
            purchase_requests.reject(
                current_actor(), request_id, reason=data["reason"], expected_step=data.get("step")
            )
        )


@blp.route(f"/{ID}/cancel")
class CancelRequest(MethodView):
    @roles(*RAISERS)
    @blp.arguments(CancelSchema())
    @blp.response(200, RequestSchema)
    @blp.alt_response(
        409, description="Rejected, closed or cancelled already, or on an order still open."
    )
    def post(self, data, request_id):
        """Withdraw a draft, submitted or approved request (by the requester or an admin). An
        ordered request whose orders have all ended drops what it still needs: it becomes
        ``cancelled`` when nothing of it arrived, ``closed`` when some did."""
        return purchase_requests.get(
            purchase_requests.cancel(current_actor(), request_id, reason=data["reason"])
        )


@inbox_blp.route("/inbox")
class Inbox(MethodView):
    @roles(*DECIDERS)
    @inbox_blp.response(200, InboxEntrySchema(many=True))
    @inbox_blp.paged()
    def get(self, pagination_parameters):
        """Requests and purchase orders waiting for one of your roles, oldest wait first; not
        your own, nor those you approved an earlier step of."""
        actor = current_actor()
        return listing(rq.inbox(actor.id, actor.roles), pagination_parameters)


@order_approvals.route(f"/{ORDER_ID}/approve")
class ApproveOrder(MethodView):
    @roles(*DECIDERS)
    @order_approvals.arguments(ApproveSchema())
    @order_approvals.response(200, OrderApprovalSchema)
    @order_approvals.alt_response(409, description="No pending approval, or decided already.")
    def post(self, data, order_id):
        """Approve the order's current approval step; the last one lets it be sent."""
        approvals.approve_order(
            current_actor(), order_id, expected_step=data.get("step"), reason=data["reason"]
        )
        return approvals.get_order_approval(order_id)


@order_approvals.route(f"/{ORDER_ID}/reject")
class RejectOrder(MethodView):
    @roles(*DECIDERS)
    @order_approvals.arguments(RejectSchema())
    @order_approvals.response(200, OrderApprovalSchema)
    @order_approvals.alt_response(409, description="No pending approval, or decided already.")
    def post(self, data, order_id):
        """Reject the order at its current approval step; it cannot be sent."""
        approvals.reject_order(
            current_actor(), order_id, reason=data["reason"], expected_step=data.get("step")
        )
        return approvals.get_order_approval(order_id)
