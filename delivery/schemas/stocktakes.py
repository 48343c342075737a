from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import validate

from delivery.schemas.common import Amount, Flag, Id, QueryId, Text, When
from inventory.domain.stocktake import MAX_COUNT_LINES, MAX_QTY_PCT, StocktakeStatus


class StocktakeInSchema(ma.Schema):
    class Meta:
        example = {
            "warehouse_id": 1,
            "category": "fasteners",
            "quantity_tolerance_pct": "2",
            "value_tolerance": "50",
            "note": "Year-end count",
            "cost_centre_id": 1,
        }

    warehouse_id = Id(required=True)
    category = Text(
        100,
        min_length=1,
        load_default=None,
        allow_none=True,
        metadata={"description": "Count only this category; leave out to count every item."},
    )
    quantity_tolerance_pct = Amount(
        load_default=Decimal("2"),
        maximum=MAX_QTY_PCT,
        metadata={"description": "A line is out of tolerance beyond this % of its book quantity."},
    )
    value_tolerance = Amount(
        load_default=Decimal("50"),
        metadata={"description": "…or beyond this variance value."},
    )
    note = Text(2000, load_default="")
    cost_centre_id = Id(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The cost centre its write-offs are charged to (must exist and be "
            "active, also when it is posted); the cost of goods issued report shows its "
            "shortages under it."
        },
    )


class CountLineInSchema(ma.Schema):
    item_id = Id(required=True)
    counted_quantity = Amount(required=True, metadata={"description": "What is on the shelf."})


class CountsInSchema(ma.Schema):
    class Meta:
        example = {"lines": [{"item_id": 1, "counted_quantity": "48"}]}

    lines = ma.fields.List(
        ma.fields.Nested(CountLineInSchema),
        required=True,
        validate=validate.Length(1, MAX_COUNT_LINES),
        metadata={"description": "Counts; an item counted before is recounted."},
    )


class StocktakeQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf([s.value for s in StocktakeStatus]))
    warehouse_id = QueryId()


class StocktakeSummarySchema(ma.Schema):
    id = Id()
    warehouse_id = Id()
    category = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    quantity_tolerance_pct = Amount()
    value_tolerance = Amount()
    note = ma.fields.String()
    cost_centre_id = Id(allow_none=True)
    created_by = Id()
    created_at = When()
    approved_by = Id(allow_none=True)
    approved_at = When(allow_none=True)
    posted_by = Id(allow_none=True)
    posted_at = When(allow_none=True)
    document_id = Id(allow_none=True)
    lines_total = ma.fields.Integer()
    lines_counted = ma.fields.Integer()


class StocktakeLineSchema(ma.Schema):
    id = Id()
    item_id = Id()
    sku = ma.fields.String()
    item_name = ma.fields.String()
    counted_quantity = Amount(allow_none=True)
    count_number = ma.fields.Integer()
    counted_by = Id(allow_none=True)
    counted_at = When(allow_none=True)
    # Present only when the caller may see the book (see ``book_visible``).
    book_quantity = Amount(allow_none=True)
    book_unit_cost = Amount(allow_none=True)
    variance_quantity = Amount(signed=True, allow_none=True)
    variance_value = Amount(signed=True, allow_none=True)
    within_tolerance = Flag(allow_none=True)


class StocktakeSchema(StocktakeSummarySchema):
    book_visible = Flag(
        metadata={
            "description": "False while the count is blind to you: book quantities, variances "
            "and the figures built on them are left out until the stocktake is posted."
        }
    )
    lines = ma.fields.List(ma.fields.Nested(StocktakeLineSchema))
    document_ids = ma.fields.List(Id(), metadata={"description": "Adjustments posting wrote."})
    lines_out_of_tolerance = ma.fields.Integer()
    accuracy_pct = Amount(
        allow_none=True,
        metadata={"description": "Inventory record accuracy: % of counted lines in tolerance."},
    )
    variance_value_total = Amount(signed=True)
    needs_approval = Flag()
