"""Closing purchase requests when the orders that carry them are done, and reopening them when
such an order steps back (a receipt cancelled, goods returned).

A step inside the use case that ends, receives or un-receives an order (``order_closing``,
``receipts``), in its transaction. The rules are ``inventory.domain.requests.ready_to_close``
and ``reopens``.

Lock order: the purchase order row (the caller holds it), then the requests on it in id order,
then their lines. ``order_from_requests`` also locks requests before their lines, so the two
cannot wait on each other in a circle.
"""

from __future__ import annotations

from collections.abc import Iterable

from inventory.db import procurement_loads
from inventory.db import request_queries as rq
from inventory.db.procurement_models import (
    PurchaseOrder,
    PurchaseOrderLine,
)
from inventory.domain import requests as rr
from inventory.domain.actors import Actor
from inventory.domain.requests import RequestStatus
from inventory.services import purchase_requests


def close_finished_requests(
    session,
    actor: Actor,
    order: PurchaseOrder,
    why: str = "",
    lines: Iterable[PurchaseOrderLine] | None = None,
) -> list[int]:
    """Close every ``ordered`` request on ``order`` that has nothing open left; return their ids.

    Call it after the order's new status is set. Each move is checked against the request state
    machine, recorded in ``status_change`` and audited (``purchase_request.closed``). A caller
    holding the order's ``lines`` passes them: an order raised directly carries no request, and
    then there is nothing to look up."""
    if order.status not in {s.value for s in rr.ORDERS_DONE}:
        return []
    if lines is not None and all(line.request_line_id is None for line in lines):
        return []
    session.flush()  # the order's new status must be visible to the query below
    requests = procurement_loads.locked_requests_on_order(session, order.id)
    candidates = [r.id for r in requests if r.status == RequestStatus.ORDERED.value]
    if not candidates:
        return []
    # Read after the locks: an order of the same request finishing meanwhile has committed by
    # now, so of two orders ending together the later one sees the other done.
    progress = rq.line_progress(session, candidates)
    reason = f"purchase order {order.id} {order.status}" + (f" ({why})" if why else "")
    closed = [
        request_id
        for request_id in candidates
        if rr.ready_to_close(RequestStatus.ORDERED, progress.get(request_id, []))
    ]
    for request_id in closed:
        purchase_requests.transition(actor, request_id, RequestStatus.CLOSED, reason)
    return closed


def reopen_unfinished_requests(
    session, actor: Actor, order: PurchaseOrder, why: str, lines: Iterable[PurchaseOrderLine]
) -> list[int]:
    """Put every ``closed`` request on ``order`` back to ``ordered`` when the order is open again
    (``rr.reopens``); return their ids. Call it after the order's new status is set; each move is
    checked, recorded in ``status_change`` and audited (``purchase_request.reopen``)."""
    if order.status in {s.value for s in rr.ORDERS_DONE}:
        return []
    if all(line.request_line_id is None for line in lines):
        return []
    session.flush()  # the order's new status must be visible to the query below
    requests = procurement_loads.locked_requests_on_order(session, order.id)
    candidates = [r.id for r in requests if r.status == RequestStatus.CLOSED.value]
    if not candidates:
        return []
    progress = rq.line_progress(session, candidates)
    reason = f"purchase order {order.id} {order.status} again" + (f" ({why})" if why else "")
    reopened = [
        request_id
        for request_id in candidates
        if rr.reopens(RequestStatus.CLOSED, progress.get(request_id, []))
    ]
    for request_id in reopened:
        purchase_requests.transition(
            actor, request_id, RequestStatus.ORDERED, reason, action="purchase_request.reopen"
        )
    return reopened
