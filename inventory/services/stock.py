"""Stock documents: create (and post), post a draft, cancel with the exact reversal."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from inventory import clock
from inventory.db import fifo_layers, period_queries, posting, posting_reads
from inventory.db.locking import lock_balances, locked_balances
from inventory.db.models import StockDocument
from inventory.domain import documents as d
from inventory.domain import numbers as n
from inventory.domain import periods
from inventory.domain.actors import Actor
from inventory.domain.valuation import Balance, Key
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
    # Issues and stocktake adjustments only (``d.charges_a_centre``): the cost centre the goods
    # are charged to (exists and is active).
    cost_centre_id: int | None = None


@retrying
def create_document(actor: Actor, new: NewDocument) -> int:
    """Create a document and, unless it is a draft, post it in the same transaction."""
    return _create(actor, new)[0]


@retrying
def create_document_lines(actor: Actor, new: NewDocument) -> tuple[int, list[int]]:
    """``create_document``, also returning the ids of its lines in the order of ``new.lines``
    (a goods receipt links each of its lines to the one it became)."""
    doc_id, _, line_ids = _create(actor, new)
    return doc_id, line_ids


@retrying
def create_and_show(actor: Actor, new: NewDocument) -> dict:
    """``create_document``, returning the document as ``queries.document`` would read it back:
    built from what was written, so answering costs no second query."""
    doc_id, document, line_ids = _create(actor, new)
    return {**document, "id": doc_id, "lines": _shown_lines(new.lines, line_ids)}


def _create(actor: Actor, new: NewDocument) -> tuple[int, dict, list[int]]:
    """Write the document; return its id, its columns and its lines' ids."""
    d.validate_document(
        new.type, new.warehouse_id, new.to_warehouse_id, new.lines, new.cost_centre_id, new.source
    )
    intents = []
    if not new.draft:
        intents = d.intents_for(new.type, new.warehouse_id, new.to_warehouse_id, new.lines)
    keys = d.keys_of(intents)
    with transaction() as session:
        items, existing, closed_through, locked = _check_references(session, new, keys)
        entries: list[d.Entry] = []
        balances: dict[Key, Balance] = {}
        if keys:
            if len(locked) == len(keys):  # the reference check locked them all already
                balances, fifo_keys = locked_balances(locked)
            else:
                balances, fifo_keys = lock_balances(session, keys, existing)
        # The moment is read once the balances are locked: a period close waits for every
        # posting holding them, so nothing it missed can be dated inside the period it closes.
        now = clock.now()
        if keys:
            periods.check_open(now, closed_through, clock.service_zone())
            entries = _valued(session, intents, balances, items, keys, fifo_keys)
        # A document posted as it is created is inserted already posted, at the moment its
        # ledger entries carry: one INSERT, not an INSERT of a draft and then an UPDATE.
        status = d.DocumentStatus.DRAFT if new.draft else d.DocumentStatus.POSTED
        document = {
            "type": new.type.value,
            "status": status.value,
            "warehouse_id": new.warehouse_id,
            "to_warehouse_id": new.to_warehouse_id,
            "reference": new.reference,
            "source": new.source,
            "created_by": actor.id,
            "created_at": now,
            "posted_by": None if new.draft else actor.id,
            "posted_at": None if new.draft else now,
            "cancelled_by": None,
            "cancelled_at": None,
            "cost_centre_id": new.cost_centre_id,
        }
        event = audit.event(
            actor,
            "stock_document.create",
            "stock_document",
            None,
            after={
                "type": new.type.value,
                "status": status.value,
                "reference": new.reference,
                "cost_centre_id": new.cost_centre_id,
                "lines": len(new.lines),
            },
        )
        doc_id, line_ids = posting.write_document(
            session, document, new.lines, entries, balances, event
        )
        return doc_id, document, line_ids


