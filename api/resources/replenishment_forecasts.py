"""Forecasts: an item's demand history beside its stored forecast. Everyone reads."""

from __future__ import annotations

from flask.views import MethodView

from api.auth import EVERYONE, roles
from api.blueprint import Blueprint
from api.schemas.replenishment import ItemForecastQuerySchema, ItemForecastSchema
from inventory.services import forecast_reports

blp = Blueprint(
    "forecasts",
    __name__,
    url_prefix="/api/v1",
    description="Demand forecasts: an item's history and forecast",
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
