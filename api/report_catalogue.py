"""The finance reports by name: their columns, which of them are money, and how to build the
rows and totals from a query's arguments. The API views and ``flask reports export`` both read
this table (no import by name)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from api.exports import Column
from inventory.services import finance_kpis, finance_reports
from inventory.services.finance_reports import Window

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
    build: Callable[[Window, dict], tuple[Iterable[dict], dict]]

    def columns_for(self, sees_money: bool) -> tuple[Column, ...]:
        return (
            self.columns
            if sees_money
            else tuple(c for c in self.columns if c.key not in self.money)
        )


def filters_of(args: dict) -> dict:
    return {k: args[k] for k in FILTER_KEYS if args.get(k) is not None}


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
        ),
        Report(
            "cogs",
            "Cost of goods issued",
            (
                Column("month", "Month", width=10),
                Column("reason", "Reason", width=16),
                Column("warehouse_id", "Warehouse id", "integer", width=14),
                Column("category", "Category", width=18),
                _qty("quantity", "Quantity"),
                _money("value", "Value"),
            ),
            frozenset({"value"}),
            _cogs,
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
        ),
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