def _shown_lines(lines: list[d.LineIn], line_ids: list[int]) -> list[dict]:
    """The lines as the database holds them: amounts rounded to their columns' places."""
    return [
        {
            "id": line_id,
            "line_no": i + 1,
            "item_id": line.item_id,
            "quantity": n.qty(line.quantity),
            "unit_cost": None if line.unit_cost is None else n.cost(line.unit_cost),
        }
        for i, (line, line_id) in enumerate(zip(lines, line_ids, strict=True))
    ]


@retrying
def post_document(actor: Actor, document_id: int) -> int:
    with transaction() as session:
        doc = _locked_document(session, document_id)
        d.check_transition(d.DocumentStatus(doc.status), d.DocumentStatus.POSTED)
        rows = posting_reads.document_lines(session, doc.id)
        lines = [d.LineIn(r.item_id, r.quantity, r.unit_cost) for r in rows]
        new = NewDocument(
            d.DocumentType(doc.type),
            doc.warehouse_id,
            lines,
            doc.to_warehouse_id,
            cost_centre_id=doc.cost_centre_id,
        )
        # A draft's cost centre, like its items, must still be active when it is posted.
        items, _, _, _ = _check_references(session, new)
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
    doc = posting_reads.locked_document(session, document_id)
    if doc is None:
        raise NotFound(f"No stock document with id {document_id}.")
    return doc


def _check_references(
    session, new: NewDocument, keys: list[Key] = ()
) -> tuple[dict[int, tuple[str, Decimal]], set[Key], str | None, list[tuple]]:
    """Refuse unknown or inactive items, warehouses and cost centre; return
    ``{item_id: (sku, cost)}``,
    which balance rows of ``keys`` exist already (rows are never deleted, so that stays true),
    the last closed period, and the balance rows the check locked (``posting_reads.references``:
    all of ``keys`` or none, as ``locking.locked_balances`` reads them)."""
    errors: dict = {}
    wanted_wh = {new.warehouse_id} | ({new.to_warehouse_id} if new.to_warehouse_id else set())
    item_ids = {line.item_id for line in new.lines}
    found_wh: dict[int, bool] = {}
    found: dict[int, tuple[bool, str, Decimal]] = {}  # item id: active, sku, cost
    existing: set[Key] = set()
    closed_through = None
    locked: list[tuple] = []
    centre_active = None  # None: no such cost centre (or none asked for)
    for kind, id_, warehouse_id, active, sku, cost, quantity, value in posting_reads.references(
        session, item_ids, wanted_wh, keys, new.cost_centre_id
    ):
        if kind == "locked":
            locked.append((id_, warehouse_id, quantity, value, sku))
        elif kind == "closed":
            closed_through = sku
        elif kind == "cost_centre":
            centre_active = bool(active)
        elif kind == "warehouse":
            found_wh[id_] = active
        elif kind == "balance":
            existing.add((id_, warehouse_id))
        else:
            found[id_] = (active, sku, cost)
    for field, wh in (("warehouse_id", new.warehouse_id), ("to_warehouse_id", new.to_warehouse_id)):
        if wh is None:
            continue
        if wh not in found_wh:
            errors[field] = [f"No warehouse with id {wh}."]
        elif not found_wh[wh]:
            errors[field] = [f"Warehouse {wh} is inactive; activate it first."]
    if new.cost_centre_id is not None and not centre_active:
        state = "No cost centre with id" if centre_active is None else "Inactive cost centre"
        errors["cost_centre_id"] = [f"{state} {new.cost_centre_id}."]
    line_errors = {}
    for i, line in enumerate(new.lines):
        item = found.get(line.item_id)
        if item is None:
            line_errors[i] = {"item_id": [f"No item with id {line.item_id}."]}
        elif not item[0]:
            line_errors[i] = {"item_id": [f"Item {item[1]} is inactive; activate it first."]}
    if line_errors:
        errors["lines"] = line_errors
    if errors:
        raise ValidationFailed("The document refers to unknown or inactive records.", errors=errors)
    items = {i: (sku, cost) for i, (_, sku, cost) in found.items()}
    return items, existing, closed_through, locked


