"""Demand forecasting for reorder suggestions: plain pandas and statsforecast, no Flask and no
SQLAlchemy (see DESIGN.md). Empty until the reorder-suggestions issue is taken; the package
exists now so the layout the design card fixes holds from the start."""
