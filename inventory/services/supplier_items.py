"""Supplier items: a supplier's SKU, price and price breaks, MOQ, pack size and lead time for
one item. Price breaks are replaced as a whole list."""

from __future__ import annotations

from collections.abc import Callable

from inventory.db import purchasing_queries as pq
from inventory.db import supplier_queries, supplier_writes
from inventory.db.models import Item
from inventory.db.procurement_models import (
    Supplier,
    SupplierItem,
)
from inventory.domain import pricing as p
from inventory.domain.actors import Actor
from inventory.domain.pricing import PriceBreak
from inventory.errors import Conflict, NotFound, ValidationFailed
from inventory.services import audit
from inventory.services.tx import retrying, transaction

ITEM_FIELDS = (
    "supplier_sku",
    "unit_price",
    "min_order_quantity",
    "pack_size",
    "lead_time_days",
    "preferred",
    "active",
)


def _snapshot(row, fields) -> dict:
    return {"id": row.id, **{f: getattr(row, f) for f in fields}}


def _breaks(values: dict) -> list[PriceBreak] | None:
    raw = values.get("price_breaks")
    if raw is None:
        return None
    return [PriceBreak(b["min_quantity"], b["unit_price"]) for b in raw]


def _item_snapshot(session, row: SupplierItem) -> dict:
    breaks = supplier_queries.price_break_rows(session, row.id)
    return {
        **_snapshot(row, ITEM_FIELDS),
        "item_id": row.item_id,
        "price_breaks": [[b.min_quantity, b.unit_price] for b in breaks],
    }


def _write_breaks(session, supplier_item_id: int, breaks: list[PriceBreak]) -> None:
    supplier_writes.replace_price_breaks(session, supplier_item_id, breaks)


@retrying
def create_supplier_item(actor: Actor, supplier_id: int, values: dict) -> int:
    breaks = _breaks(values) or []
    p.check_supplier_item({**values, "price_breaks": breaks})
    with transaction() as session:
        supplier = session.get(Supplier, supplier_id)
        if supplier is None:
            raise NotFound(f"No supplier with id {supplier_id}.")
        if session.get(Item, values["item_id"]) is None:
            raise ValidationFailed(
                "The supplier item refers to an unknown item.",
                errors={"item_id": [f"No item with id {values['item_id']}."]},
            )
        taken = supplier_queries.supplier_item_id(session, supplier_id, values["item_id"])
        if taken is not None:
            raise Conflict(
                f"Supplier {supplier.code} already offers item {values['item_id']} "
                f"(supplier item {taken}); change that one instead.",
                errors={"item_id": ["Already offered by this supplier."]},
                extra={"supplier_item_id": taken},
            )
        row = SupplierItem(
            supplier_id=supplier_id,
            item_id=values["item_id"],
            **{f: values[f] for f in ITEM_FIELDS if f in values},
        )
        session.add(row)
        session.flush()
        _write_breaks(session, row.id, breaks)
        session.flush()
        audit.record(
            actor,
            "supplier_item.create",
            "supplier_item",
            row.id,
            after=_item_snapshot(session, row),
        )
        return row.id


def _locked_item(session, supplier_id: int, supplier_item_id: int) -> SupplierItem:
    row = session.get(SupplierItem, supplier_item_id, with_for_update=True)
    if row is None or row.supplier_id != supplier_id:
        raise NotFound(f"Supplier {supplier_id} has no supplier item with id {supplier_item_id}.")
    return row


def get_supplier_item(supplier_id: int, supplier_item_id: int) -> dict:
    with transaction():
        found = pq.supplier_item(supplier_id, supplier_item_id)
    if found is None:
        raise NotFound(f"Supplier {supplier_id} has no supplier item with id {supplier_item_id}.")
    return found


@retrying
def update_supplier_item(
    actor: Actor,
    supplier_id: int,
    supplier_item_id: int,
    changes: dict,
    check_current: Callable[[dict], None],
) -> int:
    """Change a supplier item; ``price_breaks``, when given, replaces the whole list."""
    breaks = _breaks(changes)
    p.check_supplier_item({**changes, "price_breaks": breaks})
    with transaction() as session:
        row = _locked_item(session, supplier_id, supplier_item_id)
        check_current(pq.supplier_item(supplier_id, supplier_item_id))
        before = _item_snapshot(session, row)
        for field in ITEM_FIELDS:
            if field in changes:
                setattr(row, field, changes[field])
        if breaks is not None:
            _write_breaks(session, row.id, breaks)
        session.flush()
        audit.record(
            actor,
            "supplier_item.update",
            "supplier_item",
            row.id,
            before=before,
            after=_item_snapshot(session, row),
        )
        return row.id


@retrying
def delete_supplier_item(actor: Actor, supplier_id: int, supplier_item_id: int) -> None:
    """Delete a supplier item no order refers to; once ordered, it can only be deactivated."""
    with transaction() as session:
        row = _locked_item(session, supplier_id, supplier_item_id)
        if supplier_queries.supplier_item_ordered(session, supplier_item_id):
            raise Conflict(
                "Purchase orders refer to this supplier item, so it cannot be deleted; "
                'deactivate it instead (PATCH with {"active": false}).'
            )
        before = _item_snapshot(session, row)
        supplier_writes.delete_price_breaks(session, row.id)
        session.delete(row)
        audit.record(
            actor, "supplier_item.delete", "supplier_item", supplier_item_id, before=before
        )
