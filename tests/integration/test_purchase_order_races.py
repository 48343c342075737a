"""Buyers racing on PostgreSQL: a request line is ordered once, however many order it at once."""

from __future__ import annotations

import threading
import traceback
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from inventory.db.base import db
from inventory.db.procurement_models import PurchaseOrderLine, PurchaseRequestLine
from inventory.errors import Conflict
from inventory.services.order_from_requests import create_from_requests
from tests.conftest import Factory
from tests.integration.purchasing_helpers import Purchasing

THREADS = 8


@pytest.mark.postgres
def test_parallel_orders_from_the_same_requests_order_each_line_once(pg_app):
    make = Factory()
    buy = Purchasing(make)
    supplier = buy.supplier()
    lines = []
    for _ in range(3):
        item = make.item()
        buy.offer(supplier, item, "1.00")
        lines += buy.approved_request((item, "5", "1.00"))[1]
    created, refused, errors = [], [], []
    start = threading.Barrier(THREADS)

    def worker(index: int) -> None:
        with pg_app.app_context():
            try:
                start.wait()
                # Each buyer asks for the lines in its own order: locks are still taken in
                # request-id order, so nobody deadlocks.
                mine = lines[index % 3 :] + lines[: index % 3]
                created.extend(create_from_requests(buy.buyer, mine, buy.warehouse, buy.today))
            except Conflict:
                refused.append(index)
            except Exception:  # any other outcome fails the test below
                errors.append(traceback.format_exc())
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert len(created) == 1 and len(refused) == THREADS - 1
    db.session.rollback()
    per_line = db.session.execute(
        select(PurchaseOrderLine.request_line_id, func.count())
        .where(PurchaseOrderLine.request_line_id.in_(lines))
        .group_by(PurchaseOrderLine.request_line_id)
    ).all()
    assert sorted(per_line) == sorted((line, 1) for line in lines)
    ordered = db.session.scalars(
        select(PurchaseRequestLine.ordered_quantity).where(PurchaseRequestLine.id.in_(lines))
    ).all()
    assert ordered == [D("5")] * 3
