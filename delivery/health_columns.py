"""The columns of the stock health and control reports as files, and which of them are money.

Apart from delivery/report_catalogue.py so the catalogue and the views (api/resources/
health_reports.py) both read them without importing each other.
"""

from __future__ import annotations

from delivery.exports import Column
from inventory.db import health_queries

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
    Column("cost_centre_id", "Cost centre id", "integer", width=8),
    Column("reference", "Reference", width=24),
    Column("quantity", "Quantity", "decimal", 3),
    Column("value", "Value", "decimal", 2),
    Column("budget_left", "Budget left", "decimal", 2),
    Column("detail", "Detail", width=40),
]
