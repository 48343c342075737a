"""Demand forecasting for reorder suggestions: pandas frames in, pandas frames out, models from
statsforecast. Imports nothing from inventory, api, Flask or SQLAlchemy (see DESIGN.md)."""

from .classify import ADI_CUT, CV2_CUT, DEMAND_CLASSES, classify
from .core import DEFAULT_QUANTILES, MAX_HORIZON, ForecastResult, forecast

__all__ = [
    "ADI_CUT",
    "CV2_CUT",
    "DEFAULT_QUANTILES",
    "DEMAND_CLASSES",
    "MAX_HORIZON",
    "ForecastResult",
    "classify",
    "forecast",
]
