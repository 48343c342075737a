"""The reports by name (finance, and stock health and control): their columns, which of them
are money, the query schema their filters load through, and how to build the rows and totals
from a query's arguments. The API views and ``flask reports export`` both read this table (no
import by name).

The health reports' ``build`` streams: rows come a page (or a cursor chunk) at a time and the
totals dict it returns fills in as they pass, so it is complete once the rows are consumed —
which is when the file writers (delivery/exports.py) read it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from delivery.exports import Column
from delivery.health_columns import (
    AGEING_COLUMNS,
    AGEING_MONEY,
    CLASS_COLUMNS,
    CLASS_MONEY,
    EXCEPTION_COLUMNS,
    SLOW_COLUMNS,
)
from delivery.schemas import finance_reports as finance_schemas
from delivery.schemas import health_reports as health_schemas
from inventory import clock
from inventory.db import control_queries, health_queries, item_class_queries, queries
from inventory.services import finance_kpis, finance_reports
from inventory.services.finance_reports import Window

PAGE = 5000

FILTER_KEYS = (
    "supplier_id",
    "cost_centre_id",
    "warehouse_id",
    "item_id",
    "category",
    "reason",
    "period",
)


def _money(key: str, title: str, width: int = 16) -> Column:
    return Column(key, title, "decimal", places=2, width=width)


def _qty(key: str, title: str) -> Column:
    return Column(key, title, "decimal", places=3, width=14)


@dataclass(frozen=True)
class Report:
    name: str
    sheet: str
    columns: tuple[Column, ...]
    money: frozenset[str]  # keys a reader without finance or admin does not see
    build: Callable[[Window | None, dict], tuple[Iterable[dict], dict]]
    # The schema the report's query loads through (filters, defaults, validation).
    query: type | None = None
    # Whether ``from``/``to`` make a finance Window; the others take the window they need.
    windowed: bool = True
    # How many rows ``build`` will yield, for a progress bar (None: not known up front).
    count: Callable[[dict], int] | None = None

    def columns_for(self, sees_money: bool) -> tuple[Column, ...]:
        return (
            self.columns
            if sees_money
            else tuple(c for c in self.columns if c.key not in self.money)
        )


def filters_of(args: dict) -> dict:
    return {k: args[k] for k in FILTER_KEYS if args.get(k) is not None}


# The health reports' own filters, named in a file's filters beside FILTER_KEYS.
USED_KEYS = (
    "slow_days",
    "dead_days",
    "status",
    "abc",
    "xyz",
    "sort",
    "kind",
    "price_threshold_pct",
    "unusual_share",
    "group_by",
)


def filters_used(args: dict, win: Window | None = None) -> dict:
    """The filters a report file names: its window or range, then every filter given (or
    defaulted). Read after ``build``, which fills in a range it defaulted."""
    used = {}
    if win is not None:
        used = {"from": win.first_day.isoformat(), "to": win.last_day.isoformat()}
    for key in ("since", "until"):
        if args.get(key) is not None:
            used[key] = args[key].isoformat()
    used.update(filters_of(args))
    for key in USED_KEYS:
        if args.get(key) is not None:
            used[key] = args[key]
    return used


def _spend(win: Window, args: dict):
    found = finance_reports.spend(win, args["group_by"], filters_of(args))
    return found["rows"], found["totals"]


def _cogs(win: Window, args: dict):
    found = finance_reports.cogs(win, args["group_by"], filters_of(args))
    return found["rows"], found["totals"]


def _variance(win: Window, args: dict):
    filters = filters_of(args)
    totals = finance_reports.variance_totals(win, filters)
    return finance_reports.price_variance_all(win, filters), totals


def _budget(win: Window, args: dict):
    found = finance_reports.budget(win, filters_of(args))
    return found["rows"], found["totals"]


def _kpis(win: Window, args: dict):
    found = finance_kpis.kpis(win, filters_of(args))
    return found["rows"], found["money"]


def _summed(rows: Iterable[dict], keys: tuple[str, ...], totals: dict) -> Iterator[dict]:
    """``rows`` passed through, adding each one's ``keys`` into ``totals`` on the way."""
    for key in keys:
        totals[key] = Decimal(0)
    for row in rows:
        for key in keys:
            totals[key] += row.get(key) or 0
        yield row


