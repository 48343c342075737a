"""The one writer of a supplier item's price breaks."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from inventory.db.procurement_models import SupplierPriceBreak
from inventory.domain.pricing import PriceBreak


def delete_price_breaks(session: Session, supplier_item_id: int) -> None:
    session.execute(
        delete(SupplierPriceBreak).where(SupplierPriceBreak.supplier_item_id == supplier_item_id)
    )


def replace_price_breaks(session: Session, supplier_item_id: int, breaks: list[PriceBreak]) -> None:
    """The supplier item's breaks become ``breaks`` (added to the session, flushed with it)."""
    delete_price_breaks(session, supplier_item_id)
    if breaks:
        session.add_all(
            SupplierPriceBreak(
                supplier_item_id=supplier_item_id,
                min_quantity=b.min_quantity,
                unit_price=b.unit_price,
            )
            for b in breaks
        )
