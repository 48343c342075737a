"""Read models for stocktakes, straight from SQL."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from inventory.db.base import db
from inventory.db.models import Item, StockDocument, Stocktake, StocktakeLine

_line_count = (
    select(func.count())
    .where(StocktakeLine.stocktake_id == Stocktake.id)
    .correlate(Stocktake)
    .scalar_subquery()
)
_counted_count = (
    select(func.count())
    .where(StocktakeLine.stocktake_id == Stocktake.id, StocktakeLine.counted_quantity.is_not(None))
    .correlate(Stocktake)
    .scalar_subquery()
)


def _header() -> Select:
    return select(
        *[c for c in Stocktake.__table__.c],
        _line_count.label("lines_total"),
        _counted_count.label("lines_counted"),
    )


def stocktakes(*, status: str | None = None, warehouse_id: int | None = None) -> Select:
    query = _header()
    if status:
        query = query.where(Stocktake.status == status)
    if warehouse_id is not None:
        query = query.where(Stocktake.warehouse_id == warehouse_id)
    return query.order_by(Stocktake.id.desc())


def stocktake(stocktake_id: int) -> dict | None:
    row = db.session.execute(_header().where(Stocktake.id == stocktake_id)).first()
    return None if row is None else dict(row._mapping)


def _lines(stocktake_id: int):
    return (
        select(
            StocktakeLine.id,
            StocktakeLine.item_id,
            Item.sku,
            Item.name.label("item_name"),
            StocktakeLine.counted_quantity,
            StocktakeLine.book_quantity,
            StocktakeLine.book_unit_cost,
            StocktakeLine.count_number,
            StocktakeLine.counted_by,
            StocktakeLine.counted_at,
        )
        .join(Item, Item.id == StocktakeLine.item_id)
        .where(StocktakeLine.stocktake_id == stocktake_id)
    )


def stocktake_lines(stocktake_id: int) -> list[dict]:
    rows = db.session.execute(_lines(stocktake_id).order_by(Item.sku, StocktakeLine.id))
    return [dict(r._mapping) for r in rows]


def adjustment_documents(stocktake_id: int, first_id: int | None, how_many: int) -> list[int]:
    """The documents posting wrote: ``first_id`` and, for a count too large for one document,
    those after it from the same stocktake (``source`` has no index; the id range bounds the scan).
    """
    if first_id is None or how_many <= 1:
        return [] if first_id is None else [first_id]
    return list(
        db.session.scalars(
            select(StockDocument.id)
            .where(
                StockDocument.id >= first_id,
                StockDocument.source == f"stocktake:{stocktake_id}",
            )
            .order_by(StockDocument.id)
            .limit(how_many)
        )
    )


def sheet_lines(
    stocktake_id: int,
    *,
    counted: bool | None = None,
    varied: bool = False,
    item_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict]:
    """``stocktake_lines`` filtered in SQL, so a page of a 10,000-line count reads only what it
    shows: ``counted`` True/False for counted or uncounted lines, ``varied`` for counted lines
    whose count differs from the book (the only ones that can be out of tolerance)."""
    query = _lines(stocktake_id)
    if counted is True or varied:
        query = query.where(StocktakeLine.counted_quantity.is_not(None))
    elif counted is False:
        query = query.where(StocktakeLine.counted_quantity.is_(None))
    if varied:
        query = query.where(StocktakeLine.counted_quantity != StocktakeLine.book_quantity)
    if item_id is not None:
        query = query.where(StocktakeLine.item_id == item_id)
    query = query.order_by(Item.sku, StocktakeLine.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [dict(r._mapping) for r in db.session.execute(query)]