def _paged(fetch: Callable[[int, int], list[dict]]) -> Iterator[dict]:
    offset = 0
    while True:
        page = fetch(PAGE, offset)
        yield from page
        if len(page) < PAGE:
            return
        offset += PAGE


def _scope(args: dict) -> dict:
    return {k: args.get(k) for k in ("item_id", "warehouse_id", "category")}


def _ageing(_win, args: dict):
    health_queries.check_known(item_id=args.get("item_id"), warehouse_id=args.get("warehouse_id"))
    today = clock.today()
    rows = _paged(
        lambda limit, offset: health_queries.ageing(
            today=today, limit=limit, offset=offset, **_scope(args)
        )
    )
    totals: dict = {}
    keys = tuple(c.key for c in AGEING_COLUMNS if c.kind == "decimal")
    return _summed(rows, keys, totals), totals


def _slow_moving(_win, args: dict):
    health_queries.check_known(item_id=args.get("item_id"), warehouse_id=args.get("warehouse_id"))
    today = clock.today()
    wanted = {k: args[k] for k in ("slow_days", "dead_days", "status") if k in args}
    rows = _paged(
        lambda limit, offset: health_queries.slow_moving(
            today=today, limit=limit, offset=offset, **wanted, **_scope(args)
        )[0]
    )
    totals: dict = {}
    return _summed(rows, ("quantity", "value"), totals), totals


def _abc_xyz(_win, args: dict):
    health_queries.check_known(item_id=args.get("item_id"))
    wanted = {k: args[k] for k in ("abc", "xyz", "category", "item_id", "sort") if k in args}
    rows = queries.streamed_rows(item_class_queries.classes(**wanted))
    totals: dict = {}
    return _summed(rows, ("consumption_value", "annual_quantity"), totals), totals


def _exceptions(_win, args: dict):
    # At most MAX_RANGE_DAYS of exceptions: the query's own list, not streamed.
    health_queries.check_known(
        warehouse_id=args.get("warehouse_id"), cost_centre_id=args.get("cost_centre_id")
    )
    # The range it defaults to goes back into ``args``, so the file names the range it covers.
    until = args["until"] = args.get("until") or clock.now()
    since = args["since"] = args.get("since") or until - timedelta(days=30)
    wanted = {
        k: Decimal(str(args[k]))
        for k in ("price_threshold_pct", "unusual_share")
        if args.get(k) is not None
    }
    rows = control_queries.exceptions(
        since=since,
        until=until + timedelta(microseconds=1),
        kind=args.get("kind"),
        warehouse_id=args.get("warehouse_id"),
        cost_centre_id=args.get("cost_centre_id"),
        **wanted,
    )
    return rows, {"detail": f"{len(rows)} exceptions"}


HEALTH = (
    Report(
        "ageing",
        "Ageing",
        tuple(AGEING_COLUMNS),
        frozenset(AGEING_MONEY),
        _ageing,
        health_schemas.StockScopeSchema,
        windowed=False,
        count=lambda args: health_queries.count_on_hand(**_scope(args)),
    ),
    Report(
        "slow-moving",
        "Slow-moving",
        tuple(SLOW_COLUMNS),
        frozenset({"value"}),
        _slow_moving,
        health_schemas.SlowMovingQuerySchema,
        windowed=False,
    ),
    Report(
        "abc-xyz",
        "ABC-XYZ",
        tuple(CLASS_COLUMNS),
        frozenset(CLASS_MONEY),
        _abc_xyz,
        health_schemas.ClassQuerySchema,
        windowed=False,
    ),
    Report(
        "exceptions",
        "Exceptions",
        tuple(EXCEPTION_COLUMNS),
        frozenset({"value", "budget_left"}),
        _exceptions,
        health_schemas.ExceptionQuerySchema,
        windowed=False,
    ),
)

