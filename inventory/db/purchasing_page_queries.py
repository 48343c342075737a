"""Reads the purchasing pages need beside the API's: items by SKU for typed request lines, the
labels a person reads instead of ids, and the approved request lines still to be ordered."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, func, select

from inventory.db.base import db
from inventory.db.models import Item, User
from inventory.db.procurement_models import CostCentre, PurchaseRequest, PurchaseRequestLine
from inventory.domain.requests import RequestStatus

# An approved request's lines are ordered; a request released by a cancelled order stays
# "ordered" while its released lines may be ordered again (as order_from_requests allows).
ORDERABLE = (RequestStatus.APPROVED.value, RequestStatus.ORDERED.value)


def item_ids_by_sku(skus: Iterable[str]) -> dict[str, int]:
    """``{sku.lower(): item_id}`` of the active items among ``skus`` (SKUs ignore case)."""
    wanted = sorted({s.strip().lower() for s in skus if s and s.strip()})
    if not wanted:
        return {}
    rows = db.session.execute(
        select(func.lower(Item.sku), Item.id).where(func.lower(Item.sku).in_(wanted), Item.active)
    )
    return {sku: item_id for sku, item_id in rows}


def item_labels(item_ids: Iterable[int]) -> dict[int, dict]:
    """``{item_id: {"sku", "name"}}`` for the ids asked for."""
    ids = sorted(set(item_ids))
    if not ids:
        return {}
    rows = db.session.execute(select(Item.id, Item.sku, Item.name).where(Item.id.in_(ids)))
    return {r.id: {"sku": r.sku, "name": r.name} for r in rows}


def usernames(user_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def cost_centre_codes(centre_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted({i for i in centre_ids if i is not None})
    if not ids:
        return {}
    rows = db.session.execute(
        select(CostCentre.id, CostCentre.code).where(CostCentre.id.in_(ids))
    ).all()
    return dict(rows)


def orderable_request_lines() -> Select:
    """Lines of approved (or released) requests with something left to order, oldest request
    first: what a buyer turns into orders."""
    line = PurchaseRequestLine
    return (
        select(
            line.id,
            line.request_id,
            line.line_no,
            line.item_id,
            Item.sku,
            Item.name.label("item_name"),
            line.quantity,
            line.ordered_quantity,
            line.estimated_price,
            line.needed_by,
            line.note,
            PurchaseRequest.cost_centre_id,
            CostCentre.code.label("cost_centre_code"),
            PurchaseRequest.requester_id,
        )
        .join(PurchaseRequest, PurchaseRequest.id == line.request_id)
        .join(Item, Item.id == line.item_id)
        .join(CostCentre, CostCentre.id == PurchaseRequest.cost_centre_id)
        .where(PurchaseRequest.status.in_(ORDERABLE), line.ordered_quantity < line.quantity)
        .order_by(line.request_id, line.line_no)
    )


def request_heads(request_ids: Iterable[int], lines_shown: int = 3) -> dict[int, dict]:
    """``{request_id: {budget_id, steps, note, line_count, lines}}``: what the inbox shows beside
    its rows, with the first ``lines_shown`` lines (SKU and quantity) of each request."""
    ids = sorted(set(request_ids))
    if not ids:
        return {}
    count = (
        select(func.count(PurchaseRequestLine.id))
        .where(PurchaseRequestLine.request_id == PurchaseRequest.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            PurchaseRequest.id,
            PurchaseRequest.budget_id,
            PurchaseRequest.steps,
            PurchaseRequest.note,
            count.label("line_count"),
        ).where(PurchaseRequest.id.in_(ids))
    )
    heads = {
        r.id: {
            "budget_id": r.budget_id,
            "steps": r.steps or [],
            "note": r.note,
            "line_count": r.line_count,
            "lines": [],
        }
        for r in rows
    }
    first = db.session.execute(
        select(PurchaseRequestLine.request_id, Item.sku, PurchaseRequestLine.quantity)
        .join(Item, Item.id == PurchaseRequestLine.item_id)
        .where(PurchaseRequestLine.request_id.in_(ids), PurchaseRequestLine.line_no <= lines_shown)
        .order_by(PurchaseRequestLine.request_id, PurchaseRequestLine.line_no)
    )
    for r in first:
        heads[r.request_id]["lines"].append({"sku": r.sku, "quantity": r.quantity})
    return heads
