"""Stocktakes: blind counts, recounts, approval of variances and posting them to the ledger."""

from flask.views import MethodView

from api.blueprint import Blueprint, listing
from api.idempotent import IDEMPOTENCY_DOC, run_once
from delivery.access import EVERYONE, current_actor, roles
from delivery.schemas.stocktakes import (
    CountsInSchema,
    StocktakeInSchema,
    StocktakeQuerySchema,
    StocktakeSchema,
    StocktakeSummarySchema,
)
from inventory.db import stocktake_queries
from inventory.domain.actors import Role
from inventory.domain.stocktake import CountIn
from inventory.services import stocktakes

blp = Blueprint(
    "stocktakes",
    __name__,
    url_prefix="/api/v1/stocktakes",
    description="Stocktakes: physical counts, their variances and approval",
)
ID = "<int(max=2147483647):stocktake_id>"
COUNTERS = (Role.ADMIN, Role.WAREHOUSE)
APPROVERS = (Role.ADMIN, Role.APPROVER)


stocktake_schema = StocktakeSchema()


def _body(stocktake_id: int) -> dict:
    return stocktakes.get(stocktake_id, current_actor().roles)


def _once(data, status: int, write) -> object:
    """Run a write under the request's Idempotency-Key: a retried create, count or post replays
    the first answer instead of opening a second count, re-snapshotting the book quantities or
    meeting a 409 for a count its first try already posted."""
    return run_once(data, lambda: (status, stocktake_schema.dump(_body(write()))))


@blp.route("")
class Stocktakes(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(StocktakeQuerySchema(), location="query")
    @blp.response(200, StocktakeSummarySchema(many=True))
    @blp.paged()
    def get(self, args, pagination_parameters):
        """One page of stocktakes, newest first, filtered by the query."""
        return listing(stocktake_queries.stocktakes(**args), pagination_parameters)

    @roles(*COUNTERS)
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(StocktakeInSchema())
    @blp.response(201, StocktakeSchema)
    @blp.alt_response(409, description="An open stocktake already counts some of these items.")
    def post(self, data):
        """Open a count of every active item (or one category) in a warehouse."""
        options = {k: v for k, v in data.items() if k != "warehouse_id"}
        return _once(
            data, 201, lambda: stocktakes.create(current_actor(), data["warehouse_id"], **options)
        )


@blp.route(f"/{ID}")
class StocktakeRecord(MethodView):
    @roles(*EVERYONE)
    @blp.response(200, StocktakeSchema)
    def get(self, stocktake_id):
        """The stocktake; book quantities and variances only once posted or for admin, approver
        and finance."""
        return _body(stocktake_id)


@blp.route(f"/{ID}/counts")
class CountStocktake(MethodView):
    @roles(*COUNTERS)
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(CountsInSchema())
    @blp.response(200, StocktakeSchema)
    @blp.alt_response(409, description="The stocktake is closed.")
    def post(self, data, stocktake_id):
        """Record counts; counting an item again replaces its count with a fresh book snapshot."""
        lines = [CountIn(x["item_id"], x["counted_quantity"]) for x in data["lines"]]
        return _once(
            {**data, "stocktake": stocktake_id},
            200,
            lambda: stocktakes.count(current_actor(), stocktake_id, lines),
        )


@blp.route(f"/{ID}/approve")
class ApproveStocktake(MethodView):
    @roles(*APPROVERS)
    @blp.response(200, StocktakeSchema)
    @blp.alt_response(409, description="Closed, already approved or not fully counted.")
    def post(self, stocktake_id):
        """Approve the variances; not by whoever created or counted the stocktake."""
        return _body(stocktakes.approve(current_actor(), stocktake_id))


@blp.route(f"/{ID}/post")
class PostStocktake(MethodView):
    @roles(*COUNTERS)
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.response(200, StocktakeSchema)
    @blp.alt_response(409, description="Uncounted lines, or variances that need an approver.")
    def post(self, stocktake_id):
        """Post the variances to the ledger as adjustments and close the count."""
        return _once(
            {"post": stocktake_id}, 200, lambda: stocktakes.post(current_actor(), stocktake_id)
        )


@blp.route(f"/{ID}/cancel")
class CancelStocktake(MethodView):
    @roles(*COUNTERS)
    @blp.response(200, StocktakeSchema)
    @blp.alt_response(409, description="The stocktake is already closed.")
    def post(self, stocktake_id):
        """Abandon an open count; nothing reaches the ledger."""
        return _body(stocktakes.cancel(current_actor(), stocktake_id))
