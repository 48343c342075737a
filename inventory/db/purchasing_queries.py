"""Read models for suppliers, their items, exchange rates and purchase orders, from SQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, func, or_, select

from inventory.db.base import db
from inventory.db.models import Item
from inventory.db.procurement_models import (
    ExchangeRate,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequestLine,
    Supplier,
    SupplierItem,
    SupplierPriceBreak,
    SupplierScore,
)
from inventory.db.queries import _sorted, containing
from inventory.domain import orders as o
from inventory.domain.pricing import BASE_CURRENCY

SUPPLIER_SORTS = {
    "id": Supplier.id,
    "code": Supplier.code,
    "name": Supplier.name,
    "score": SupplierScore.score,
    "created_at": Supplier.created_at,
}
ORDER_SORTS = {
    "id": PurchaseOrder.id,
    "created_at": PurchaseOrder.created_at,
    "sent_at": PurchaseOrder.sent_at,
    "total": PurchaseOrder.total,
}


def _supplier_header() -> Select:
    return select(
        *[c for c in Supplier.__table__.c],
        SupplierScore.score,
        SupplierScore.grade,
    ).outerjoin(SupplierScore, SupplierScore.supplier_id == Supplier.id)


def suppliers(
    *,
    q: str | None = None,
    status: str | None = None,
    currency: str | None = None,
    sort: str | None = None,
) -> Select:
    query = _supplier_header()
    if q:
        query = query.where(or_(containing(Supplier.code, q), containing(Supplier.name, q)))
    if status is not None:
        query = query.where(Supplier.status == status)
    if currency is not None:
        query = query.where(Supplier.currency == currency)
    return _sorted(query, SUPPLIER_SORTS, sort, "code")


def supplier(supplier_id: int) -> dict | None:
    row = db.session.execute(_supplier_header().where(Supplier.id == supplier_id)).first()
    return None if row is None else dict(row._mapping)


def supplier_items(
    supplier_id: int | None = None, *, item_id: int | None = None, active: bool | None = None
) -> Select:
    query = (
        select(
            *[c for c in SupplierItem.__table__.c],
            Item.sku,
            Item.name.label("item_name"),
            func.coalesce(SupplierItem.lead_time_days, Supplier.default_lead_time_days).label(
                "effective_lead_time_days"
            ),
            Supplier.currency,
        )
        .join(Item, Item.id == SupplierItem.item_id)
        .join(Supplier, Supplier.id == SupplierItem.supplier_id)
    )
    if supplier_id is not None:
        query = query.where(SupplierItem.supplier_id == supplier_id)
    if item_id is not None:
        query = query.where(SupplierItem.item_id == item_id)
    if active is not None:
        query = query.where(SupplierItem.active.is_(active))
    return query.order_by(Item.sku, SupplierItem.id)


def price_breaks(supplier_item_ids: list[int]) -> dict[int, list[dict]]:
    """Each supplier item's breaks, by ascending minimum quantity."""
    found: dict[int, list[dict]] = defaultdict(list)
    if not supplier_item_ids:
        return found
    rows = db.session.execute(
        select(
            SupplierPriceBreak.supplier_item_id,
            SupplierPriceBreak.min_quantity,
            SupplierPriceBreak.unit_price,
        )
        .where(SupplierPriceBreak.supplier_item_id.in_(supplier_item_ids))
        .order_by(SupplierPriceBreak.supplier_item_id, SupplierPriceBreak.min_quantity)
    )
    for row in rows:
        found[row.supplier_item_id].append(
            {"min_quantity": row.min_quantity, "unit_price": row.unit_price}
        )
    return found


def with_price_breaks(rows: list[dict]) -> list[dict]:
    breaks = price_breaks([row["id"] for row in rows])
    return [{**row, "price_breaks": breaks.get(row["id"], [])} for row in rows]


def supplier_item(supplier_id: int, supplier_item_id: int) -> dict | None:
    row = db.session.execute(
        supplier_items(supplier_id).where(SupplierItem.id == supplier_item_id)
    ).first()
    return None if row is None else with_price_breaks([dict(row._mapping)])[0]


