"""Read models: what the API lists and shows, straight from SQL (no domain objects)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, bindparam, func, or_, select

from inventory.db.base import db
from inventory.db.models import (
    AuditEvent,
    Item,
    StockBalance,
    StockDocument,
    StockDocumentLine,
    StockLedger,
    Warehouse,
)


def containing(column, text: str):
    """``column`` holds ``text``, ignoring case; "%" and "_" are searched for as themselves,
    not as LIKE's wildcards (a search for "_" matched every row)."""
    return func.lower(column).contains(text.lower(), autoescape=True)


def page(query: Select, page_no: int, page_size: int) -> tuple[list[dict], int]:
    """One page of ``query`` as dicts, and the total row count."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.execute(query.limit(page_size).offset((page_no - 1) * page_size))
    return [dict(row._mapping) for row in rows], total or 0


def first_rows(query: Select, limit: int) -> list[dict]:
    """At most ``limit`` rows of ``query`` as dicts, unpaged (what an export reads)."""
    return [dict(row._mapping) for row in db.session.execute(query.limit(limit))]


def streamed_rows(query: Select, chunk: int = 2000):
    """Every row of ``query`` as dicts, fetched ``chunk`` at a time (a server-side cursor on
    PostgreSQL), so a large export never holds them all."""
    for row in db.session.execute(query.execution_options(yield_per=chunk)):
        yield dict(row._mapping)


def _sorted(query: Select, columns: dict, sort: str | None, default: str) -> Select:
    key = sort or default
    descending = key.startswith("-")
    column = columns[key.lstrip("-")]
    return query.order_by(column.desc() if descending else column.asc(), columns["id"])


ITEM_SORTS = {
    "id": Item.id,
    "sku": Item.sku,
    "name": Item.name,
    "category": Item.category,
    "created_at": Item.created_at,
}
WAREHOUSE_SORTS = {"id": Warehouse.id, "code": Warehouse.code, "name": Warehouse.name}


def items(
    *,
    q: str | None = None,
    category: str | None = None,
    active: bool | None = None,
    sort: str | None = None,
) -> Select:
    query = select(*[c for c in Item.__table__.c])
    if q:
        query = query.where(or_(containing(Item.sku, q), containing(Item.name, q)))
    if category is not None:
        query = query.where(Item.category == category)
    if active is not None:
        query = query.where(Item.active.is_(active))
    return _sorted(query, ITEM_SORTS, sort, "sku")


def warehouses(*, active: bool | None = None, sort: str | None = None) -> Select:
    query = select(*[c for c in Warehouse.__table__.c])
    if active is not None:
        query = query.where(Warehouse.active.is_(active))
    return _sorted(query, WAREHOUSE_SORTS, sort, "code")


def balances(
    *, item_id: int | None = None, warehouse_id: int | None = None, as_of: datetime | None = None
) -> Select:
    """Stock on hand per item and warehouse: from the balance rows, or as of a past moment
    from the ledger itself."""
    if as_of is None:
        query = select(
            StockBalance.item_id,
            StockBalance.warehouse_id,
            StockBalance.quantity,
            StockBalance.value,
        )
        table = StockBalance
    else:
        query = (
            select(
                StockLedger.item_id,
                StockLedger.warehouse_id,
                func.sum(StockLedger.quantity).label("quantity"),
                func.sum(StockLedger.value).label("value"),
            )
            .where(StockLedger.posted_at <= as_of)
            .group_by(StockLedger.item_id, StockLedger.warehouse_id)
        )
        table = StockLedger
    if item_id is not None:
        query = query.where(table.item_id == item_id)
    if warehouse_id is not None:
        query = query.where(table.warehouse_id == warehouse_id)
    return query.order_by(table.item_id, table.warehouse_id)


def balance_report(
    *, item_id: int | None = None, warehouse_id: int | None = None, as_of: datetime | None = None
) -> Select:
    """``balances`` with each item's sku and name and the warehouse's code, for the export."""
    base = balances(item_id=item_id, warehouse_id=warehouse_id, as_of=as_of)
    on_hand = base.order_by(None).subquery()
    return (
        select(
            on_hand.c.item_id,
            Item.sku.label("item_sku"),
            Item.name.label("item_name"),
            on_hand.c.warehouse_id,
            Warehouse.code.label("warehouse_code"),
            on_hand.c.quantity,
            on_hand.c.value,
        )
        .join(Item, Item.id == on_hand.c.item_id)
        .join(Warehouse, Warehouse.id == on_hand.c.warehouse_id)
        .order_by(on_hand.c.item_id, on_hand.c.warehouse_id)
    )


def stock_on_hand(item_id: int) -> list[dict]:
    return [dict(r._mapping) for r in db.session.execute(balances(item_id=item_id))]


def item_ledger(
    item_id: int,
    *,
    warehouse_id: int | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    newest_first: bool = False,
) -> Select:
    """The item's ledger entries with the balance after each, oldest first (the API), or
    newest first (the item page, which shows the latest movements on its first page)."""
    query = (
        select(
            StockLedger.id,
            StockLedger.posted_at,
            StockLedger.document_id,
            StockDocument.type.label("document_type"),
            StockDocument.reference,
            StockLedger.warehouse_id,
            StockLedger.quantity,
            StockLedger.unit_cost,
            StockLedger.value,
            StockLedger.balance_quantity,
            StockLedger.balance_value,
            StockLedger.reversal,
            StockLedger.actor_id,
        )
        .join(StockDocument, StockDocument.id == StockLedger.document_id)
        .where(StockLedger.item_id == item_id)
    )
    if warehouse_id is not None:
        query = query.where(StockLedger.warehouse_id == warehouse_id)
    if date_from is not None:
        query = query.where(StockLedger.posted_at >= date_from)
    if date_to is not None:
        query = query.where(StockLedger.posted_at <= date_to)
    # ``id + 0``: ordered by the bare id, PostgreSQL walks the whole primary key filtering on
    # the item (0.5-5 s on 4.4M rows); this way it reads the item's rows by their index and
    # sorts those (~50 ms). The order is the same.
    in_order = StockLedger.id + 0
    return query.order_by(in_order.desc() if newest_first else in_order)


def documents(
    *, status: str | None = None, type_: str | None = None, warehouse_id: int | None = None
) -> Select:
    query = select(*[c for c in StockDocument.__table__.c])
    if status:
        query = query.where(StockDocument.status == status)
    if type_:
        query = query.where(StockDocument.type == type_)
    if warehouse_id is not None:
        query = query.where(
            (StockDocument.warehouse_id == warehouse_id)
            | (StockDocument.to_warehouse_id == warehouse_id)
        )
    return query.order_by(StockDocument.id.desc())


# Built once: the read-back after every posting is on the hot path.
_DOCUMENT = select(*StockDocument.__table__.c).where(StockDocument.id == bindparam("document_id"))
_DOCUMENT_LINES = (
    select(
        StockDocumentLine.id,
        StockDocumentLine.line_no,
        StockDocumentLine.item_id,
        StockDocumentLine.quantity,
        StockDocumentLine.unit_cost,
    )
    .where(StockDocumentLine.document_id == bindparam("document_id"))
    .order_by(StockDocumentLine.line_no)
)


def document(document_id: int) -> dict | None:
    params = {"document_id": document_id}
    row = db.session.execute(_DOCUMENT, params).first()
    if row is None:
        return None
    lines = db.session.execute(_DOCUMENT_LINES, params)
    return {**dict(row._mapping), "lines": [dict(r._mapping) for r in lines]}


def audit_events(
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor_id: int | None = None,
    since: datetime | None = None,
) -> Select:
    query = select(*[c for c in AuditEvent.__table__.c])
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return query.order_by(AuditEvent.id.desc())
