"""Purchase orders for receipt tests, written straight through the ORM (status sent, exchange
rate fixed) so receipt tests do not hang on the ordering and approval flow."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from inventory import clock
from inventory.db import queries
from inventory.db.base import db
from inventory.db.procurement_models import (
    InspectionPlan,
    PurchaseOrder,
    PurchaseOrderLine,
    StatusChange,
    Supplier,
    SupplierItem,
)


@dataclass(frozen=True)
class Order:
    id: int
    supplier_id: int
    warehouse_id: int
    lines: list[int]


_count = 0


def supplier(currency: str = "EUR") -> int:
    global _count
    _count += 1
    now = clock.now()
    row = Supplier(
        code=f"S{_count}",
        name=f"Supplier {_count}",
        currency=currency,
        created_at=now,
        updated_at=now,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def supplier_item(supplier_id: int, item_id: int, price: str = "1") -> int:
    row = SupplierItem(supplier_id=supplier_id, item_id=item_id, unit_price=Decimal(price))
    db.session.add(row)
    db.session.commit()
    return row.id


def order(
    make,
    lines: list[tuple[int, str, str]],
    *,
    warehouse_id: int | None = None,
    supplier_id: int | None = None,
    currency: str = "EUR",
    rate: str | None = "1",
    status: str = "sent",
) -> Order:
    """An order with ``(item_id, quantity, unit_price)`` lines."""
    warehouse_id = warehouse_id or make.warehouse()
    supplier_id = supplier_id or supplier(currency)
    now = clock.now()
    po = PurchaseOrder(
        supplier_id=supplier_id,
        warehouse_id=warehouse_id,
        status=status,
        currency=currency,
        exchange_rate=None if rate is None else Decimal(rate),
        created_by=make.admin.id,
        created_at=now,
        updated_at=now,
        sent_at=None if status == "draft" else now,
    )
    db.session.add(po)
    db.session.flush()
    rows = [
        PurchaseOrderLine(
            order_id=po.id,
            line_no=i + 1,
            item_id=item_id,
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
        )
        for i, (item_id, quantity, price) in enumerate(lines)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return Order(po.id, supplier_id, warehouse_id, [r.id for r in rows])


def plan(item_id: int, mode: str, aql: str | None = None, supplier_item_id: int | None = None):
    row = InspectionPlan(
        item_id=item_id,
        supplier_item_id=supplier_item_id,
        mode=mode,
        aql=None if aql is None else Decimal(aql),
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def order_state(order_id: int) -> tuple[str, list[Decimal]]:
    db.session.rollback()
    po = db.session.get(PurchaseOrder, order_id)
    lines = db.session.scalars(
        select(PurchaseOrderLine.received_quantity)
        .where(PurchaseOrderLine.order_id == order_id)
        .order_by(PurchaseOrderLine.id)
    ).all()
    return po.status, list(lines)


def status_changes(order_id: int) -> list[tuple[str | None, str]]:
    return [
        (r.from_status, r.to_status)
        for r in db.session.execute(
            select(StatusChange.from_status, StatusChange.to_status)
            .where(
                StatusChange.subject_type == "purchase_order", StatusChange.subject_id == order_id
            )
            .order_by(StatusChange.id)
        )
    ]


def on_hand(item_id: int, warehouse_id: int) -> tuple[Decimal, Decimal]:
    db.session.rollback()
    for row in queries.stock_on_hand(item_id):
        if row["warehouse_id"] == warehouse_id:
            return row["quantity"], row["value"]
    return Decimal(0), Decimal(0)


def count(table) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(table))
