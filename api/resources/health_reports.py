"""Stock health and control reports: ageing, slow-moving and dead stock, ABC/XYZ classes,
exceptions for internal audit, supply risk.

Money is for ``finance`` and ``admin``; ``warehouse`` sees the stock reports with quantities
only (every value column left out); every other role gets 403.
"""

from __future__ import annotations

from datetime import timedelta

from flask.views import MethodView

from api.blueprint import Blueprint, listing
from delivery import exports
from delivery.access import current_actor, roles
from delivery.report_catalogue import REPORTS, filters_used, hide_money
from delivery.schemas.health_reports import (
    AgeingRowSchema,
    ClassQuerySchema,
    ClassRowSchema,
    ExceptionQuerySchema,
    ExceptionRowSchema,
    SlowMovingQuerySchema,
    SlowMovingRowSchema,
    StockScopeSchema,
    SupplyRiskQuerySchema,
    SupplyRiskSchema,
)
from inventory import clock
from inventory.db import control_queries, health_queries, item_class_queries
from inventory.domain.actors import Role

blp = Blueprint(
    "health_reports",
    __name__,
    url_prefix="/api/v1/reports",
    description="Stock health and control reports",
)

MONEY_ROLES = frozenset({Role.ADMIN.value, Role.FINANCE.value})
STOCK_READERS = (Role.ADMIN, Role.FINANCE, Role.WAREHOUSE)
MONEY_READERS = (Role.ADMIN, Role.FINANCE)


def _sees_money() -> bool:
    return bool(current_actor().roles & MONEY_ROLES)


def _without_money(rows: list[dict], money: frozenset[str]) -> list[dict]:
    if _sees_money():
        return rows
    return [{k: v for k, v in row.items() if k not in money} for row in rows]


def _file(name: str, args: dict, fmt: str):
    """Every row of the catalogue's report ``name`` as a file, with its totals and the filters
    used (as ``flask reports export`` writes it); money left out for a reader without it."""
    report = REPORTS[name]
    rows, totals = report.build(None, args)
    money = _sees_money()
    if not money:
        rows, totals = hide_money(report, rows, totals)
    return exports.report_download(
        rows,
        report.columns_for(money),
        fmt,
        name=f"{name}-{exports.report_day(None)}",
        sheet=report.sheet,
        totals=totals,
        filters=filters_used(args),
    )


@blp.route("/ageing")
class Ageing(MethodView):
    @roles(*STOCK_READERS)
    @blp.arguments(StockScopeSchema(), location="query")
    @blp.response(200, AgeingRowSchema(many=True))
    @exports.export_responses(blp, "the stock on hand by age bucket")
    @blp.paged()
    def get(self, args, pagination_parameters):
        """Stock on hand per item and warehouse in age buckets (0–30, 31–90, 91–180, 181–365,
        over 365 days): the newest receipts are taken to be what is still on hand (see
        docs/api.md). Values for finance and admin only."""
        fmt = exports.requested_format(args.pop("format", None))
        health_queries.check_known(
            item_id=args.get("item_id"), warehouse_id=args.get("warehouse_id")
        )
        if fmt != "json":
            return _file("ageing", args, fmt)
        today = clock.today()
        size = pagination_parameters.page_size
        rows = health_queries.ageing(
            today=today, limit=size, offset=(pagination_parameters.page - 1) * size, **args
        )
        pagination_parameters.item_count = health_queries.count_on_hand(**args)
        return _without_money(rows, REPORTS["ageing"].money)


@blp.route("/slow-moving")
class SlowMoving(MethodView):
    @roles(*STOCK_READERS)
    @blp.arguments(SlowMovingQuerySchema(), location="query")
    @blp.response(200, SlowMovingRowSchema(many=True))
    @exports.export_responses(blp, "slow-moving and dead stock")
    @blp.paged()
    def get(self, args, pagination_parameters):
        """Stock on hand that has not been issued for ``slow_days`` (slow) or ``dead_days``
        (dead), longest idle first; never issued counts from its first arrival."""
        fmt = exports.requested_format(args.pop("format", None))
        health_queries.check_known(
            item_id=args.get("item_id"), warehouse_id=args.get("warehouse_id")
        )
        if fmt != "json":
            return _file("slow-moving", args, fmt)
        size = pagination_parameters.page_size
        rows, total = health_queries.slow_moving(
            today=clock.today(),
            limit=size,
            offset=(pagination_parameters.page - 1) * size,
            **args,
        )
        pagination_parameters.item_count = total
        return _without_money(rows, REPORTS["slow-moving"].money)


@blp.route("/abc-xyz")
class AbcXyz(MethodView):
    @roles(*STOCK_READERS)
    @blp.arguments(ClassQuerySchema(), location="query")
    @blp.response(200, ClassRowSchema(many=True))
    @exports.export_responses(blp, "every item's kept ABC and XYZ class")
    @blp.paged()
    def get(self, args, pagination_parameters):
        """Each item's ABC class (consumption value, 80/15/5) and XYZ class (variation of
        monthly demand), as the ``classify-items`` job last kept them."""
        fmt = exports.requested_format(args.pop("format", None))
        health_queries.check_known(item_id=args.get("item_id"))
        if fmt != "json":
            return _file("abc-xyz", args, fmt)
        query = item_class_queries.classes(**args)
        return _without_money(listing(query, pagination_parameters), REPORTS["abc-xyz"].money)


def _range(args, default_days: int):
    until = args.pop("until", None) or clock.now()
    since = args.pop("since", None) or until - timedelta(days=default_days)
    # ``until`` is included: a plain day ends at its last instant.
    return since, until + timedelta(microseconds=1)


@blp.route("/exceptions")
class Exceptions(MethodView):
    @roles(*MONEY_READERS)
    @blp.arguments(ExceptionQuerySchema(), location="query")
    @blp.response(200, ExceptionRowSchema(many=True))
    @exports.export_responses(blp, "every exception in the range")
    @blp.paged()
    def get(self, args, pagination_parameters):
        """Exceptions for internal audit, newest first: stocktake variances, cancellations and
        reversals, over-budget approvals flagged through (requests, and direct orders with the
        budget left at the time), price variances beyond a threshold, postings in a warehouse
        unusual for the user (rules in docs/api.md)."""
        fmt = exports.requested_format(args.pop("format", None))
        health_queries.check_known(
            warehouse_id=args.get("warehouse_id"), cost_centre_id=args.get("cost_centre_id")
        )
        if fmt != "json":
            return _file("exceptions", args, fmt)
        since, until = _range(args, 30)
        rows = control_queries.exceptions(since=since, until=until, **args)
        size, number = pagination_parameters.page_size, pagination_parameters.page
        pagination_parameters.item_count = len(rows)
        return rows[(number - 1) * size : number * size]


@blp.route("/supply-risk")
class SupplyRisk(MethodView):
    @roles(*MONEY_READERS)
    @blp.arguments(SupplyRiskQuerySchema(), location="query")
    @blp.response(200, SupplyRiskSchema)
    def get(self, args):
        """Spend share per supplier (value received into stock over the range, a year by
        default), items with a single active supplier with their stock value and last year's
        consumption, and blocked or on-hold suppliers that still have open orders."""
        since, until = _range(args, 365)
        return {
            "since": since,
            "until": until,
            **control_queries.supply_risk(since=since, until=until),
        }
