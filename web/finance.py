"""Finance pages: the stock value trend, spend by supplier and month, ageing, KPIs, budgets and
exceptions, each with its CSV and XLSX download (the API's own files). Roles as the API's
finance and health reports for money: finance and admin."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, g, render_template, request
from markupsafe import Markup

from delivery import charts
from delivery.access import admit, roles
from delivery.config import service_zone
from delivery.exports import Column
from delivery.health_columns import AGEING_COLUMNS, EXCEPTION_COLUMNS
from delivery.report_catalogue import REPORTS, filters_of, hide_money
from delivery.schemas.finance_reports import (
    BudgetQuerySchema,
    KpiQuerySchema,
    SpendChartQuerySchema,
)
from delivery.schemas.health_reports import ExceptionQuerySchema, StockScopeSchema
from inventory import clock
from inventory.db import control_queries, health_queries, period_queries, supplier_queries
from inventory.domain.actors import Role
from inventory.errors import ValidationFailed
from inventory.services import finance_kpis, finance_reports
from web.blueprint import pages
from web.nav import menu_entry
from web.reporting import (
    Pager,
    file_query,
    page_number,
    query_args,
    report_file,
    shown,
    total_cells,
)

MONEY = (Role.FINANCE, Role.ADMIN)
# Ageing and the KPIs, as their API endpoints: warehouse reads them with the money left out.
STOCK_READERS = (Role.FINANCE, Role.ADMIN, Role.WAREHOUSE)
QUANTITY_FILES = frozenset({"ageing", "kpis"})
FILES = frozenset({"spend", "budget", "kpis", "ageing", "exceptions"})
SPEND_GROUPS = ["month", "supplier"]
# What each KPI is, as docs/reports.md ("KPIs") defines it.
KPI_FORMULAS = {
    "inventory_turnover": "consumption value ÷ average stock value",
    "days_of_inventory": "days in window × average stock value ÷ consumption value",
    "stock_out_days": "Σ days item-warehouse balances stood at zero",
    "stock_out_rate": "stock-out days ÷ (item-warehouse pairs × days)",
    "fill_rate_of_issues": "issue lines posted ÷ issue lines created",
    "supplier_otif": "deliveries on time and in full ÷ deliveries with a promised date",
    "inventory_record_accuracy": "counted lines within tolerance ÷ counted lines",
}
KPI_COLUMNS = REPORTS["kpis"].columns

menu_entry("Finance", "finance_overview", MONEY, 90)


def _svg(svg: str) -> Markup:
    # delivery.charts escapes every piece of text it draws.
    return Markup(svg)  # noqa: S704


@pages.get("/finance")
@roles(*MONEY)
def finance_overview():
    zone = service_zone()
    trend = finance_reports.valuation_trend(zone)
    now_value = period_queries.values_at([clock.now()])[0]
    chart = charts.value_trend_svg("Stock value at each month-end", trend)
    return render_template(
        "web/finance/overview.html",
        trend=trend,
        chart=_svg(chart),
        now_value=now_value,
        periods=period_queries.listing(),
    )


def _window_filters(schema, keys):
    data, errors = query_args(schema)
    win = None
    if not errors:
        try:
            win = finance_reports.window(data.get("date_from"), data.get("date_to"), service_zone())
        except ValidationFailed as refused:  # shown beside the field it names
            errors = {k: " ".join(v) for k, v in refused.errors.items()} or {"to": str(refused)}
    values = {k: request.args.get(k, "") for k in keys}
    if win is not None:
        values["from"], values["to"] = win.first_day.isoformat(), win.last_day.isoformat()
    return data, errors, win, values


SPEND_COLUMNS = (
    Column("month", "Month"),
    Column("supplier", "Supplier"),
    Column("ordered", "Ordered (base)", "decimal", places=2),
    Column("received", "Received (base)", "decimal", places=2),
)


@pages.get("/finance/spend")
@roles(*MONEY)
def finance_spend():
    keys = ("from", "to", "supplier_id", "cost_centre_id", "category")
    data, errors, win, values = _window_filters(SpendChartQuerySchema(), keys)
    context = {"errors": errors, "values": values, "columns": SPEND_COLUMNS}
    if win is None:
        return render_template("web/finance/spend.html", **context), 422
    filters = filters_of(data)
    found = finance_reports.spend(win, SPEND_GROUPS, filters)
    pager = Pager(page_number(), len(found["rows"]))
    rows = found["rows"][pager.offset : pager.offset + pager.size]
    names = supplier_queries.supplier_labels(r["supplier_id"] for r in rows)
    for row in rows:
        row["supplier"] = names.get(row["supplier_id"], row["supplier_id"])
    months = _by_month(win, found["rows"])
    chart = charts.monthly_bars_svg(
        f"Purchase spend {win.first_day} to {win.last_day}", months, ("ordered", "received")
    )
    query = file_query(**{k: values[k] for k in keys}, group_by=SPEND_GROUPS)
    return render_template(
        "web/finance/spend.html",
        **context,
        rows=shown(rows, SPEND_COLUMNS),
        totals=total_cells(found["totals"], SPEND_COLUMNS),
        paging=pager,
        chart=_svg(chart),
        file_query=query,
    )


def _by_month(win, rows: list[dict]) -> list[dict]:
    """Every month of the window with its spend, summed from the month × supplier rows (what
    ``spend_by_month`` gives, without running the report's queries a second time)."""
    months = {m.label: {"month": m.label, "ordered": 0, "received": 0} for m in win.months}
    for row in rows:
        month = months.get(row["month"])
        if month is not None:
            month["ordered"] += row["ordered"]
            month["received"] += row["received"]
    return list(months.values())


def _ageing_columns(money: bool) -> tuple[Column, ...]:
    """Item, warehouse, totals and the five buckets: their values for money readers, their
    quantities for warehouse (the whole file has both)."""
    bucket = "value_" if money else "qty_"
    base = ("sku", "name", "warehouse_code", "quantity", "value", "oldest_receipt_at")
    hidden = frozenset() if money else REPORTS["ageing"].money
    return tuple(
        c
        for c in AGEING_COLUMNS
        if (c.key in base or c.key.startswith(bucket)) and c.key not in hidden
    )


def _sees_money() -> bool:
    return g.actor.has_any({r.value for r in MONEY})


@pages.get("/finance/ageing")
@roles(*STOCK_READERS)
def finance_ageing():
    data, errors = query_args(StockScopeSchema())
    values = {k: request.args.get(k, "") for k in ("warehouse_id", "category")}
    columns = _ageing_columns(_sees_money())
    context = {"errors": errors, "values": values, "columns": columns}
    if errors:
        return render_template("web/finance/ageing.html", **context), 422
    data.pop("format", None)
    health_queries.check_known(item_id=data.get("item_id"), warehouse_id=data.get("warehouse_id"))
    pager = Pager(page_number(), health_queries.count_on_hand(**data))
    rows = health_queries.ageing(today=clock.today(), limit=pager.size, offset=pager.offset, **data)
    return render_template(
        "web/finance/ageing.html",
        **context,
        rows=shown(rows, columns),
        paging=pager,
        file_query=file_query(**values),
    )


@pages.get("/finance/kpis")
@roles(*STOCK_READERS)
def finance_kpis_page():
    keys = ("from", "to", "warehouse_id")
    data, errors, win, values = _window_filters(KpiQuerySchema(), keys)
    context = {"errors": errors, "values": values}
    if win is None:
        return render_template("web/finance/kpis.html", **context), 422
    found = finance_kpis.kpis(win, filters_of(data))
    if not _sees_money():
        found["rows"], found["money"] = hide_money(REPORTS["kpis"], found["rows"], {})
    rows = [
        {**dict(zip(("kpi", "value", "unit", "numerator", "denominator"), cells, strict=True)),
         "formula": KPI_FORMULAS.get(row["kpi"], "")}
        for row, cells in zip(found["rows"], shown(found["rows"], KPI_COLUMNS), strict=True)
    ]  # fmt: skip
    money = Column("money", "", "decimal", places=2)
    totals = [(k.replace("_", " "), shown([{"money": v}], [money])[0][0])
              for k, v in found["money"].items()]  # fmt: skip
    return render_template(
        "web/finance/kpis.html",
        **context,
        rows=rows,
        totals=totals,
        suppliers=found["suppliers"],
        names=supplier_queries.supplier_labels(s["supplier_id"] for s in found["suppliers"]),
        file_query=file_query(**values),
    )


BUDGET_COLUMNS = tuple(
    c for c in REPORTS["budget"].columns if c.key not in ("budget_id", "cost_centre_id")
)


@pages.get("/finance/budgets")
@roles(*MONEY)
def finance_budgets():
    keys = ("from", "to", "cost_centre_id", "period")
    data, errors, win, values = _window_filters(BudgetQuerySchema(), keys)
    context = {"errors": errors, "values": values, "columns": BUDGET_COLUMNS}
    if win is None:
        return render_template("web/finance/budgets.html", **context), 422
    found = finance_reports.budget(win, filters_of(data))
    pager = Pager(page_number(), len(found["rows"]))
    rows = found["rows"][pager.offset : pager.offset + pager.size]
    return render_template(
        "web/finance/budgets.html",
        **context,
        rows=shown(rows, BUDGET_COLUMNS),
        raw=rows,
        totals=total_cells(found["totals"], BUDGET_COLUMNS),
        paging=pager,
        file_query=file_query(**values),
    )


EXCEPTION_KINDS = ExceptionQuerySchema().fields["kind"].validate.choices


@pages.get("/finance/exceptions")
@roles(*MONEY)
def finance_exceptions():
    keys = ("since", "until", "kind", "warehouse_id")
    data, errors = query_args(ExceptionQuerySchema())
    values = {k: request.args.get(k, "") for k in keys}
    context = {
        "errors": errors,
        "values": values,
        "columns": EXCEPTION_COLUMNS,
        "kinds": EXCEPTION_KINDS,
    }
    if errors:
        return render_template("web/finance/exceptions.html", **context), 422
    data.pop("format", None)
    health_queries.check_known(warehouse_id=data.get("warehouse_id"))
    until = data.pop("until", None) or clock.now()
    since = data.pop("since", None) or until - timedelta(days=30)
    found = control_queries.exceptions(since=since, until=until + timedelta(microseconds=1), **data)
    pager = Pager(page_number(), len(found))
    return render_template(
        "web/finance/exceptions.html",
        **context,
        rows=shown(found[pager.offset : pager.offset + pager.size], EXCEPTION_COLUMNS),
        paging=pager,
        since=since,
        until=until,
        file_query=file_query(**values),
    )


@pages.get("/finance/files/<report>.<fmt>")
@roles(*STOCK_READERS)
def finance_file(report: str, fmt: str):
    """A finance or health report as the API's ``format=csv|xlsx`` file (ageing and KPIs
    without the money for warehouse, as the API gives them)."""
    if report not in FILES or fmt not in ("csv", "xlsx"):
        abort(404, f"There is no {report}.{fmt} report file.")
    money = _sees_money()
    if not money and report not in QUANTITY_FILES:
        admit(g.actor, {r.value for r in MONEY})
    return report_file(report, fmt, money)
