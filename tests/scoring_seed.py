"""Receipt history for the scoring tests, written straight into the procurement tables (the
receipt services are not needed to score what was received)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from inventory.db.procurement_models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
)
from inventory.services.tx import transaction

AS_OF = date(2026, 6, 30)


def at(day: str, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


class Seeder:
    def __init__(self, make):
        self.make = make
        self.warehouse = make.warehouse()
        self.user = make.admin.id
        self._n = 0

    def supplier(self, code: str, currency: str = "EUR") -> int:
        now = datetime.now(UTC)
        with transaction() as session:
            row = Supplier(
                code=code, name=f"Supplier {code}", currency=currency, payment_terms="",
                default_lead_time_days=7, status="active", contact_name="", email="", phone="",
                created_at=now, updated_at=now,
            )  # fmt: skip
            session.add(row)
            session.flush()
            return row.id

    def order(self, supplier: int, lines, *, sent: str, currency="EUR", rate="1") -> list[int]:
        """``lines``: (item, quantity, unit price, promised date or None[, cancelled]); returns
        the order line ids."""
        with transaction() as session:
            order = PurchaseOrder(
                supplier_id=supplier, warehouse_id=self.warehouse, status="sent",
                currency=currency, exchange_rate=None if rate is None else Decimal(rate),
                total=Decimal(0), approval_status="not_required", next_step=0,
                created_by=self.user, created_at=at(sent), updated_at=at(sent), sent_at=at(sent),
            )  # fmt: skip
            session.add(order)
            session.flush()
            ids = []
            for no, (item, qty, price, promised, *cancelled) in enumerate(lines, start=1):
                line = PurchaseOrderLine(
                    order_id=order.id, line_no=no, item_id=item, quantity=Decimal(qty),
                    unit_price=Decimal(price),
                    promised_date=None if promised is None else date.fromisoformat(promised),
                    received_quantity=Decimal(0),
                    cancelled_quantity=Decimal(cancelled[0] if cancelled else 0),
                    suggestion_reason="",
                )  # fmt: skip
                session.add(line)
                session.flush()
                ids.append(line.id)
            return ids

    def receipt(self, po_lines, when: datetime, *, status: str = "posted") -> int:
        """``po_lines``: (order line id, received, accepted); copies the promise and the order's
        sent time onto the receipt lines, as the receipt service does."""
        with transaction() as session:
            first = session.get(PurchaseOrderLine, po_lines[0][0])
            order = session.get(PurchaseOrder, first.order_id)
            receipt = GoodsReceipt(
                order_id=order.id, supplier_id=order.supplier_id, warehouse_id=self.warehouse,
                status=status, received_by=self.user, received_at=when,
            )  # fmt: skip
            session.add(receipt)
            session.flush()
            for line_id, received, accepted in po_lines:
                line = session.get(PurchaseOrderLine, line_id)
                session.add(
                    GoodsReceiptLine(
                        receipt_id=receipt.id, po_line_id=line_id, item_id=line.item_id,
                        received=Decimal(received), accepted=Decimal(accepted),
                        rejected=Decimal(received) - Decimal(accepted), reason="",
                        unit_price=line.unit_price, promised_date=line.promised_date,
                        ordered_at=order.sent_at,
                    )
                )  # fmt: skip
            return receipt.id


def hand_example(make) -> dict:
    """The unit tests' hand example, through the tables: A (two parts, one late), B (one perfect
    delivery, priced in USD at 0.8 → 8.00 EUR), C (no promise, short), plus rows the window or
    the status leave out."""
    seed = Seeder(make)
    item = make.item()
    a, b, c = seed.supplier("A"), seed.supplier("B", "USD"), seed.supplier("C")
    (a_line,) = seed.order(a, [(item, "100", "10", "2026-03-11")], sent="2026-03-01")
    seed.receipt([(a_line, "60", "60")], at("2026-03-12"))
    seed.receipt([(a_line, "40", "38")], at("2026-03-20"))
    (b_line,) = seed.order(b, [(item, "50", "10", "2026-04-05")], sent="2026-04-01",
                           currency="USD", rate="0.8")  # fmt: skip
    seed.receipt([(b_line, "50", "50")], at("2026-04-05", 23, 59))
    (c_line,) = seed.order(c, [(item, "10", "12", None)], sent="2026-05-01")
    seed.receipt([(c_line, "10", "9")], at("2026-05-10"))
    # C again, but cancelled; and after as_of (1 July 00:10 UTC): neither counts.
    seed.receipt([(c_line, "1", "0")], at("2026-05-11"), status="cancelled")
    seed.receipt([(c_line, "1", "0")], at("2026-07-01", 0, 10))
    d = seed.supplier("D")  # no deliveries at all
    return {"A": a, "B": b, "C": c, "D": d, "item": item, "seed": seed}


MEAN = (42.4 + 100 + 54) / 3
EXPECTED = {  # supplier: (raw score, deliveries, shrunk score, grade)
    "A": (42.4, 2, (2 * 42.4 + 5 * MEAN) / 7, "C"),
    "B": (100.0, 1, (100 + 5 * MEAN) / 6, "B"),
    "C": (54.0, 1, (54 + 5 * MEAN) / 6, "C"),
}
