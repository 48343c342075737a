"""Stock documents, balances and the item ledger."""

from flask.views import MethodView

from api.blueprint import Blueprint, listing
from api.idempotent import IDEMPOTENCY_DOC, run_once
from delivery import exports
from delivery.access import EVERYONE, current_actor, roles
from delivery.schemas.stock import (
    BalanceQuerySchema,
    BalanceSchema,
    DocumentQuerySchema,
    LedgerEntrySchema,
    LedgerQuerySchema,
    StockDocumentInSchema,
    StockDocumentSchema,
    StockDocumentSummarySchema,
)
from inventory.db import queries
from inventory.domain.actors import Role
from inventory.domain.documents import DocumentType, LineIn
from inventory.errors import NotFound
from inventory.services import master_data, stock

blp = Blueprint(
    "stock", __name__, url_prefix="/api/v1", description="Stock documents, balances and the ledger"
)
ID = "<int(max=2147483647):document_id>"
WRITERS = (Role.ADMIN, Role.WAREHOUSE)
document_schema = StockDocumentSchema()
BALANCE_COLUMNS = (
    exports.Column("item_id", "Item id", "integer", width=10),
    exports.Column("item_sku", "SKU", width=18),
    exports.Column("item_name", "Item", width=40),
    exports.Column("warehouse_id", "Warehouse id", "integer", width=14),
    exports.Column("warehouse_code", "Warehouse", width=14),
    exports.Column("quantity", "Quantity", "decimal", places=3, width=16),
    exports.Column("value", "Value", "decimal", places=2, width=16),
)


def _document(document_id: int) -> dict:
    found = queries.document(document_id)
    if found is None:
        raise NotFound(f"No stock document with id {document_id}.")
    return found


def _document_body(document_id: int) -> dict:
    """The document as JSON, for responses built here (and stored for idempotent replays).
    Views that return through ``@blp.response`` return ``_document`` instead: it dumps once."""
    return document_schema.dump(_document(document_id))


@blp.route("/stock-documents")
class Documents(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(DocumentQuerySchema(), location="query")
    @blp.response(200, StockDocumentSummarySchema(many=True))
    @blp.paged()
    def get(self, args, pagination_parameters):
        """One page of stock documents, newest first, filtered by the query."""
        return listing(
            queries.documents(
                status=args.get("status"),
                type_=args.get("type"),
                warehouse_id=args.get("warehouse_id"),
            ),
            pagination_parameters,
        )

    @roles(*WRITERS)
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(StockDocumentInSchema())
    @blp.response(201, StockDocumentSchema)
    @blp.alt_response(409, description="Not enough stock; the body lists what is available.")
    def post(self, data):
        """Create a stock document and post it (or keep it a draft with ``"draft": true``)."""
        new = stock.NewDocument(
            type=DocumentType(data["type"]),
            warehouse_id=data["warehouse_id"],
            to_warehouse_id=data["to_warehouse_id"],
            reference=data["reference"],
            draft=data["draft"],
            cost_centre_id=data["cost_centre_id"],
            lines=[LineIn(x["item_id"], x["quantity"], x["unit_cost"]) for x in data["lines"]],
        )
        return run_once(
            data, lambda: (201, document_schema.dump(stock.create_and_show(current_actor(), new)))
        )


@blp.route(f"/stock-documents/{ID}")
class Document(MethodView):
    @roles(*EVERYONE)
    @blp.response(200, StockDocumentSchema)
    def get(self, document_id):
        """The stock document with its lines."""
        return _document(document_id)


@blp.route(f"/stock-documents/{ID}/post")
class PostDocument(MethodView):
    @roles(*WRITERS)
    @blp.response(200, StockDocumentSchema)
    def post(self, document_id):
        """Post a draft document to the ledger."""
        return _document(stock.post_document(current_actor(), document_id))


@blp.route(f"/stock-documents/{ID}/cancel")
class CancelDocument(MethodView):
    @roles(*WRITERS)
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.response(200, StockDocumentSchema)
    def post(self, document_id):
        """Cancel a document; a posted one is reversed through the ledger."""
        return run_once(
            {"cancel": document_id},
            lambda: (200, _document_body(stock.cancel_document(current_actor(), document_id))),
        )


@blp.route("/stock-balances")
class Balances(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(BalanceQuerySchema(), location="query")
    @blp.response(200, BalanceSchema(many=True))
    @exports.export_responses(blp, "stock on hand with item sku and name and warehouse code")
    @blp.paged()
    def get(self, args, pagination_parameters):
        """Stock on hand per item and warehouse, now or ``as_of`` a past moment; as a CSV or
        XLSX file with ``format`` or an Accept header."""
        fmt = exports.requested_format(args.pop("format", None))
        if fmt == "json":
            return listing(queries.balances(**args), pagination_parameters)
        rows = queries.first_rows(queries.balance_report(**args), exports.row_limit())
        return exports.download(
            rows,
            BALANCE_COLUMNS,
            fmt,
            name=f"stock-balances-{exports.report_day(args.get('as_of'))}",
            sheet="Stock balances",
            too_many="Filter it by item_id or warehouse_id, or page through the JSON list.",
        )


@blp.route("/items/<int(max=2147483647):item_id>/ledger")
class ItemLedger(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(LedgerQuerySchema(), location="query")
    @blp.response(200, LedgerEntrySchema(many=True))
    @blp.paged()
    def get(self, args, item_id, pagination_parameters):
        """The item's ledger, oldest first, with the balance after each entry."""
        master_data.get("item", item_id)  # 404 for an unknown item, not an empty page
        return listing(queries.item_ledger(item_id, **args), pagination_parameters)
