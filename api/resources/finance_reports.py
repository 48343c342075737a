"""Finance reports: spend, cost of goods issued, purchase price variance, budget against
committed and actual, and KPIs — as a JSON page with totals and the filters used, or the whole
report as CSV or XLSX (``format``). docs/reports.md defines every figure.

Only finance and admin see money. Warehouse reads the cost of goods issued and the KPIs with
the money left out (null); everyone else gets 403.
"""

from flask import Response
from flask.views import MethodView

from api.blueprint import Blueprint
from delivery import charts, exports
from delivery.access import current_actor, roles
from delivery.config import service_zone
from delivery.report_catalogue import REPORTS, filters_of, hide_money
from delivery.schemas.finance_reports import (
    BudgetQuerySchema,
    BudgetReportSchema,
    CogsQuerySchema,
    CogsReportSchema,
    KpiQuerySchema,
    KpiReportSchema,
    SpendChartQuerySchema,
    SpendQuerySchema,
    SpendReportSchema,
    VarianceQuerySchema,
    VarianceReportSchema,
)
from inventory.domain.actors import Role
from inventory.services import finance_kpis, finance_reports

blp = Blueprint(
    "finance_reports",
    __name__,
    url_prefix="/api/v1/reports",
    description="Finance reports: spend, COGS, price variance, budget, KPIs",
)
MONEY = (Role.FINANCE, Role.ADMIN)
QUANTITIES = (Role.FINANCE, Role.ADMIN, Role.WAREHOUSE)
SVG = "image/svg+xml"


def _sees_money() -> bool:
    return current_actor().has_any({r.value for r in MONEY})


def _used(args: dict, win) -> dict:
    used = {"from": win.first_day.isoformat(), "to": win.last_day.isoformat()}
    used.update(filters_of(args))
    if "group_by" in args:
        used["group_by"] = list(args["group_by"])
    return used


def answer(name: str, args: dict, pagination_parameters):
    """The report ``name`` as one JSON page, or every row as a file."""
    report = REPORTS[name]
    win = finance_reports.window(args.get("date_from"), args.get("date_to"), service_zone())
    used = _used(args, win)
    money = _sees_money()
    fmt = args.get("format", "json")
    if name == "price-variance" and fmt == "json":
        found = finance_reports.price_variance(
            win, filters_of(args), pagination_parameters.page, pagination_parameters.page_size
        )
        pagination_parameters.item_count = found["count"]
        return {"report": name, "filters": used, "totals": found["totals"], "rows": found["rows"]}
    suppliers = None
    if name == "kpis":
        found = finance_kpis.kpis(win, filters_of(args))
        rows, totals, suppliers = found["rows"], found["money"], found["suppliers"]
    else:
        rows, totals = report.build(win, args)
    if not money:
        rows, totals = hide_money(report, rows, totals)
    if fmt != "json":
        return exports.report_download(
            rows,
            report.columns_for(money),
            fmt,
            name=f"{name}-{win.first_day}-{win.last_day}",
            sheet=report.sheet,
            totals=totals,
            filters=used,
        )
    rows = list(rows)
    pagination_parameters.item_count = len(rows)
    first = (pagination_parameters.page - 1) * pagination_parameters.page_size
    body = {
        "report": name,
        "filters": used,
        "totals": totals,
        "rows": rows[first : first + pagination_parameters.page_size],
    }
    if suppliers is not None:
        body["suppliers"] = suppliers
    return body


FILES = "the whole report, its totals row and the filters used"


@blp.route("/spend")
class Spend(MethodView):
    @roles(*MONEY)
    @blp.arguments(SpendQuerySchema(), location="query")
    @blp.response(200, SpendReportSchema)
    @exports.export_responses(blp, FILES)
    @blp.paged()
    def get(self, args, pagination_parameters):
        """Purchase spend ordered (by the month an order was sent) and received (the ledger
        value of goods receipts) per month, supplier, category and cost centre."""
        return answer("spend", args, pagination_parameters)


@blp.route("/spend/chart")
class SpendChart(MethodView):
    @roles(*MONEY)
    @blp.arguments(SpendChartQuerySchema(), location="query")
    @blp.response(200, {"type": "string"}, content_type=SVG)
    def get(self, args):
        """Spend by month, ordered beside received, as an SVG bar chart."""
        win = finance_reports.window(args.get("date_from"), args.get("date_to"), service_zone())
        months = finance_reports.spend_by_month(win, filters_of(args))
        svg = charts.monthly_bars_svg(
            f"Purchase spend {win.first_day} to {win.last_day}", months, ("ordered", "received")
        )
        return Response(svg, mimetype=SVG)


@blp.route("/cogs")
class Cogs(MethodView):
    @roles(*QUANTITIES)
    @blp.arguments(CogsQuerySchema(), location="query")
    @blp.response(200, CogsReportSchema)
    @exports.export_responses(blp, FILES)
    @blp.paged()
    def get(self, args, pagination_parameters):
        """Cost of goods issued per month, reason, cost centre (null: issues charged to none),
        warehouse and category (value null for warehouse readers)."""
        return answer("cogs", args, pagination_parameters)


@blp.route("/price-variance")
class PriceVariance(MethodView):
    @roles(*MONEY)
    @blp.arguments(VarianceQuerySchema(), location="query")
    @blp.response(200, VarianceReportSchema)
    @exports.export_responses(blp, FILES)
    @blp.paged()
    def get(self, args, pagination_parameters):
        """Each goods receipt line of the window against its order price and against the
        average cost the stock had before it arrived."""
        return answer("price-variance", args, pagination_parameters)


@blp.route("/budget")
class BudgetReport(MethodView):
    @roles(*MONEY)
    @blp.arguments(BudgetQuerySchema(), location="query")
    @blp.response(200, BudgetReportSchema)
    @exports.export_responses(blp, FILES)
    @blp.paged()
    def get(self, args, pagination_parameters):
        """Each budget overlapping the window: requested, on order, committed, actual and
        available."""
        return answer("budget", args, pagination_parameters)


@blp.route("/kpis")
class Kpis(MethodView):
    @roles(*QUANTITIES)
    @blp.arguments(KpiQuerySchema(), location="query")
    @blp.response(200, KpiReportSchema)
    @exports.export_responses(blp, FILES)
    @blp.paged()
    def get(self, args, pagination_parameters):
        """Turnover, days of inventory, stock-out days, fill rate of issues, supplier OTIF and
        inventory record accuracy over the window (money null for warehouse readers)."""
        return answer("kpis", args, pagination_parameters)