def _labels(session, keys: list[Key], items: dict[int, tuple[str, Decimal]]) -> dict[Key, str]:
    codes = posting_reads.warehouse_codes(session, {w for _, w in keys})
    return {(i, w): f"{items[i][0]} in {codes.get(w, w)}" for i, w in keys if i in items}


def _apply(
    session,
    actor: Actor,
    document_id: int,
    intents: list[d.Intent],
    line_ids: list[int],
    items: dict[int, tuple[str, Decimal]],
    reversal: bool,
) -> None:
    keys = d.keys_of(intents)
    balances, fifo_keys = lock_balances(session, keys)
    now = clock.now()  # after the locks, as in ``_create``
    periods.check_open(now, period_queries.closed_through(session), clock.service_zone())
    entries = _valued(session, intents, balances, items, keys, fifo_keys)
    posting.write_entries(
        session,
        document_id,
        line_ids,
        entries,
        balances,
        reversal=reversal,
        actor_id=actor.id,
        at=now,
    )


def _valued(
    session,
    intents: list[d.Intent],
    balances: dict[Key, Balance],
    items: dict[int, tuple[str, Decimal]],
    keys: list[Key],
    fifo_keys: set[Key],
) -> list[d.Entry]:
    """Value the intents against the locked ``balances`` (moved on in place) and, for FIFO
    items, their open layers; refuse a shortage or amounts too large for the columns."""
    fallback = {item_id: cost for item_id, (_, cost) in items.items()}
    layers = fifo_layers.open_layers(session, sorted(fifo_keys)) if fifo_keys else None
    try:
        entries = d.apply_intents(intents, balances, fallback, layers=layers)
    except d.InsufficientStock as exc:
        raise d.InsufficientStock(
            d.shortage_message(exc.extra["shortages"], _labels(session, keys, items)),
            extra=exc.extra,
        ) from None
    _check_storable(entries)
    return entries


def _check_storable(entries: list[d.Entry]) -> None:
    """Refuse movements whose values or balances the fixed-point columns cannot hold (a 422,
    not an overflow in the database)."""
    too_large = {
        e.line_index
        for e in entries
        if not (
            n.fits(e.movement.quantity, n.QTY_PLACES)
            and n.fits(e.movement.after.quantity, n.QTY_PLACES)
            and n.fits(e.movement.unit_cost, n.COST_PLACES)
            and n.fits(e.movement.value, n.VALUE_PLACES)
            and n.fits(e.movement.after.value, n.VALUE_PLACES)
        )
    }
    if too_large:
        message = "Quantity × cost, or the balance it makes, is larger than the books can hold."
        n.refuse_too_large(
            "document", {"lines": {i: {"quantity": [message]} for i in sorted(too_large)}}
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
    _apply(session, actor, doc.id, intents, line_ids, items, reversal=False)
    doc.status = d.DocumentStatus.POSTED.value
    doc.posted_by = actor.id
    doc.posted_at = clock.now()


def _reverse(session, actor: Actor, doc: StockDocument) -> None:
    rows = posting_reads.posted_entries(session, doc.id)
    line_ids = sorted({r.line_id for r in rows})
    index = {line_id: i for i, line_id in enumerate(line_ids)}
    # FIFO entries' slices and layers, so the reversal gives back exactly what they took
    layers = fifo_layers.entry_layers(session, [r.id for r in rows])
    intents = d.reversal_intents(
        [
            (index[r.line_id], (r.item_id, r.warehouse_id), r.quantity, r.unit_cost, r.value)
            for r in rows
        ],
        [layers[r.id] for r in rows],
    )
    items = posting_reads.item_labels(session, {r.item_id for r in rows})
    _apply(session, actor, doc.id, intents, line_ids, items, reversal=True)
