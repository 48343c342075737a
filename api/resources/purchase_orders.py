"""Purchase orders: from approved requests or direct, send at a fixed rate, cancel, close."""

from decimal import Decimal

from flask import current_app
from flask.views import MethodView

from api.blueprint import Blueprint, listing
from api.idempotent import IDEMPOTENCY_DOC, run_once
from delivery.access import EVERYONE, current_actor, roles
from delivery.schemas.orders import (
    FromRequestsInSchema,
    OrderQuerySchema,
    OrdersCreatedSchema,
    PromiseSchema,
    PurchaseOrderInSchema,
    PurchaseOrderSchema,
    PurchaseOrderSummarySchema,
    ReasonSchema,
)
from inventory import clock
from inventory.db import purchasing_queries as pq
from inventory.domain.actors import Role
from inventory.domain.orders import DEFAULT_APPROVAL_TOLERANCE_PCT
from inventory.services import order_closing, order_from_requests, purchase_orders
from inventory.services.purchase_orders import OrderLineIn

blp = Blueprint(
    "purchase_orders",
    __name__,
    url_prefix="/api/v1/purchase-orders",
    description="Purchase orders: raise, send, cancel, close",
)
ID = "<int(max=2147483647):order_id>"
LINE_ID = "<int(max=2147483647):line_id>"
BUYERS = (Role.ADMIN, Role.PURCHASING)
order_schema = PurchaseOrderSchema()


def _today():
    return clock.now().date()


@blp.route("")
class PurchaseOrders(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(OrderQuerySchema(), location="query")
    @blp.response(200, PurchaseOrderSummarySchema(many=True))
    @blp.paged()
    def get(self, args, pagination_parameters):
        """One page of purchase orders, filtered and sorted by the query."""
        return pq.with_total_base(listing(pq.purchase_orders(**args), pagination_parameters))

    @roles(*BUYERS)
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(PurchaseOrderInSchema())
    @blp.response(201, PurchaseOrderSchema)
    @blp.alt_response(409, description="The supplier is blocked or on hold.")
    def post(self, data):
        """Raise a draft order directly; it needs approval (by amount band) before sending."""
        lines = [
            OrderLineIn(x["item_id"], x["quantity"], x["unit_price"], x["promised_date"])
            for x in data["lines"]
        ]

        def work():
            order_id = purchase_orders.create_order(
                current_actor(),
                data["supplier_id"],
                data["warehouse_id"],
                lines,
                _today(),
                cost_centre_id=data["cost_centre_id"],
            )
            return 201, order_schema.dump(purchase_orders.get_order(order_id))

        return run_once(data, work)


@blp.route("/from-requests")
class FromRequests(MethodView):
    @roles(*BUYERS)
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(FromRequestsInSchema())
    @blp.response(201, OrdersCreatedSchema)
    @blp.alt_response(409, description="A line's request is not approved, or already ordered.")
    def post(self, data):
        """Draft orders from approved request lines, one per proposed supplier; each line says
        why its supplier was proposed."""
        tolerance = Decimal(
            str(current_app.config.get("PO_APPROVAL_TOLERANCE_PCT", DEFAULT_APPROVAL_TOLERANCE_PCT))
        )
        overrides = {x["request_line_id"]: x["supplier_id"] for x in data["supplier_overrides"]}

        def work():
            order_ids = order_from_requests.create_from_requests(
                current_actor(),
                data["request_line_ids"],
                data["warehouse_id"],
                _today(),
                tolerance_pct=tolerance,
                supplier_overrides=overrides,
            )
            orders = [purchase_orders.get_order(x) for x in order_ids]
            return 201, OrdersCreatedSchema().dump({"orders": orders})

        return run_once(data, work)


@blp.route(f"/{ID}")
class PurchaseOrderRecord(MethodView):
    @roles(*EVERYONE)
    @blp.response(200, PurchaseOrderSchema)
    def get(self, order_id):
        """The order with its lines, approval steps and status history."""
        return purchase_orders.get_order(order_id)


@blp.route(f"/{ID}/send")
class SendOrder(MethodView):
    @roles(*BUYERS)
    @blp.response(200, PurchaseOrderSchema)
    @blp.alt_response(409, description="Not a draft, supplier blocked/on hold, or not approved.")
    def post(self, order_id):
        """Send a draft order; its exchange rate is fixed now (latest rate valid today)."""
        return purchase_orders.get_order(
            purchase_orders.send_order(current_actor(), order_id, _today())
        )


@blp.route(f"/{ID}/cancel")
class CancelOrder(MethodView):
    @roles(*BUYERS)
    @blp.arguments(ReasonSchema())
    @blp.response(200, PurchaseOrderSchema)
    @blp.alt_response(409, description="Already closed or cancelled, or all received.")
    def post(self, data, order_id):
        """Cancel what is not received: with nothing received the order is cancelled; with some
        received, the open rest is cancelled and the order closed."""
        return purchase_orders.get_order(
            order_closing.cancel_order(current_actor(), order_id, data["reason"])
        )


@blp.route(f"/{ID}/close")
class CloseOrder(MethodView):
    @roles(*BUYERS)
    @blp.arguments(ReasonSchema())
    @blp.response(200, PurchaseOrderSchema)
    @blp.alt_response(409, description="Not received yet, or already closed or cancelled.")
    def post(self, data, order_id):
        """Close a received or partially received order; any open rest is cancelled."""
        return purchase_orders.get_order(
            order_closing.close_order(current_actor(), order_id, data["reason"])
        )


@blp.route(f"/{ID}/lines/{LINE_ID}")
class OrderLine(MethodView):
    @roles(*BUYERS)
    @blp.arguments(PromiseSchema())
    @blp.response(200, PurchaseOrderSchema)
    @blp.alt_response(409, description="The order is closed or cancelled.")
    def patch(self, data, order_id, line_id):
        """Record the delivery date the supplier promised for a line."""
        return purchase_orders.get_order(
            purchase_orders.set_promised_date(
                current_actor(), order_id, line_id, data["promised_date"]
            )
        )
