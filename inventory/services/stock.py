"""Stock documents: create (and post), post a draft, cancel with the exact reversal."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import insert, select, update

from inventory import clock
from inventory.db.locking import lock_balances
from inventory.db.models import (
    Item,
    StockBalance,
    StockDocument,
    StockDocumentLine,
    StockLedger,
    Warehouse,
)
from inventory.domain import documents as d
from inventory.domain.actors import Actor
from inventory.domain.valuation import Key
from inventory.errors import NotFound, ValidationFailed
from inventory.services import audit
from inventory.services.tx import retrying, transaction


@dataclass(frozen=True)
class NewDocument:
    type: d.DocumentType
    warehouse_id: int
    lines: list[d.LineIn]
    to_warehouse_id: int | None = None
    reference: str = ""
    draft: bool = False
    source: str = ""


@retrying
def create_document(actor: Actor, new: NewDocument) -> int:
    """Create a document and, unless it is a draft, post it in the same transaction."""
    d.validate_document(new.type, new.warehouse_id, new.to_warehouse_id, new.lines)
    with transaction() as session:
        items = _check_references(session, new)
        now = clock.now()
        doc = StockDocument(
            type=new.type.value,
            status=d.DocumentStatus.DRAFT.value,
            warehouse_id=new.warehouse_id,
            to_warehouse_id=new.to_warehouse_id,
            reference=new.reference,
            source=new.source,
            created_by=actor.id,
            created_at=now,
        )
        session.add(doc)
        session.flush()
        line_ids = _insert_lines(session, doc.id, new.lines)
        if not new.draft:
            _post(session, actor, doc, new.lines, line_ids, items)
        audit.record(
            actor,
            "stock_document.create",
            "stock_document",
            doc.id,
            after={
                "type": doc.type,
                "status": doc.status,
                "reference": doc.reference,
                "lines": len(new.lines),
            },
        )
        return doc.id


@retrying
def post_document(actor: Actor, document_id: int) -> int:
    with transaction() as session:
        doc = _locked_document(session, document_id)
        d.check_transition(d.DocumentStatus(doc.status), d.DocumentStatus.POSTED)
        rows = (
            session.execute(
                select(StockDocumentLine)
                .where(StockDocumentLine.document_id == doc.id)
                .order_by(StockDocumentLine.line_no)
            )
            .scalars()
            .all()
        )
        lines = [d.LineIn(r.item_id, r.quantity, r.unit_cost) for r in rows]
        new = NewDocument(d.DocumentType(doc.type), doc.warehouse_id, lines, doc.to_warehouse_id)
        items = _check_references(session, new)
        _post(session, actor, doc, lines, [r.id for r in rows], items)
        audit.record(
            actor,
            "stock_document.post",
            "stock_document",
            doc.id,
            before={"status": "draft"},
            after={"status": doc.status},
        )
        return doc.id


@retrying
def cancel_document(actor: Actor, document_id: int) -> int:
    """Cancel a draft, or reverse a posted document's ledger entries exactly and cancel it."""
    with transaction() as session:
        doc = _locked_document(session, document_id)
        before = doc.status
        d.check_transition(d.DocumentStatus(doc.status), d.DocumentStatus.CANCELLED)
        if doc.status == d.DocumentStatus.POSTED:
            _reverse(session, actor, doc)
        doc.status = d.DocumentStatus.CANCELLED.value
        doc.cancelled_by = actor.id
        doc.cancelled_at = clock.now()
        audit.record(
            actor,
            "stock_document.cancel",
            "stock_document",
            doc.id,
            before={"status": before},
            after={"status": doc.status},
        )
        return doc.id


def _locked_document(session, document_id: int) -> StockDocument:
    doc = session.get(StockDocument, document_id, with_for_update=True)
    if doc is None:
        raise NotFound(f"No stock document with id {document_id}.")
    return doc


def _check_references(session, new: NewDocument) -> dict[int, tuple[str, Decimal]]:
    """Refuse unknown or inactive items and warehouses; return ``{item_id: (sku, cost)}``."""
    errors: dict = {}
    wanted_wh = {new.warehouse_id} | ({new.to_warehouse_id} if new.to_warehouse_id else set())
    found_wh = dict(
        session.execute(
            select(Warehouse.id, Warehouse.active).where(Warehouse.id.in_(wanted_wh))
        ).all()
    )
    for field, wh in (("warehouse_id", new.warehouse_id), ("to_warehouse_id", new.to_warehouse_id)):
        if wh is None:
            continue
        if wh not in found_wh:
            errors[field] = [f"No warehouse with id {wh}."]
        elif not found_wh[wh]:
            errors[field] = [f"Warehouse {wh} is inactive; activate it first."]
    item_ids = {line.item_id for line in new.lines}
    found = {
        row.id: row
        for row in session.execute(
            select(Item.id, Item.sku, Item.active, Item.valuation_cost).where(Item.id.in_(item_ids))
        )
    }
    line_errors = {}
    for i, line in enumerate(new.lines):
        row = found.get(line.item_id)
        if row is None:
            line_errors[i] = {"item_id": [f"No item with id {line.item_id}."]}
        elif not row.active:
            line_errors[i] = {"item_id": [f"Item {row.sku} is inactive; activate it first."]}
    if line_errors:
        errors["lines"] = line_errors
    if errors:
        raise ValidationFailed("The document refers to unknown or inactive records.", errors=errors)
    return {row.id: (row.sku, row.valuation_cost) for row in found.values()}


