"""Ending purchase orders: cancel what is not received, close what is done.

Cancelled or unreceived quantities stop counting as ordered on the request lines they came
from, so the need can be ordered again; a request with nothing open left is closed. The rules
are ``inventory.domain.orders.cancellation`` and ``closing``, and
``inventory.domain.requests.ready_to_close``.
"""

from __future__ import annotations

from decimal import Decimal

from inventory.db import procurement_loads
from inventory.db.procurement_models import PurchaseOrderLine
from inventory.domain import orders as o
from inventory.domain.actors import Actor
from inventory.domain.orders import ApprovalStatus
from inventory.services import audit, request_closing
from inventory.services.purchase_orders import locked_order, move
from inventory.services.tx import retrying, transaction


def _apply(session, actor, order, lines, outcome: o.Cancellation, action: str, reason: str) -> None:
    before = {"status": order.status, "cancelled": {x.id: x.cancelled_quantity for x in lines}}
    # Requests before their lines, as ordering from requests locks them (see request_closing).
    procurement_loads.locked_requests_on_order(session, order.id)
    for line in lines:
        line.cancelled_quantity = outcome.cancelled[line.id]
    released = _release_request_lines(session, lines)
    if order.approval_status == ApprovalStatus.PENDING.value:
        order.waiting_role = None  # nothing left to approve: out of every inbox
    move(session, actor, order, outcome.target, reason)
    session.flush()
    closed_requests = request_closing.close_finished_requests(session, actor, order, reason)
    audit.record(
        actor,
        action,
        "purchase_order",
        order.id,
        before=before,
        after={
            "status": order.status,
            "cancelled": {x.id: x.cancelled_quantity for x in lines},
            "released_request_lines": released,
            "closed_requests": closed_requests,
            "reason": reason,
        },
    )


def _release_request_lines(session, lines: list[PurchaseOrderLine]) -> dict[int, Decimal]:
    """What is no longer coming stops counting as ordered on the request line it came from, so
    the need can be ordered again (from another supplier)."""
    by_request_line = {x.request_line_id: x for x in lines if x.request_line_id is not None}
    if not by_request_line:
        return {}
    request_lines = procurement_loads.locked_request_lines(session, by_request_line)
    released = {}
    for request_line in request_lines:
        po_line = by_request_line[request_line.id]
        released[request_line.id] = o.released_from_request(
            po_line.quantity, po_line.received_quantity, request_line.ordered_quantity
        )
        request_line.ordered_quantity -= released[request_line.id]
    return released


def _quantities(lines: list[PurchaseOrderLine]) -> list[o.LineQuantities]:
    return [
        o.LineQuantities(x.id, x.quantity, x.received_quantity, x.cancelled_quantity) for x in lines
    ]


@retrying
def cancel_order(actor: Actor, order_id: int, reason: str = "") -> int:
    """Cancel what is not received: a whole order when nothing arrived, else the open rest
    (and the order is closed)."""
    with transaction() as session:
        order = locked_order(session, order_id)
        lines = procurement_loads.order_lines(session, order_id)
        outcome = o.cancellation(order.status, _quantities(lines))
        _apply(session, actor, order, lines, outcome, "purchase_order.cancel", reason)
        return order.id


@retrying
def close_order(actor: Actor, order_id: int, reason: str = "") -> int:
    """Close a received (or partially received) order; an open rest is cancelled."""
    with transaction() as session:
        order = locked_order(session, order_id)
        lines = procurement_loads.order_lines(session, order_id)
        outcome = o.closing(order.status, _quantities(lines))
        _apply(session, actor, order, lines, outcome, "purchase_order.close", reason)
        return order.id
