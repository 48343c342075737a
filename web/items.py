"""Items: the list searched by SKU or name, and an item's page with its stock by warehouse, its
ledger with the running balance, its demand history and forecast as a chart, and the latest
reorder suggestion with the figures that explain it. Everyone who may read items reads these."""

from __future__ import annotations

from decimal import Decimal

from flask import render_template, request

from delivery import charts
from delivery.access import EVERYONE, roles
from delivery.schemas.master import ItemQuerySchema
from inventory.db import queries
from inventory.db import review_queries as rq
from inventory.services import forecast_reports, master_data
from web.blueprint import pages
from web.items_paging import filters, one_page
from web.nav import menu_entry

menu_entry("Items", "items", EVERYONE, 60)
ITEM_ID = "<int(max=2147483647):item_id>"
MAX_WAREHOUSES = 100
MAX_SUGGESTIONS = 20
# The explanation's figures in the order a buyer reads them, with their labels; the rest follow.
EXPLAINED = (
    ("on_hand", "On hand"),
    ("on_order", "On order"),
    ("requested", "Requested, not yet ordered"),
    ("position", "Inventory position"),
    ("reorder_point", "Reorder point"),
    ("order_up_to", "Order up to"),
    ("needed", "Needed to reach order-up-to"),
    ("quantity", "Suggested (rounded to MOQ and pack)"),
    ("mean_demand_per_day", "Mean demand per day"),
    ("lead_time_days", "Lead time (days)"),
    ("lead_time_sd_days", "Lead time spread (days)"),
    ("service_level", "Service level"),
    ("levels_source", "Levels from"),
    ("stockout_on", "Stock runs out on"),
    ("order_by", "Order by"),
    ("need_by", "Needed by"),
    ("unit_price", "Unit price"),
    ("supplier_on_time", "Arrives by the need date"),
    ("review_period_days", "Review period (days)"),
    ("forecast_mean_per_period", "Forecast mean per period"),
    ("forecast_variance_per_period", "Forecast variance per period"),
    ("backtest_rmsse", "Backtest RMSSE"),
)
# Shown by the page elsewhere (heading, rule, supplier's reason, demand class and model lines,
# the period in the labels) or ids nobody reads.
HIDDEN = {
    "rule", "supplier_reason", "supplier_id", "supplier_item_id", "urgency",
    "demand_class", "abc_class", "model", "backtest_mase", "freq",
}  # fmt: skip
PERIOD_WORDS = {"D": "day", "W": "week", "M": "month"}


@pages.get("/items")
@roles(*EVERYONE)
def items():
    """Items by SKU, searched by SKU or name, one page at a time."""
    args, errors, typed = filters(ItemQuerySchema(), ("q",))
    listed = one_page(queries.items(**args))
    return render_template("web/items/list.html", listed=listed, errors=errors, typed=typed)


def explained(explanation: dict | None) -> list[tuple[str, object]]:
    """The explanation's figures as (label, value), the known ones first in reading order."""
    explanation = explanation or {}
    per = PERIOD_WORDS.get(explanation.get("freq"))
    known = [
        (label.replace("per period", f"per {per}") if per else label, _shown(k, explanation[k]))
        for k, label in EXPLAINED
        if explanation.get(k) is not None
    ]
    seen = {k for k, _ in EXPLAINED} | HIDDEN
    rest = [
        (k.replace("_", " ").capitalize(), _readable(v))
        for k, v in sorted(explanation.items())
        if k not in seen and v is not None and not isinstance(v, dict | list)
    ]
    return known + rest


def _shown(key: str, value: object) -> object:
    if key == "service_level":
        return f"{(Decimal(str(value)) * 100).normalize():f} %"
    if key == "mean_demand_per_day":  # worked out to more places than a reader needs
        return f"{Decimal(str(value)):.3f}"
    return _readable(value)


def _readable(value: object) -> object:
    """A float (a backtest error, a forecast's mean) to three decimals, not sixteen digits; a
    yes/no figure in words."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:.3f}" if isinstance(value, float) else value


def since_first_demand(history: list[dict]) -> list[dict]:
    """The history from its first period with demand on: the years of zeros before an item was
    first used would squeeze its real demand into a corner of the chart."""
    first = next((i for i, p in enumerate(history) if p["qty"]), len(history))
    return history[first:]


def _charts(item: dict, forecast: dict, codes: dict[int, str]) -> list[dict]:
    drawn = []
    for series in forecast["series"]:
        series = {**series, "history": since_first_demand(series["history"])}
        if not series["history"] and not series["forecast"]:
            continue
        code = codes.get(series["warehouse_id"], str(series["warehouse_id"]))
        title = f"{item['sku']} in {code}: demand per period and forecast"
        drawn.append(
            {
                "warehouse": code,
                "series": series,
                "svg": charts.forecast_band_svg(
                    title,
                    series["history"],
                    series["forecast"],
                    chart_id=f"forecast-{series['warehouse_id']}",
                ),
            }
        )
    return drawn


@pages.get(f"/items/{ITEM_ID}")
@roles(*EVERYONE)
def item(item_id: int):
    """The item: stock by warehouse, the latest run's suggestion with its explanation, and the
    ledger newest first. The demand chart comes in its own request (``item_forecast``): it
    reads years of history, so the rest of the page does not wait for it."""
    found = master_data.get("item", item_id)  # 404 page for an unknown item
    codes = _warehouse_codes()
    stock = queries.first_rows(queries.balance_report(item_id=item_id), MAX_WAREHOUSES)
    ledger = one_page(queries.item_ledger(item_id, newest_first=True))
    run = rq.latest_succeeded_run()
    suggestions = (
        queries.first_rows(rq.suggestions(run["id"], item_id=item_id), MAX_SUGGESTIONS)
        if run
        else []
    )
    return render_template(
        "web/items/item.html",
        item=found,
        stock=stock,
        ledger=ledger,
        codes=codes,
        run=run,
        suggestions=[{**s, "figures": explained(s["explanation"])} for s in suggestions],
    )


def _warehouse_codes() -> dict[int, str]:
    return {w["id"]: w["code"] for w in queries.first_rows(queries.warehouses(), 1000)}


@pages.get(f"/items/{ITEM_ID}/forecast")
@roles(*EVERYONE)
def item_forecast(item_id: int):
    """The item's demand history and forecast per warehouse as charts with the 80% band, from
    the same function as the API's item forecast. A fragment for htmx; opened by itself (no
    script) it is a page."""
    found = master_data.get("item", item_id)
    forecast = forecast_reports.item_forecast(item_id)
    context = {
        "item": found,
        "forecast": forecast,
        "charts": _charts(found, forecast, _warehouse_codes()),
    }
    if request.headers.get("HX-Request"):
        return render_template("web/items/_forecast.html", **context)
    return render_template("web/items/forecast.html", **context)
