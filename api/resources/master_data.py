"""Items and warehouses share one shape: list, create, read, update with If-Match, (de)activate,
delete while unreferenced."""

from flask.views import MethodView

from api.blueprint import Blueprint, listing
from delivery.access import EVERYONE, current_actor, roles
from delivery.schemas.master import (
    ItemQuerySchema,
    ItemSchema,
    ItemUpdateSchema,
    WarehouseQuerySchema,
    WarehouseSchema,
    WarehouseUpdateSchema,
)
from inventory.db import queries
from inventory.domain.actors import Role
from inventory.services import master_data

ID = "<int(max=2147483647):record_id>"


def make_blueprint(
    kind: str, path: str, schema, update_schema, query_schema, list_query, writers: tuple[Role, ...]
) -> Blueprint:
    code_name = "SKU" if kind == "item" else "code"
    patch_conflicts = f"The {code_name} is taken, whatever its case." + (
        " Or the unit of measure would change though the ledger has movements in it, or the"
        " valuation method while the item holds stock."
        if kind == "item"
        else ""
    )
    blp = Blueprint(
        f"{kind}s",
        __name__,
        url_prefix=f"/api/v1/{path}",
        description=f"{kind.title()}s (master data)",
    )

    @blp.route("")
    class Collection(MethodView):
        @roles(*EVERYONE)
        @blp.arguments(query_schema, location="query")
        @blp.response(200, schema(many=True))
        @blp.paged()
        def get(self, args, pagination_parameters):
            """One page of the records, filtered and sorted by the query."""
            return listing(list_query(**args), pagination_parameters)

        @roles(*writers)
        @blp.arguments(schema)
        @blp.response(201, schema)
        @blp.alt_response(409, description=f"The {code_name} is taken, whatever its case.")
        def post(self, data):
            """Create a record; its SKU (item) or code (warehouse) must be new."""
            if data.get("valuation_cost", 0) is None:
                data.pop("valuation_cost")
            return master_data.create(kind, current_actor(), data)

    @blp.route(f"/{ID}")
    class Record(MethodView):
        @roles(*EVERYONE)
        @blp.etag
        @blp.response(200, schema)
        def get(self, record_id):
            """One record, with an ETag to send back as If-Match when changing it."""
            return master_data.get(kind, record_id)

        @roles(*writers)
        @blp.etag
        @blp.arguments(update_schema)
        @blp.response(200, schema)
        @blp.alt_response(409, description=patch_conflicts)
        def patch(self, changes, record_id):
            """Change fields; send If-Match with the ETag of your last read."""
            return master_data.update(
                kind,
                current_actor(),
                record_id,
                changes,
                lambda current: blp.check_etag(current, schema),
            )

        @roles(*writers)
        @blp.response(204)
        def delete(self, record_id):
            """Delete a record nothing uses yet; otherwise deactivate it."""
            master_data.delete(kind, current_actor(), record_id)

    @blp.route(f"/{ID}/deactivate")
    class Deactivate(MethodView):
        @roles(*writers)
        @blp.response(200, schema)
        def post(self, record_id):
            """Deactivate the record: it stays in history but takes no new documents."""
            return master_data.set_active(kind, current_actor(), record_id, False)

    @blp.route(f"/{ID}/activate")
    class Activate(MethodView):
        @roles(*writers)
        @blp.response(200, schema)
        def post(self, record_id):
            """Activate the record again."""
            return master_data.set_active(kind, current_actor(), record_id, True)

    return blp


items = make_blueprint(
    "item",
    "items",
    ItemSchema,
    ItemUpdateSchema,
    ItemQuerySchema,
    queries.items,
    (Role.ADMIN, Role.WAREHOUSE, Role.PURCHASING),
)
warehouses = make_blueprint(
    "warehouse",
    "warehouses",
    WarehouseSchema,
    WarehouseUpdateSchema,
    WarehouseQuerySchema,
    queries.warehouses,
    (Role.ADMIN,),
)