def _insert_lines(session, document_id: int, lines: list[d.LineIn]) -> list[int]:
    rows = [
        {
            "document_id": document_id,
            "line_no": i + 1,
            "item_id": line.item_id,
            "quantity": line.quantity,
            "unit_cost": line.unit_cost,
        }
        for i, line in enumerate(lines)
    ]
    result = session.execute(
        insert(StockDocumentLine).returning(StockDocumentLine.id, sort_by_parameter_order=True),
        rows,
    )
    return list(result.scalars())


def _labels(session, keys: list[Key], items: dict[int, tuple[str, Decimal]]) -> dict[Key, str]:
    codes = dict(
        session.execute(
            select(Warehouse.id, Warehouse.code).where(Warehouse.id.in_({w for _, w in keys}))
        ).all()
    )
    return {(i, w): f"{items[i][0]} in {codes.get(w, w)}" for i, w in keys if i in items}


def _apply(
    session,
    actor: Actor,
    doc: StockDocument,
    intents: list[d.Intent],
    line_ids: list[int],
    items: dict[int, tuple[str, Decimal]],
    reversal: bool,
) -> None:
    keys = d.keys_of(intents)
    balances = lock_balances(session, keys)
    fallback = {item_id: cost for item_id, (_, cost) in items.items()}
    try:
        entries = d.apply_intents(intents, balances, fallback)
    except d.InsufficientStock as exc:
        raise d.InsufficientStock(
            d.shortage_message(exc.extra["shortages"], _labels(session, keys, items)),
            extra=exc.extra,
        ) from None
    now = clock.now()
    session.execute(
        insert(StockLedger),
        [
            {
                "document_id": doc.id,
                "line_id": line_ids[e.line_index],
                "item_id": e.key[0],
                "warehouse_id": e.key[1],
                "quantity": e.movement.quantity,
                "unit_cost": e.movement.unit_cost,
                "value": e.movement.value,
                "balance_quantity": e.movement.after.quantity,
                "balance_value": e.movement.after.value,
                "reversal": reversal,
                "actor_id": actor.id,
                "posted_at": now,
            }
            for e in entries
        ],
    )
    session.execute(
        update(StockBalance),
        [
            {
                "item_id": k[0],
                "warehouse_id": k[1],
                "quantity": balances[k].quantity,
                "value": balances[k].value,
            }
            for k in keys
        ],
    )


def _post(
    session,
    actor: Actor,
    doc: StockDocument,
    lines: list[d.LineIn],
    line_ids: list[int],
    items: dict[int, tuple[str, Decimal]],
) -> None:
    intents = d.intents_for(d.DocumentType(doc.type), doc.warehouse_id, doc.to_warehouse_id, lines)
    _apply(session, actor, doc, intents, line_ids, items, reversal=False)
    doc.status = d.DocumentStatus.POSTED.value
    doc.posted_by = actor.id
    doc.posted_at = clock.now()


def _reverse(session, actor: Actor, doc: StockDocument) -> None:
    rows = session.execute(
        select(
            StockLedger.line_id,
            StockLedger.item_id,
            StockLedger.warehouse_id,
            StockLedger.quantity,
            StockLedger.unit_cost,
            StockLedger.value,
        )
        .where(StockLedger.document_id == doc.id, StockLedger.reversal.is_(False))
        .order_by(StockLedger.id)
    ).all()
    line_ids = sorted({r.line_id for r in rows})
    index = {line_id: i for i, line_id in enumerate(line_ids)}
    intents = d.reversal_intents(
        [
            (index[r.line_id], (r.item_id, r.warehouse_id), r.quantity, r.unit_cost, r.value)
            for r in rows
        ]
    )
    items = {
        row.id: (row.sku, row.valuation_cost)
        for row in session.execute(
            select(Item.id, Item.sku, Item.valuation_cost).where(
                Item.id.in_({r.item_id for r in rows})
            )
        )
    }
    _apply(session, actor, doc, intents, line_ids, items, reversal=True)