REPORTS: dict[str, Report] = {
    r.name: r
    for r in (
        Report(
            "spend",
            "Spend",
            (
                Column("month", "Month", width=10),
                Column("supplier_id", "Supplier id", "integer"),
                Column("category", "Category", width=18),
                Column("cost_centre_id", "Cost centre id", "integer", width=14),
                _money("ordered", "Ordered (base)"),
                _money("received", "Received (base)"),
            ),
            frozenset({"ordered", "received"}),
            _spend,
            finance_schemas.SpendQuerySchema,
        ),
        Report(
            "cogs",
            "Cost of goods issued",
            (
                Column("month", "Month", width=10),
                Column("reason", "Reason", width=16),
                Column("cost_centre_id", "Cost centre id", "integer", width=14),
                Column("warehouse_id", "Warehouse id", "integer", width=14),
                Column("category", "Category", width=18),
                _qty("quantity", "Quantity"),
                _money("value", "Value"),
            ),
            frozenset({"value"}),
            _cogs,
            finance_schemas.CogsQuerySchema,
        ),
        Report(
            "price-variance",
            "Price variance",
            (
                Column("ledger_id", "Ledger id", "integer"),
                Column("receipt_id", "Receipt id", "integer"),
                Column("received_at", "Received at (UTC)", "moment", width=20),
                Column("supplier_id", "Supplier id", "integer"),
                Column("order_id", "Order id", "integer"),
                Column("po_line_id", "Order line id", "integer"),
                Column("item_id", "Item id", "integer"),
                Column("warehouse_id", "Warehouse id", "integer"),
                _qty("quantity", "Quantity"),
                Column("unit_cost", "Unit cost", "decimal", places=4),
                _money("value", "Value"),
                Column("order_unit_cost", "Order unit cost", "decimal", places=4),
                _money("order_variance", "Variance vs order"),
                Column("previous_average_cost", "Previous avg cost", "decimal", places=4),
                _money("average_variance", "Variance vs avg cost"),
            ),
            frozenset(),
            _variance,
            finance_schemas.VarianceQuerySchema,
        ),
        Report(
            "budget",
            "Budget",
            (
                Column("budget_id", "Budget id", "integer"),
                Column("cost_centre_id", "Cost centre id", "integer", width=14),
                Column("cost_centre_code", "Cost centre", width=14),
                Column("period", "Period", width=12),
                Column("starts_on", "Starts on", width=12),
                Column("ends_on", "Ends on", width=12),
                _money("amount", "Budget"),
                _money("requested", "Requested"),
                _money("on_order", "On order"),
                _money("committed", "Committed"),
                _money("actual", "Actual"),
                _money("available", "Available"),
            ),
            frozenset(),
            _budget,
            finance_schemas.BudgetQuerySchema,
        ),
        Report(
            "kpis",
            "KPIs",
            (
                Column("kpi", "KPI", width=28),
                Column("value", "Value", "decimal", places=4),
                Column("unit", "Unit", width=22),
                Column("numerator", "Numerator", "decimal", places=2),
                Column("denominator", "Denominator", "decimal", places=2),
            ),
            frozenset(),
            _kpis,
            finance_schemas.KpiQuerySchema,
        ),
        *HEALTH,
    )
}
# The KPIs whose numerator and denominator are money (hidden from warehouse readers).
MONEY_KPIS = frozenset({"inventory_turnover", "days_of_inventory"})


def hide_money(report: Report, rows: Iterable[dict], totals: dict) -> tuple[list, dict]:
    """Rows and totals as a reader without finance or admin sees them: money as null."""
    shown = []
    for row in rows:
        row = {k: (None if k in report.money else v) for k, v in row.items()}
        if report.name == "kpis" and row["kpi"] in MONEY_KPIS:
            row["numerator"] = row["denominator"] = None
        shown.append(row)
    if report.name == "kpis":
        return shown, {}
    return shown, {k: (None if k in report.money else v) for k, v in totals.items()}
