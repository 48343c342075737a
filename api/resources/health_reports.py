"""Stock health and control reports: ageing, slow-moving and dead stock, ABC/XYZ classes,
exceptions for internal audit, supply risk.

Money is for ``finance`` and ``admin``; ``warehouse`` sees the stock reports with quantities
only (every value column left out); every other role gets 403.
"""

from __future__ import annotations

from datetime import timedelta

from flask.views import MethodView

from api import exports
from api.auth import current_actor, roles
from api.blueprint import Blueprint, listing
from api.exports import Column
from api.schemas.health_reports import (
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
from inventory.db import control_queries, health_queries, item_class_queries, queries
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


def _without_money(rows: list[dict], money: set[str]) -> list[dict]:
    if _sees_money():
        return rows
    return [{k: v for k, v in row.items() if k not in money} for row in rows]


def _columns(columns: list[Column], money: set[str]) -> list[Column]:
    return columns if _sees_money() else [c for c in columns if c.key not in money]


STOCK_COLUMNS = [
    Column("item_id", "Item id", "integer", width=8),
    Column("sku", "SKU", width=16),
    Column("name", "Item", width=30),
    Column("category", "Category", width=16),
    Column("warehouse_id", "Warehouse id", "integer", width=8),
    Column("warehouse_code", "Warehouse", width=12),
    Column("quantity", "Quantity", "decimal", 3),
    Column("value", "Value", "decimal", 2),
]
AGEING_MONEY = {"value"} | {f"value_{b}" for b in health_queries.BUCKETS}
AGEING_COLUMNS = (
    STOCK_COLUMNS
    + [
        column
        for bucket in health_queries.BUCKETS
        for column in (
            Column(f"qty_{bucket}", f"Qty {bucket.replace('_', '-')} days", "decimal", 3),
            Column(f"value_{bucket}", f"Value {bucket.replace('_', '-')} days", "decimal", 2),
        )
    ]
    + [Column("oldest_receipt_at", "Oldest receipt", "moment", width=20)]
)
SLOW_COLUMNS = STOCK_COLUMNS + [
    Column("last_issue_at", "Last issue", "moment", width=20),
    Column("idle_since", "Idle since", "moment", width=20),
    Column("idle_days", "Idle days", "integer"),
    Column("status", "Status", width=8),
]
CLASS_MONEY = {"consumption_value"}
CLASS_COLUMNS = [
    Column("item_id", "Item id", "integer", width=8),
    Column("sku", "SKU", width=16),
    Column("name", "Item", width=30),
    Column("category", "Category", width=16),
    Column("abc_class", "ABC", width=5),
    Column("xyz_class", "XYZ", width=5),
    Column("consumption_value", "Consumption value", "decimal", 2),
    Column("annual_quantity", "Annual quantity", "decimal", 3),
    Column("demand_cv", "Demand CV", "decimal", 4),
    Column("computed_at", "Computed at", "moment", width=20),
]
EXCEPTION_COLUMNS = [
    Column("kind", "Kind", width=20),
    Column("at", "At", "moment", width=20),
    Column("actor_id", "User id", "integer", width=8),
    Column("warehouse_id", "Warehouse id", "integer", width=8),
    Column("item_id", "Item id", "integer", width=8),
    Column("reference", "Reference", width=24),
    Column("quantity", "Quantity", "decimal", 3),
    Column("value", "Value", "decimal", 2),
    Column("detail", "Detail", width=40),
]


def _file(rows, columns, fmt, name, sheet, too_many):
    return exports.download(
        rows,
        columns,
        fmt,
        name=f"{name}-{exports.report_day(None)}",
        sheet=sheet,
        too_many=too_many,
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
        today = clock.today()
        if fmt != "json":
            rows = health_queries.ageing(today=today, limit=exports.row_limit(), **args)
            return _file(
                _without_money(rows, AGEING_MONEY),
                _columns(AGEING_COLUMNS, AGEING_MONEY),
                fmt,
                "ageing",
                "Ageing",
                "Filter it by warehouse_id or category.",
            )
        size = pagination_parameters.page_size
        rows = health_queries.ageing(
            today=today, limit=size, offset=(pagination_parameters.page - 1) * size, **args
        )
        pagination_parameters.item_count = health_queries.count_on_hand(**args)
        return _without_money(rows, AGEING_MONEY)


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
            rows, _ = health_queries.slow_moving(
                today=clock.today(), limit=exports.row_limit(), **args
            )
            return _file(
                _without_money(rows, {"value"}),
                _columns(SLOW_COLUMNS, {"value"}),
                fmt,
                "slow-moving",
                "Slow-moving",
                "Filter it by warehouse_id or status.",
            )
        size = pagination_parameters.page_size
        rows, total = health_queries.slow_moving(
            today=clock.today(),
            limit=size,
            offset=(pagination_parameters.page - 1) * size,
            **args,
        )
        pagination_parameters.item_count = total
        return _without_money(rows, {"value"})


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
        query = item_class_queries.classes(**args)
        if fmt != "json":
            rows = queries.first_rows(query, exports.row_limit())
            return _file(
                _without_money(rows, CLASS_MONEY),
                _columns(CLASS_COLUMNS, CLASS_MONEY),
                fmt,
                "abc-xyz",
                "ABC-XYZ",
                "Filter it by abc, xyz or category.",
            )
        return _without_money(listing(query, pagination_parameters), CLASS_MONEY)


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
        reversals, over-budget approvals flagged through, price variances beyond a threshold,
        postings in a warehouse unusual for the user (rules in docs/api.md)."""
        fmt = exports.requested_format(args.pop("format", None))
        health_queries.check_known(warehouse_id=args.get("warehouse_id"))
        since, until = _range(args, 30)
        rows = control_queries.exceptions(since=since, until=until, **args)
        if fmt != "json":
            return _file(
                rows,
                EXCEPTION_COLUMNS,
                fmt,
                "exceptions",
                "Exceptions",
                "Ask for a shorter range or one kind.",
            )
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
