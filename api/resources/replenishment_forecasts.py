"""Forecasts: an item's demand history beside its stored forecast, and how accurate the stored
forecasts turned out. Everyone reads."""

from __future__ import annotations

from flask.views import MethodView

from api.blueprint import Blueprint
from delivery import exports
from delivery.access import EVERYONE, roles
from delivery.schemas.replenishment_forecasts import (
    AccuracyItemQuerySchema,
    AccuracyItemSchema,
    AccuracyQuerySchema,
    AccuracySchema,
    ItemForecastQuerySchema,
    ItemForecastSchema,
)
from inventory.services import finance_reports, forecast_accuracy, forecast_reports

blp = Blueprint(
    "forecasts",
    __name__,
    url_prefix="/api/v1",
    description="Demand forecasts: an item's history and forecast; realised accuracy",
)


@blp.route("/items/<int(max=2147483647):item_id>/forecast")
class ItemForecast(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(ItemForecastQuerySchema(), location="query")
    @blp.response(200, ItemForecastSchema)
    def get(self, args, item_id):
        """The item's demand history per warehouse beside the newest succeeded run's forecast:
        mean, quantiles and 80%/95% intervals per period, model, demand class and backtest
        error. An item without history is class ``new``, not an error."""
        return forecast_reports.item_forecast(item_id, args.get("warehouse_id"))


ACCURACY_COLUMNS = (
    exports.Column("item_id", "Item id", "integer", width=10),
    exports.Column("sku", "SKU", width=16),
    exports.Column("warehouse_id", "Warehouse id", "integer", width=12),
    exports.Column("warehouse_code", "Warehouse", width=12),
    exports.Column("demand_class", "Class", width=14),
    exports.Column("model", "Model", width=16),
    exports.Column("periods", "Periods", "integer", width=10),
    *(
        exports.Column(f"{side}_{m}", f"{title} {m}", "number", places=4, width=16)
        for side, title in (("forecast", "Ours"), ("seasonal_naive", "Seasonal naive"))
        for m in forecast_accuracy.MEASURES
    ),
)


def _flat(row: dict) -> dict:
    flat = {k: v for k, v in row.items() if k not in ("forecast", "seasonal_naive")}
    for side in ("forecast", "seasonal_naive"):
        flat |= {f"{side}_{m}": row[side][m] for m in forecast_accuracy.MEASURES}
    return flat


@blp.route("/forecast-accuracy")
class Accuracy(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(AccuracyQuerySchema(), location="query")
    @blp.response(200, AccuracySchema)
    def get(self, args):
        """Realised accuracy of the stored forecasts whose periods have ended, overall and per
        demand class: MASE, RMSSE, bias, scaled pinball loss, 80%/95% coverage, each beside
        seasonal naive from the history known at the forecast's origin."""
        finance_reports.check_filters(args)  # a report on a warehouse that is not there: 404
        date_from, date_to = forecast_reports.default_range(
            args.get("date_from"), args.get("date_to")
        )
        return forecast_accuracy.report(date_from, date_to, args.get("warehouse_id"))


@blp.route("/forecast-accuracy/items")
class AccuracyItems(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(AccuracyItemQuerySchema(), location="query")
    @blp.response(200, AccuracyItemSchema(many=True))
    @exports.export_responses(blp, "every measured item and warehouse, ours beside naive")
    @blp.paged()
    def get(self, args, pagination_parameters):
        """The accuracy per item and warehouse, by item; as a CSV or XLSX file with ``format``
        or an Accept header."""
        fmt = exports.requested_format(args.pop("format", None))
        finance_reports.check_filters(args)
        date_from, date_to = forecast_reports.default_range(
            args.pop("date_from", None), args.pop("date_to", None)
        )
        rows = forecast_accuracy.items(date_from, date_to, **args)
        if fmt != "json":
            return exports.download(
                [_flat(r) for r in rows],
                ACCURACY_COLUMNS,
                fmt,
                name=f"forecast-accuracy-{date_to.isoformat()}",
                sheet="Forecast accuracy",
                too_many="Narrow the dates or pick a warehouse.",
            )
        size = pagination_parameters.page_size
        pagination_parameters.item_count = len(rows)
        first = (pagination_parameters.page - 1) * size
        return rows[first : first + size]
