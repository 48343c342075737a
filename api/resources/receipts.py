"""Goods receipts against purchase orders (with inspection), their cancellation, returns to the
supplier, and inspection plans."""

from flask import current_app
from flask.views import MethodView

from api.blueprint import Blueprint, listing
from api.idempotent import IDEMPOTENCY_DOC, run_once
from delivery.access import EVERYONE, current_actor, roles
from delivery.schemas.receipts import (
    InspectionPlanQuerySchema,
    InspectionPlanSchema,
    InspectionPlanUpdateSchema,
    InspectionQuerySchema,
    InspectionSchema,
    ReceiptInSchema,
    ReceiptSchema,
    ReturnInSchema,
    ReturnSchema,
)
from inventory.db import receipt_queries
from inventory.domain.actors import Role
from inventory.domain.receiving import DEFAULT_TOLERANCE_PCT, ReceiptLineIn
from inventory.services import inspection, receipts

blp = Blueprint(
    "receipts",
    __name__,
    url_prefix="/api/v1",
    description="Goods receipts against purchase orders, inspection, returns to suppliers",
)
plans_blp = Blueprint(
    "inspection_plans",
    __name__,
    url_prefix="/api/v1/inspection-plans",
    description="Inspection plans: none, full, or ISO 2859-1 sampling per item or supplier item",
)
ORDER = "/purchase-orders/<int(max=2147483647):order_id>"
RECEIPT = "/receipts/<int(max=2147483647):receipt_id>"
PLAN = "/<int(max=2147483647):plan_id>"
RECEIVERS = (Role.ADMIN, Role.WAREHOUSE)
PLANNERS = (Role.ADMIN, Role.PURCHASING)
receipt_schema = ReceiptSchema()


def _receive(order_id: int, data: dict):
    lines = [
        ReceiptLineIn(
            x["po_line_id"],
            x["received"],
            x["accepted"],
            x["rejected"],
            x["reason"],
            x["defects_found"],
        )
        for x in data["lines"]
    ]
    done = receipts.receive(
        current_actor(),
        order_id,
        lines,
        warehouse_id=data["warehouse_id"],
        tolerance_pct=current_app.config.get("RECEIPT_TOLERANCE_PCT", DEFAULT_TOLERANCE_PCT),
    )
    body = done.receipt
    for line in body["lines"]:
        line["inspection"] = done.inspections.get(line["po_line_id"])
    return 201, receipt_schema.dump(body)


@blp.route(f"{ORDER}/receipts")
class OrderReceipts(MethodView):
    @roles(*EVERYONE)
    @blp.response(200, ReceiptSchema(many=True))
    @blp.paged()
    def get(self, order_id, pagination_parameters):
        """The order's receipts, newest first, with their lines."""
        rows, total = receipt_queries.order_receipts(
            order_id, pagination_parameters.page, pagination_parameters.page_size
        )
        pagination_parameters.item_count = total
        return rows

    @roles(*RECEIVERS)
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(ReceiptInSchema())
    @blp.response(201, ReceiptSchema)
    @blp.alt_response(409, description="Order not open for receipts, or over-receipt.")
    def post(self, data, order_id):
        """Receive goods against order lines: accepted units go into stock at the order price
        (base currency); each line says how to inspect its lot and, from the defects found in
        the sample, whether the lot is accepted."""
        return run_once(data, lambda: _receive(order_id, data))


@blp.route(f"{ORDER}/inspection")
class OrderInspection(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(InspectionQuerySchema(), location="query")
    @blp.response(200, InspectionSchema)
    def get(self, args, order_id):
        """The sample size, Ac and Re and severity a lot of an order line will be inspected
        with (ISO 2859-1, general inspection level II)."""
        return inspection.preview(order_id, args["po_line_id"], args.get("lot_size"))


@blp.route(f"{ORDER}/returns")
class OrderReturns(MethodView):
    @roles(*RECEIVERS)
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(ReturnInSchema())
    @blp.response(201, ReturnSchema)
    @blp.alt_response(409, description="More than was received, or not enough stock.")
    def post(self, data, order_id):
        """Return accepted goods to the supplier: issued at the current average cost, taken off
        the order line's received quantity."""

        def work():
            return_id = receipts.return_to_supplier(
                current_actor(),
                order_id,
                data["po_line_id"],
                data["quantity"],
                data["reason"],
                warehouse_id=data["warehouse_id"],
                cost_centre_id=data["cost_centre_id"],
            )
            return 201, ReturnSchema().dump(receipt_queries.get_return(return_id))

        return run_once(data, work)


@blp.route(RECEIPT)
class Receipt(MethodView):
    @roles(*EVERYONE)
    @blp.response(200, ReceiptSchema)
    def get(self, receipt_id):
        """The receipt with its lines and inspection results."""
        return receipt_queries.get_receipt(receipt_id)


@blp.route(f"{RECEIPT}/cancel")
class CancelReceipt(MethodView):
    @roles(*RECEIVERS)
    @blp.response(200, ReceiptSchema)
    @blp.alt_response(409, description="Already cancelled, or its stock is gone.")
    def post(self, receipt_id):
        """Cancel a receipt through the ledger's reversal; the order steps back."""
        return receipt_queries.get_receipt(receipts.cancel_receipt(current_actor(), receipt_id))


@plans_blp.route("")
class InspectionPlans(MethodView):
    @roles(*EVERYONE)
    @plans_blp.arguments(InspectionPlanQuerySchema(), location="query")
    @plans_blp.response(200, InspectionPlanSchema(many=True))
    @plans_blp.paged()
    def get(self, args, pagination_parameters):
        """One page of inspection plans, per item or per supplier item."""
        return inspection.plan_page(listing(inspection.plans(**args), pagination_parameters))

    @roles(*PLANNERS)
    @plans_blp.arguments(InspectionPlanSchema())
    @plans_blp.response(201, InspectionPlanSchema)
    @plans_blp.alt_response(409, description="A plan already covers this target.")
    def post(self, data):
        """Say how an item (or one supplier's item) is inspected on receipt."""
        return inspection.create_plan(
            current_actor(), data["item_id"], data["supplier_item_id"], data["mode"], data["aql"]
        )


@plans_blp.route(PLAN)
class InspectionPlan(MethodView):
    @roles(*EVERYONE)
    @plans_blp.response(200, InspectionPlanSchema)
    def get(self, plan_id):
        """One inspection plan."""
        return inspection.get_plan(plan_id)

    @roles(*PLANNERS)
    @plans_blp.arguments(InspectionPlanUpdateSchema())
    @plans_blp.response(200, InspectionPlanSchema)
    def patch(self, data, plan_id):
        """Change how the target is inspected."""
        return inspection.update_plan(current_actor(), plan_id, data["mode"], data["aql"])

    @roles(*PLANNERS)
    @plans_blp.response(204)
    def delete(self, plan_id):
        """Delete an inspection plan; receipts then follow the item's (or no) plan."""
        inspection.delete_plan(current_actor(), plan_id)
