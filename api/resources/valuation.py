"""Stock valuation report and accounting periods (close, reopen)."""

from __future__ import annotations

from flask.views import MethodView

from api.blueprint import Blueprint
from delivery import exports
from delivery.access import current_actor, roles
from delivery.schemas.valuation import (
    PeriodListSchema,
    PeriodSchema,
    ReopenedSchema,
    ValuationQuerySchema,
    ValuationReportSchema,
)
from inventory.db import period_queries
from inventory.domain.actors import Role
from inventory.services import periods

reports = Blueprint(
    "valuation_report", __name__, url_prefix="/api/v1/reports", description="Stock valuation"
)
periods_blp = Blueprint(
    "periods", __name__, url_prefix="/api/v1/periods", description="Accounting periods"
)
PERIOD = "<string:period>"
COLUMNS = (
    exports.Column("item_id", "Item id", "integer", width=10),
    exports.Column("warehouse_id", "Warehouse id", "integer", width=14),
    exports.Column("quantity", "Quantity", "decimal", places=3, width=16),
    exports.Column("value", "Value", "decimal", places=2, width=16),
)


@reports.route("/valuation")
class Valuation(MethodView):
    @roles(Role.FINANCE, Role.ADMIN, Role.WAREHOUSE)
    @reports.arguments(ValuationQuerySchema(), location="query")
    @reports.response(200, ValuationReportSchema())
    @exports.export_responses(reports, "the valuation rows, then a totals row")
    def get(self, args):
        """Stock quantity and value per item and warehouse, now or ``as_of`` a past moment,
        with totals; equal to the ledger's sums to the cent. The warehouse role sees
        quantities without values."""
        fmt = exports.requested_format(args.pop("format", None))
        money = current_actor().has_any({Role.FINANCE, Role.ADMIN})
        report = period_queries.valuation_report(**args, with_values=money)
        if fmt == "json":
            return report
        columns = COLUMNS if money else COLUMNS[:3]
        total = {"item_id": None, "warehouse_id": None, **report["totals"]}
        return exports.download(
            [*report["rows"], total],
            columns,
            fmt,
            name=f"valuation-{exports.report_day(args.get('as_of'))}",
            sheet="Valuation",
            too_many="Filter it by warehouse_id or category.",
        )


@periods_blp.route("")
class Periods(MethodView):
    @roles(Role.FINANCE, Role.ADMIN)
    @periods_blp.response(200, PeriodListSchema())
    def get(self):
        """The closed periods, oldest first, and the period that closes next."""
        return period_queries.listing()


@periods_blp.route(f"/{PERIOD}/close")
class Close(MethodView):
    @roles(Role.FINANCE, Role.ADMIN)
    @periods_blp.response(201, PeriodSchema())
    @periods_blp.alt_response(
        409, description="Closed already, out of order (close the month before first), or the "
        "month has not ended."
    )  # fmt: skip
    def post(self, period):
        """Close the month ``period`` (YYYY-MM): its snapshot of quantities, values and FIFO
        layers is kept, and postings dated inside it are refused (409) from now on."""
        return periods.close(current_actor(), period)


@periods_blp.route(f"/{PERIOD}/reopen")
class Reopen(MethodView):
    @roles(Role.ADMIN)
    @periods_blp.response(200, ReopenedSchema())
    @periods_blp.alt_response(409, description="The period is not closed.")
    def post(self, period):
        """Reopen ``period`` and every later closed period, dropping their snapshots
        (audited)."""
        return {"reopened": periods.reopen(current_actor(), period)}
