from __future__ import annotations

import marshmallow as ma

from delivery.schemas.common import Amount, Code, Flag, Id, Text, When, sort_field
from inventory.db.queries import ITEM_SORTS, WAREHOUSE_SORTS


def VALUATION_METHOD(**kwargs) -> ma.fields.String:  # noqa: N802 - reads as a field type
    return ma.fields.String(
        validate=ma.validate.OneOf(["moving_average", "fifo"]),
        metadata={
            "description": "How stock leaves: at the moving average cost, or FIFO (oldest cost "
            "layers first). Changes only while the item holds no stock (else 409)."
        },
        **kwargs,
    )


class ItemSchema(ma.Schema):
    class Meta:
        example = {
            "sku": "BOLT-M8",
            "name": "Hex bolt M8 x 40",
            "category": "fasteners",
            "unit_of_measure": "pcs",
            "valuation_cost": "0.12",
        }

    id = Id(dump_only=True)
    sku = Code(64, required=True)
    name = Text(200, min_length=1, required=True)
    category = Text(100, load_default="")
    unit_of_measure = Text(20, min_length=1, required=True)
    valuation_cost = Amount(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Standard cost used when stock comes in "
            "without one (positive adjustments)."
        },
    )
    valuation_method = VALUATION_METHOD(load_default="moving_average")
    active = Flag(dump_only=True)
    created_at = When(dump_only=True)
    updated_at = When(dump_only=True)


class ItemUpdateSchema(ma.Schema):
    class Meta:
        example = {"name": "Hex bolt M8 x 40, zinc plated", "valuation_cost": "0.14"}

    sku = Code(64)
    name = Text(200, min_length=1)
    category = Text(100)
    unit_of_measure = Text(20, min_length=1)
    valuation_cost = Amount()
    valuation_method = VALUATION_METHOD()


class ItemQuerySchema(ma.Schema):
    q = Text(100, metadata={"description": "Search SKU and name."})
    category = Text(100)
    active = Flag()
    sort = sort_field(ITEM_SORTS)


class WarehouseSchema(ma.Schema):
    class Meta:
        example = {"code": "MAIN", "name": "Main warehouse"}

    id = Id(dump_only=True)
    code = Code(32, required=True)
    name = Text(200, min_length=1, required=True)
    active = Flag(dump_only=True)
    created_at = When(dump_only=True)
    updated_at = When(dump_only=True)


class WarehouseUpdateSchema(ma.Schema):
    class Meta:
        example = {"name": "Main warehouse, hall B"}

    code = Code(32)
    name = Text(200, min_length=1)


class WarehouseQuerySchema(ma.Schema):
    active = Flag()
    sort = sort_field(WAREHOUSE_SORTS)
