"""Suppliers, their items with price breaks, exchange rates, and supplier proposals for a need."""

from flask.views import MethodView

from api.blueprint import Blueprint, listing
from delivery.access import EVERYONE, current_actor, roles
from delivery.schemas.suppliers import (
    ExchangeRateQuerySchema,
    ExchangeRateSchema,
    ProposalQuerySchema,
    ProposalSchema,
    SupplierItemQuerySchema,
    SupplierItemSchema,
    SupplierItemUpdateSchema,
    SupplierQuerySchema,
    SupplierSchema,
    SupplierUpdateSchema,
)
from inventory import clock
from inventory.db import purchasing_queries as pq
from inventory.domain.actors import Role
from inventory.services import supplier_items, suppliers

blp = Blueprint(
    "suppliers",
    __name__,
    url_prefix="/api/v1",
    description="Suppliers, supplier items with price breaks, exchange rates, proposals",
)
ID = "<int(max=2147483647):supplier_id>"
ITEM_ID = "<int(max=2147483647):supplier_item_id>"
BUYERS = (Role.ADMIN, Role.PURCHASING)
RATE_KEEPERS = (Role.ADMIN, Role.PURCHASING, Role.FINANCE)


@blp.route("/suppliers")
class Suppliers(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(SupplierQuerySchema(), location="query")
    @blp.response(200, SupplierSchema(many=True))
    @blp.paged()
    def get(self, args, pagination_parameters):
        """One page of suppliers, filtered and sorted by the query."""
        return listing(pq.suppliers(**args), pagination_parameters)

    @roles(*BUYERS)
    @blp.arguments(SupplierSchema())
    @blp.response(201, SupplierSchema)
    @blp.alt_response(409, description="The code is taken.")
    def post(self, data):
        """Create a supplier; its code must be new."""
        return suppliers.get_supplier(suppliers.create_supplier(current_actor(), data))


@blp.route(f"/suppliers/{ID}")
class SupplierRecord(MethodView):
    @roles(*EVERYONE)
    @blp.etag
    @blp.response(200, SupplierSchema)
    def get(self, supplier_id):
        """The supplier, with an ETag to send back as If-Match when changing it."""
        return suppliers.get_supplier(supplier_id)

    @roles(*BUYERS)
    @blp.etag
    @blp.arguments(SupplierUpdateSchema())
    @blp.response(200, SupplierSchema)
    def patch(self, changes, supplier_id):
        """Change fields, status too (on_hold, blocked: no new orders); send If-Match."""
        suppliers.update_supplier(
            current_actor(),
            supplier_id,
            changes,
            lambda current: blp.check_etag(current, SupplierSchema),
        )
        return suppliers.get_supplier(supplier_id)


@blp.route(f"/suppliers/{ID}/items")
class SupplierItems(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(SupplierItemQuerySchema(), location="query")
    @blp.response(200, SupplierItemSchema(many=True))
    @blp.paged()
    def get(self, args, supplier_id, pagination_parameters):
        """The supplier's items with their price breaks."""
        suppliers.get_supplier(supplier_id)  # 404 for an unknown supplier, not an empty page
        rows = listing(pq.supplier_items(supplier_id, **args), pagination_parameters)
        return pq.with_price_breaks(rows)

    @roles(*BUYERS)
    @blp.arguments(SupplierItemSchema())
    @blp.response(201, SupplierItemSchema)
    @blp.alt_response(409, description="The supplier already offers this item.")
    def post(self, data, supplier_id):
        """Offer an item from this supplier at a price, with its breaks, MOQ and pack size."""
        created = supplier_items.create_supplier_item(current_actor(), supplier_id, data)
        return supplier_items.get_supplier_item(supplier_id, created)


@blp.route(f"/suppliers/{ID}/items/{ITEM_ID}")
class SupplierItemRecord(MethodView):
    @roles(*EVERYONE)
    @blp.etag
    @blp.response(200, SupplierItemSchema)
    def get(self, supplier_id, supplier_item_id):
        """One supplier item with its price breaks, and an ETag for If-Match."""
        return supplier_items.get_supplier_item(supplier_id, supplier_item_id)

    @roles(*BUYERS)
    @blp.etag
    @blp.arguments(SupplierItemUpdateSchema())
    @blp.response(200, SupplierItemSchema)
    def patch(self, changes, supplier_id, supplier_item_id):
        """Change prices, breaks (the list replaces the old one), MOQ, pack size, lead time,
        preferred or active; send If-Match."""
        supplier_items.update_supplier_item(
            current_actor(),
            supplier_id,
            supplier_item_id,
            changes,
            lambda current: blp.check_etag(current, SupplierItemSchema),
        )
        return supplier_items.get_supplier_item(supplier_id, supplier_item_id)

    @roles(*BUYERS)
    @blp.response(204)
    @blp.alt_response(409, description="Ordered before: deactivate it instead.")
    def delete(self, supplier_id, supplier_item_id):
        """Delete a supplier item never ordered; otherwise deactivate it."""
        supplier_items.delete_supplier_item(current_actor(), supplier_id, supplier_item_id)


@blp.route("/exchange-rates")
class ExchangeRates(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(ExchangeRateQuerySchema(), location="query")
    @blp.response(200, ExchangeRateSchema(many=True))
    @blp.paged()
    def get(self, args, pagination_parameters):
        """Rates by currency, newest first; ``on`` gives the rate in force that day."""
        return listing(pq.exchange_rates(**args), pagination_parameters)

    @roles(*RATE_KEEPERS)
    @blp.arguments(ExchangeRateSchema())
    @blp.response(201, ExchangeRateSchema)
    @blp.alt_response(409, description="A rate for this currency and day exists.")
    def post(self, data):
        """Add a rate: base-currency units per 1 unit of ``currency``, from ``valid_from`` on.
        An order takes the rate in force on the day it is sent."""
        return suppliers.create_exchange_rate(
            current_actor(), data["currency"], data["valid_from"], data["rate"]
        )


@blp.route("/supplier-proposals")
class SupplierProposals(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(ProposalQuerySchema(), location="query")
    @blp.response(200, ProposalSchema)
    def get(self, args):
        """Every active offer for a need, best first, and why the first one is proposed."""
        return suppliers.quotes_for(
            args["item_id"], args["quantity"], args.get("needed_by"), clock.now().date()
        )
