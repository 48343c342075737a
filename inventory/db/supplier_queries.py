"""What the supplier services read inside their transactions: existence checks before a change,
a supplier item's price breaks for its audit snapshot, and the offers for items."""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from inventory.db.base import db
from inventory.db.models import Item
from inventory.db.procurement_models import (
    ExchangeRate,
    PurchaseOrderLine,
    Supplier,
    SupplierItem,
    SupplierPriceBreak,
    SupplierScore,
)


def price_break_rows(session: Session, supplier_item_id: int) -> list:
    """The supplier item's breaks, rows ``(min_quantity, unit_price)`` by quantity."""
    return session.execute(
        select(SupplierPriceBreak.min_quantity, SupplierPriceBreak.unit_price)
        .where(SupplierPriceBreak.supplier_item_id == supplier_item_id)
        .order_by(SupplierPriceBreak.min_quantity)
    ).all()


def supplier_item_id(session: Session, supplier_id: int, item_id: int) -> int | None:
    """The supplier's supplier item for ``item_id``, if it offers it."""
    return session.scalar(
        select(SupplierItem.id).where(
            SupplierItem.supplier_id == supplier_id, SupplierItem.item_id == item_id
        )
    )


def supplier_item_ordered(session: Session, supplier_item_id: int) -> bool:
    """Whether an order line refers to the supplier item."""
    return bool(
        session.scalar(
            select(exists().where(PurchaseOrderLine.supplier_item_id == supplier_item_id))
        )
    )


def supplier_has_items(session: Session, supplier_id: int) -> bool:
    return bool(session.scalar(select(exists().where(SupplierItem.supplier_id == supplier_id))))


def exchange_rate_id(session: Session, currency: str, valid_from: date) -> int | None:
    """The rate of ``currency`` valid from ``valid_from``, if there is one."""
    return session.scalar(
        select(ExchangeRate.id).where(
            ExchangeRate.currency == currency, ExchangeRate.valid_from == valid_from
        )
    )


def offer_rows(session: Session, item_ids: list[int], active_status: str) -> list:
    """Every active supplier item for ``item_ids`` of a supplier in ``active_status``, with the
    supplier's code, currency, default lead time and score, in supplier item id order."""
    return session.execute(
        select(
            SupplierItem.id,
            SupplierItem.item_id,
            SupplierItem.supplier_id,
            SupplierItem.unit_price,
            SupplierItem.min_order_quantity,
            SupplierItem.pack_size,
            SupplierItem.lead_time_days,
            SupplierItem.preferred,
            Supplier.code,
            Supplier.currency,
            Supplier.default_lead_time_days,
            SupplierScore.score,
        )
        .join(Supplier, Supplier.id == SupplierItem.supplier_id)
        .outerjoin(SupplierScore, SupplierScore.supplier_id == Supplier.id)
        .where(
            SupplierItem.item_id.in_(item_ids),
            SupplierItem.active.is_(True),
            Supplier.status == active_status,
        )
        .order_by(SupplierItem.id)
    ).all()


def offered_items(session: Session, supplier_id: int, item_ids) -> list[SupplierItem]:
    """The supplier's active supplier items for ``item_ids``."""
    return list(
        session.execute(
            select(SupplierItem).where(
                SupplierItem.supplier_id == supplier_id,
                SupplierItem.item_id.in_(item_ids),
                SupplierItem.active.is_(True),
            )
        ).scalars()
    )


def item_rows(session: Session, item_ids) -> list:
    """``(id, sku, active)`` of the items ``item_ids`` that exist."""
    return session.execute(
        select(Item.id, Item.sku, Item.active).where(Item.id.in_(item_ids))
    ).all()


def supplier_labels(supplier_ids) -> dict[int, str]:
    """``{id: "CODE Name"}`` for the given suppliers (those that exist)."""
    ids = sorted({i for i in supplier_ids if i is not None})
    if not ids:
        return {}
    rows = db.session.execute(
        select(Supplier.id, Supplier.code, Supplier.name).where(Supplier.id.in_(ids))
    )
    return {r.id: f"{r.code} {r.name}" for r in rows}
