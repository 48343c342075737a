"""The reorder run's inputs fingerprint: a digest of every row the decision reads.

Sums and latest timestamps miss a change that keeps them equal (a price break alone, a
supplier item's pack size), so each input is digested row by row, ordered: on PostgreSQL as
``md5(string_agg(...))`` in one statement (nothing but the digests leaves the database); on
SQLite (development and tests) the ordered rows are hashed in Python, one query per input.
Inputs that only grow (the ledger, exchange rates, scores) count by their high-water mark.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from sqlalchemy import Text, cast, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from inventory.db.base import db, is_postgresql
from inventory.db.models import Item, StockLedger, Warehouse
from inventory.db.procurement_models import (
    ExchangeRate,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    Supplier,
    SupplierItem,
    SupplierPriceBreak,
    SupplierScore,
)
from inventory.db.replenishment_models import ReorderPolicy, ReorderSuggestion
from inventory.db.replenishment_queries import (
    ACCEPTED_DRAFT_STATUSES,
    COUNTED_REQUEST_STATUSES,
    OPEN_ORDER_STATUSES,
)

REQUEST_STATUSES = COUNTED_REQUEST_STATUSES + ACCEPTED_DRAFT_STATUSES


def _inputs() -> dict:
    """Each input as a statement of the columns the run reads (its key first)."""
    line, rl, policy, offer = PurchaseOrderLine, PurchaseRequestLine, ReorderPolicy, SupplierItem
    return {
        "marks": select(
            select(func.max(StockLedger.id)).scalar_subquery(),
            select(func.max(ExchangeRate.id)).scalar_subquery(),
            select(func.max(SupplierScore.computed_at)).scalar_subquery(),
            select(func.max(PurchaseOrderLine.id)).scalar_subquery(),
            select(func.max(PurchaseOrder.updated_at)).scalar_subquery(),
            select(func.max(Item.updated_at)).scalar_subquery(),
            select(func.max(Warehouse.updated_at)).scalar_subquery(),
        ),
        "policies": select(
            policy.item_id,
            policy.warehouse_id,
            policy.service_level,
            policy.review_period_days,
            policy.lead_time_days,
            policy.min_quantity,
            policy.max_quantity,
            policy.active,
        ),
        "supplier_items": select(
            offer.id,
            offer.supplier_id,
            offer.item_id,
            offer.unit_price,
            offer.min_order_quantity,
            offer.pack_size,
            offer.lead_time_days,
            offer.preferred,
            offer.active,
        ),
        "price_breaks": select(
            SupplierPriceBreak.id,
            SupplierPriceBreak.supplier_item_id,
            SupplierPriceBreak.min_quantity,
            SupplierPriceBreak.unit_price,
        ),
        "suppliers": select(
            Supplier.id, Supplier.currency, Supplier.default_lead_time_days, Supplier.status
        ),
        "open_orders": select(
            line.id,
            PurchaseOrder.status,
            PurchaseOrder.supplier_id,
            PurchaseOrder.warehouse_id,
            line.item_id,
            line.quantity,
            line.received_quantity,
            line.cancelled_quantity,
            line.promised_date,
        )
        .join(PurchaseOrder, PurchaseOrder.id == line.order_id)
        .where(PurchaseOrder.status.in_(OPEN_ORDER_STATUSES)),
        "requests": select(
            rl.id, PurchaseRequest.status, rl.item_id, rl.quantity, rl.ordered_quantity
        )
        .join(PurchaseRequest, PurchaseRequest.id == rl.request_id)
        .where(PurchaseRequest.status.in_(REQUEST_STATUSES)),
        # Where an accepted request counts (the suggestion's warehouse).
        "accepted": select(ReorderSuggestion.request_line_id, ReorderSuggestion.warehouse_id).where(
            ReorderSuggestion.request_line_id.is_not(None)
        ),
    }


def _pg_digest(statement):
    rows = statement.subquery()
    row_text = func.concat_ws(
        "|", *[func.coalesce(cast(column, Text), literal("~")) for column in rows.c]
    )
    ordered = aggregate_order_by(literal_column("';'"), *rows.c)
    return (
        select(func.md5(func.coalesce(func.string_agg(row_text, ordered), literal(""))))
        .select_from(rows)
        .scalar_subquery()
    )


def _sqlite_digest(statement) -> str:
    rows = statement.subquery()
    found = db.session.execute(select(*rows.c).order_by(*rows.c)).all()
    text = ";".join("|".join("~" if v is None else str(v) for v in row) for row in found)
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def inputs_fingerprint(run_settings: dict, freq_end: date) -> str:
    """A hash of everything a run reads besides the kept item classes (the service adds
    those): same hash on the same day, same inputs, same run."""
    inputs = _inputs()
    if is_postgresql(db.session):
        digests = db.session.execute(select(*[_pg_digest(s) for s in inputs.values()])).one()
        parts = dict(zip(inputs, digests, strict=True))
    else:
        parts = {name: _sqlite_digest(statement) for name, statement in inputs.items()}
    payload = json.dumps(
        {"settings": run_settings, "inputs": parts, "end": str(freq_end)},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()
