"""The defaults every reorder run starts from, and per item-and-warehouse overrides of them.

Everyone reads; admin changes them, sending If-Match with the ETag of the last read.
"""

from __future__ import annotations

from flask.views import MethodView

from api.blueprint import Blueprint, listing
from delivery.access import EVERYONE, current_actor, roles
from delivery.schemas.replenishment_forecasts import PolicyQuerySchema, PolicySchema, SettingsSchema
from inventory.db import review_queries as rq
from inventory.domain.actors import Role
from inventory.services import reorder_review

settings_blp = Blueprint(
    "reorder_settings",
    __name__,
    url_prefix="/api/v1/reorder-settings",
    description="The defaults of every reorder run: service levels by ABC class, periods, horizon",
)
policies_blp = Blueprint(
    "reorder_policies",
    __name__,
    url_prefix="/api/v1/reorder-policies",
    description="Per item and warehouse overrides: service level, review and lead time, min/max",
)
PLACE = "<int(max=2147483647):item_id>/<int(max=2147483647):warehouse_id>"


@settings_blp.route("")
class Settings(MethodView):
    @roles(*EVERYONE)
    @settings_blp.etag
    @settings_blp.response(200, SettingsSchema)
    def get(self):
        """The reorder defaults, with an ETag to send back as If-Match when changing them."""
        return reorder_review.get_settings()

    @roles(Role.ADMIN)
    @settings_blp.etag
    @settings_blp.arguments(SettingsSchema())
    @settings_blp.response(200, SettingsSchema)
    def put(self, data):
        """Replace the reorder defaults (every field); the next run uses them. Send If-Match."""
        return reorder_review.update_settings(
            current_actor(), data, lambda current: settings_blp.check_etag(current, SettingsSchema)
        )


@policies_blp.route("")
class Policies(MethodView):
    @roles(*EVERYONE)
    @policies_blp.arguments(PolicyQuerySchema(), location="query")
    @policies_blp.response(200, PolicySchema(many=True))
    @policies_blp.paged()
    def get(self, args, pagination_parameters):
        """One page of the stored policies, by item and warehouse."""
        rows = listing(rq.policies(**args), pagination_parameters)
        return [{**row, "stored": True} for row in rows]


@policies_blp.route(f"/{PLACE}")
class Policy(MethodView):
    @roles(*EVERYONE)
    @policies_blp.etag
    @policies_blp.response(200, PolicySchema)
    def get(self, item_id, warehouse_id):
        """The item's policy in the warehouse (``stored`` false: none set, the defaults hold),
        with an ETag to send back as If-Match when setting it."""
        return reorder_review.get_policy(item_id, warehouse_id)

    @roles(Role.ADMIN)
    @policies_blp.etag
    @policies_blp.arguments(PolicySchema())
    @policies_blp.response(200, PolicySchema)
    def put(self, data, item_id, warehouse_id):
        """Set the item's overrides in the warehouse; a field left out or null takes the
        default. Send If-Match with the ETag of GET (it exists before the first PUT too)."""
        return reorder_review.put_policy(
            current_actor(),
            item_id,
            warehouse_id,
            data,
            lambda current: policies_blp.check_etag(current, PolicySchema),
        )

    @roles(Role.ADMIN)
    @policies_blp.response(204)
    def delete(self, item_id, warehouse_id):
        """Drop the item's overrides in the warehouse; the defaults hold again."""
        reorder_review.delete_policy(current_actor(), item_id, warehouse_id)
