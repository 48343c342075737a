"""The procurement rows a service loads to change them (ORM objects, the unit of work writes
them back), locked where the service's lock order says so.

Lock order, as the services keep it: the purchase order row, then the requests on it in id
order, then their lines in id order (``request_closing``, ``order_closing``,
``order_from_requests``), so no two transactions wait on each other in a circle.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.db.procurement_models import PurchaseOrderLine, PurchaseRequest, PurchaseRequestLine


def order_lines(session: Session, order_id: int) -> list[PurchaseOrderLine]:
    """The order's lines in id order (the caller holds the order's lock, which covers them)."""
    return list(
        session.execute(
            select(PurchaseOrderLine)
            .where(PurchaseOrderLine.order_id == order_id)
            .order_by(PurchaseOrderLine.id)
        ).scalars()
    )


def locked_request_lines(session: Session, line_ids) -> list[PurchaseRequestLine]:
    """The request lines ``line_ids``, locked in id order."""
    return list(
        session.execute(
            select(PurchaseRequestLine)
            .where(PurchaseRequestLine.id.in_(line_ids))
            .order_by(PurchaseRequestLine.id)
            .with_for_update()
        ).scalars()
    )


def locked_requests_on_order(session: Session, order_id: int) -> list[PurchaseRequest]:
    """The requests with lines on the order, locked in id order, read as committed."""
    on_order = (
        select(PurchaseRequestLine.request_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.request_line_id == PurchaseRequestLine.id)
        .where(PurchaseOrderLine.order_id == order_id)
    )
    return list(
        session.scalars(
            select(PurchaseRequest)
            .where(PurchaseRequest.id.in_(on_order))
            .order_by(PurchaseRequest.id)
            .with_for_update()
            # Whoever held the lock before us may have moved the request: read it as committed.
            .execution_options(populate_existing=True)
        )
    )
