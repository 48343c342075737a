"""Items and warehouses: create, update under an ETag check, deactivate, delete if unused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inventory import clock
from inventory.db import usage_queries, valuation_writes
from inventory.db.models import Item, Warehouse
from inventory.domain import numbers as n
from inventory.domain.actors import Actor
from inventory.errors import Conflict, NotFound, ValidationFailed
from inventory.services import audit, codes
from inventory.services.tx import transaction

ITEM_FIELDS = (
    "sku",
    "name",
    "category",
    "unit_of_measure",
    "valuation_cost",
    "valuation_method",
    "active",
)
VALUATION_METHODS = ("moving_average", "fifo")
WAREHOUSE_FIELDS = ("code", "name", "active")

_KINDS = {
    "item": (Item, ITEM_FIELDS, "sku"),
    "warehouse": (Warehouse, WAREHOUSE_FIELDS, "code"),
}


def snapshot(row, fields) -> dict[str, Any]:
    return {
        "id": row.id,
        **{f: getattr(row, f) for f in fields},
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _check_values(kind: str, values: dict) -> None:
    method = values.get("valuation_method")
    if method is not None and method not in VALUATION_METHODS:
        raise ValidationFailed(
            "The valuation method is not valid.",
            errors={"valuation_method": [f"One of: {', '.join(VALUATION_METHODS)}."]},
        )
    cost = values.get("valuation_cost")
    if cost is not None and (cost < 0 or n.places(cost) > n.COST_PLACES):
        raise ValidationFailed(
            "The valuation cost is not valid.",
            errors={
                "valuation_cost": [
                    f"Use a non-negative cost with at most {n.COST_PLACES} decimal places."
                ]
            },
        )


def _unique(session, model, key: str, value: str, exclude_id: int | None = None) -> None:
    label = "SKU" if key == "sku" else key
    codes.check_free(session, getattr(model, key), value, model.__tablename__, label, exclude_id)


def create(kind: str, actor: Actor, values: dict) -> dict:
    model, fields, key = _KINDS[kind]
    _check_values(kind, values)
    with transaction() as session:
        _unique(session, model, key, values[key])
        now = clock.now()
        if model is Item:
            values = {
                **values,
                "valuation_cost": n.cost(values.get("valuation_cost") or 0),
                "valuation_method": values.get("valuation_method") or "moving_average",
            }
        row = model(
            **{f: v for f, v in values.items() if f in fields}, created_at=now, updated_at=now
        )
        if row.active is None:
            row.active = True
        session.add(row)
        session.flush()
        after = snapshot(row, fields)
        audit.record(actor, f"{kind}.create", kind, row.id, after=after)
    return after


def get(kind: str, row_id: int) -> dict:
    model, fields, _ = _KINDS[kind]
    with transaction() as session:
        row = session.get(model, row_id)
        if row is None:
            raise NotFound(f"No {kind} with id {row_id}.")
        return snapshot(row, fields)


def update(
    kind: str, actor: Actor, row_id: int, changes: dict, check_current: Callable[[dict], None]
) -> dict:
    """Apply ``changes`` if ``check_current`` accepts the record as it is now (the If-Match)."""
    model, fields, key = _KINDS[kind]
    _check_values(kind, changes)
    if changes.get("valuation_cost") is not None:
        # As on create: the row then holds (and the answer shows) "6.0000", not the "6" sent.
        changes = {**changes, "valuation_cost": n.cost(changes["valuation_cost"])}
    with transaction() as session:
        row = session.get(model, row_id, with_for_update={"key_share": True})
        if row is None:
            raise NotFound(f"No {kind} with id {row_id}.")
        before = snapshot(row, fields)
        check_current(before)
        if key in changes and changes[key] != getattr(row, key):
            _unique(session, model, key, changes[key], exclude_id=row_id)
        if model is Item and changes.get("unit_of_measure", row.unit_of_measure) != (
            row.unit_of_measure
        ):
            _check_unit_unused(session, row)
        if model is Item and changes.get("valuation_method", row.valuation_method) != (
            row.valuation_method
        ):
            _check_no_stock(session, row)
        for field, value in changes.items():
            if field in fields:
                setattr(row, field, value)
        row.updated_at = clock.now()
        session.flush()
        after = snapshot(row, fields)
        audit.record(actor, f"{kind}.update", kind, row_id, before=before, after=after)
    return after


def _check_unit_unused(session, item: Item) -> None:
    # Ledger quantities are in the item's unit: renaming it would silently turn 10 boxes into
    # 10 kg, history and balances alike. Allow it only before the first movement.
    if usage_queries.item_has_movements(session, item.id):
        raise Conflict(
            f"Item {item.sku} has stock movements recorded in {item.unit_of_measure!r}, so its "
            "unit of measure cannot change. Create a new item with the new unit, move the stock "
            "over (issue here, receive there) and deactivate this one.",
            errors={
                "unit_of_measure": [f"The item has stock movements in {item.unit_of_measure!r}."]
            },
        )


def _check_no_stock(session, item: Item) -> None:
    # The layers of a FIFO item must account for all its stock, and a moving-average balance
    # has none: the method changes only while there is nothing to revalue.
    held = valuation_writes.lock_item_stock(session, item.id)
    if held:
        raise Conflict(
            f"Item {item.sku} holds {held} {item.unit_of_measure} in stock, so its valuation "
            f"method cannot change from {item.valuation_method}. Issue or transfer the stock "
            "out first (or change the method of a new item).",
            errors={"valuation_method": [f"The item holds {held} in stock."]},
        )


def set_active(kind: str, actor: Actor, row_id: int, active: bool) -> dict:
    model, fields, _ = _KINDS[kind]
    with transaction() as session:
        row = session.get(model, row_id, with_for_update={"key_share": True})
        if row is None:
            raise NotFound(f"No {kind} with id {row_id}.")
        before = snapshot(row, fields)
        row.active = active
        row.updated_at = clock.now()
        session.flush()
        after = snapshot(row, fields)
        action = "activate" if active else "deactivate"
        audit.record(actor, f"{kind}.{action}", kind, row_id, before=before, after=after)
    return after


def delete(kind: str, actor: Actor, row_id: int) -> None:
    """Delete a record nothing refers to yet; once referenced, it can only be deactivated."""
    model, fields, _ = _KINDS[kind]
    with transaction() as session:
        row = session.get(model, row_id, with_for_update=True)
        if row is None:
            raise NotFound(f"No {kind} with id {row_id}.")
        if usage_queries.is_referenced(session, kind, row_id):
            raise Conflict(
                f"This {kind} is used by stock documents, stocktakes or the ledger, so it cannot "
                "be deleted. "
                f"Deactivate it instead (POST .../{row_id}/deactivate)."
            )
        before = snapshot(row, fields)
        session.delete(row)
        audit.record(actor, f"{kind}.delete", kind, row_id, before=before)