def exchange_rates(*, currency: str | None = None, on: date | None = None) -> Select:
    """Rates newest first; with ``on``, only the rate in force that day for each currency."""
    query = select(*[c for c in ExchangeRate.__table__.c])
    if currency is not None:
        query = query.where(ExchangeRate.currency == currency)
    if on is not None:
        latest = (
            select(ExchangeRate.currency, func.max(ExchangeRate.valid_from).label("valid_from"))
            .where(ExchangeRate.valid_from <= on)
            .group_by(ExchangeRate.currency)
            .subquery()
        )
        query = query.join(
            latest,
            (latest.c.currency == ExchangeRate.currency)
            & (latest.c.valid_from == ExchangeRate.valid_from),
        )
    return query.order_by(ExchangeRate.currency, ExchangeRate.valid_from.desc())


def rates_on(currencies, day: date) -> dict[str, Decimal]:
    """The rate in force on ``day`` (latest ``valid_from`` ≤ day) for each of ``currencies``."""
    wanted = sorted(set(currencies) - {BASE_CURRENCY})
    if not wanted:
        return {}
    rows = db.session.execute(exchange_rates(on=day).where(ExchangeRate.currency.in_(wanted))).all()
    return {row.currency: row.rate for row in rows}


def _order_header() -> Select:
    return select(
        *[c for c in PurchaseOrder.__table__.c],
        Supplier.code.label("supplier_code"),
        Supplier.name.label("supplier_name"),
    ).join(Supplier, Supplier.id == PurchaseOrder.supplier_id)


def purchase_orders(
    *,
    status: str | None = None,
    supplier_id: int | None = None,
    warehouse_id: int | None = None,
    approval_status: str | None = None,
    item_id: int | None = None,
    request_id: int | None = None,
    sort: str | None = None,
) -> Select:
    query = _order_header()
    if status is not None:
        query = query.where(PurchaseOrder.status == status)
    if supplier_id is not None:
        query = query.where(PurchaseOrder.supplier_id == supplier_id)
    if warehouse_id is not None:
        query = query.where(PurchaseOrder.warehouse_id == warehouse_id)
    if approval_status is not None:
        query = query.where(PurchaseOrder.approval_status == approval_status)
    if item_id is not None:
        query = query.where(
            PurchaseOrder.id.in_(
                select(PurchaseOrderLine.order_id).where(PurchaseOrderLine.item_id == item_id)
            )
        )
    if request_id is not None:
        query = query.where(
            PurchaseOrder.id.in_(
                select(PurchaseOrderLine.order_id)
                .join(
                    PurchaseRequestLine,
                    PurchaseRequestLine.id == PurchaseOrderLine.request_line_id,
                )
                .where(PurchaseRequestLine.request_id == request_id)
            )
        )
    return _sorted(query, ORDER_SORTS, sort, "-id")


def total_base(row: dict) -> Decimal | None:
    """The order's total in the base currency, once its rate is known."""
    if row["currency"] == BASE_CURRENCY:
        return row["total"]
    if row["exchange_rate"] is None:
        return None
    return o.in_base(row["total"], row["exchange_rate"])


def with_total_base(rows: list[dict]) -> list[dict]:
    return [{**row, "total_base": total_base(row)} for row in rows]


def purchase_order(order_id: int) -> dict | None:
    """The order with its supplier, base total and lines."""
    row = db.session.execute(_order_header().where(PurchaseOrder.id == order_id)).first()
    if row is None:
        return None
    order = with_total_base([dict(row._mapping)])[0]
    lines = db.session.execute(
        select(
            *[c for c in PurchaseOrderLine.__table__.c],
            Item.sku,
            Item.name.label("item_name"),
            SupplierItem.supplier_sku,
            PurchaseRequestLine.request_id,
        )
        .join(Item, Item.id == PurchaseOrderLine.item_id)
        .outerjoin(SupplierItem, SupplierItem.id == PurchaseOrderLine.supplier_item_id)
        .outerjoin(PurchaseRequestLine, PurchaseRequestLine.id == PurchaseOrderLine.request_line_id)
        .where(PurchaseOrderLine.order_id == order_id)
        .order_by(PurchaseOrderLine.line_no)
    )
    order["lines"] = [
        {
            **line._mapping,
            "line_total": o.line_total(line.quantity, line.unit_price),
            "open_quantity": o.open_quantity(
                o.LineQuantities(
                    line.id, line.quantity, line.received_quantity, line.cancelled_quantity
                )
            ),
        }
        for line in lines
    ]
    return order
