"""Stock documents: their kinds, states, line rules and the movements posting one makes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from inventory.domain import fifo, states
from inventory.domain import numbers as n
from inventory.domain.valuation import Balance, Key, Movement, Shortage, inbound, outbound
from inventory.errors import InsufficientStock, ValidationFailed

MAX_LINES = 500


class DocumentType(StrEnum):
    RECEIPT = "receipt"
    ISSUE = "issue"
    TRANSFER = "transfer"
    ADJUSTMENT = "adjustment"


class DocumentStatus(StrEnum):
    DRAFT = "draft"
    POSTED = "posted"
    CANCELLED = "cancelled"


TRANSITIONS: dict[DocumentStatus, frozenset[DocumentStatus]] = {
    DocumentStatus.DRAFT: frozenset({DocumentStatus.POSTED, DocumentStatus.CANCELLED}),
    DocumentStatus.POSTED: frozenset({DocumentStatus.CANCELLED}),
    DocumentStatus.CANCELLED: frozenset(),
}


def check_transition(current: DocumentStatus, target: DocumentStatus) -> None:
    states.check(TRANSITIONS, current, target, "document")


@dataclass(frozen=True)
class LineIn:
    item_id: int
    quantity: Decimal
    unit_cost: Decimal | None = None


STOCKTAKE_SOURCE = "stocktake:"  # prefix of a stocktake's adjustment documents' source


def charges_a_centre(doc_type: DocumentType, source: str) -> bool:
    """Whether a document of this kind may name a cost centre. Goods are charged to a centre as
    they leave for use (an issue, a return to the supplier among them) or are written off by a
    stocktake (as ERPNext's stock reconciliation carries a cost center); a receipt, transfer or
    hand-made adjustment is no cost of anyone's."""
    if doc_type is DocumentType.ISSUE:
        return True
    return doc_type is DocumentType.ADJUSTMENT and source.startswith(STOCKTAKE_SOURCE)


def validate_document(
    doc_type: DocumentType,
    warehouse_id: int,
    to_warehouse_id: int | None,
    lines: list[LineIn],
    cost_centre_id: int | None = None,
    source: str = "",
) -> None:
    """Raise ``ValidationFailed`` with field errors for anything a document may not hold."""
    errors: dict[str, list[str] | dict] = {}
    if cost_centre_id is not None and not charges_a_centre(doc_type, source):
        errors["cost_centre_id"] = ["Only an issue is charged to a cost centre."]
    if not lines:
        errors["lines"] = ["A document needs at least one line."]
    if len(lines) > MAX_LINES:
        errors["lines"] = [f"A document holds at most {MAX_LINES} lines; split it."]
    if doc_type is DocumentType.TRANSFER:
        if to_warehouse_id is None:
            errors["to_warehouse_id"] = ["A transfer needs the warehouse it goes to."]
        elif to_warehouse_id == warehouse_id:
            errors["to_warehouse_id"] = ["A transfer must go to a different warehouse."]
    elif to_warehouse_id is not None:
        errors["to_warehouse_id"] = ["Only transfers name a destination warehouse."]
    line_errors: dict[int, dict[str, list[str]]] = {}
    for i, line in enumerate(lines):
        problems: dict[str, list[str]] = {}
        if n.places(line.quantity) > n.QTY_PLACES:
            problems["quantity"] = [f"At most {n.QTY_PLACES} decimal places."]
        elif doc_type is DocumentType.ADJUSTMENT:
            if line.quantity == 0:
                problems["quantity"] = ["An adjustment quantity cannot be zero."]
        elif line.quantity <= 0:
            problems["quantity"] = ["Quantity must be greater than zero."]
        if line.unit_cost is not None:
            if line.unit_cost < 0:
                problems["unit_cost"] = ["Unit cost cannot be negative."]
            elif n.places(line.unit_cost) > n.COST_PLACES:
                problems["unit_cost"] = [f"At most {n.COST_PLACES} decimal places."]
            elif doc_type in (DocumentType.ISSUE, DocumentType.TRANSFER) or (
                doc_type is DocumentType.ADJUSTMENT and line.quantity < 0
            ):
                problems["unit_cost"] = [
                    "Only stock coming in has a unit cost; stock going out leaves at average cost."
                ]
        elif doc_type is DocumentType.RECEIPT:
            problems["unit_cost"] = ["A receipt line needs its unit cost."]
        if problems:
            line_errors[i] = problems
    if line_errors:
        errors["lines"] = line_errors
    if errors:
        raise ValidationFailed(
            "The stock document is not valid; see the field errors.", errors=errors
        )


@dataclass(frozen=True)
class Intent:
    """One wanted change to one balance, before valuation.

    ``pair`` links a transfer's receiving side to the index of its sending side, whose exact value
    it takes. ``value`` is an exact value for the movement (reversals), positive.
    For a FIFO item, a reversal names the layers: ``restore`` gives back the slices an issue
    took; ``prefer`` lists the layers a receipt made, consumed before any other.
    """

    line_index: int
    key: Key
    quantity: Decimal  # signed
    unit_cost: Decimal | None = None
    value: Decimal | None = None
    pair: int | None = None
    restore: tuple[fifo.Slice, ...] = ()
    prefer: tuple[int, ...] = ()


@dataclass(frozen=True)
class Entry:
    """One ledger entry; for a FIFO item also the layer slices it took (positive) or gave back
    (negative) and the layers it made (``new_layers``, at their first quantity and value)."""

    line_index: int
    key: Key
    movement: Movement
    slices: tuple[fifo.Slice, ...] = ()
    new_layers: tuple[fifo.Layer, ...] = ()


def intents_for(
    doc_type: DocumentType, warehouse_id: int, to_warehouse_id: int | None, lines: list[LineIn]
) -> list[Intent]:
    intents: list[Intent] = []
    for i, line in enumerate(lines):
        key = (line.item_id, warehouse_id)
        if doc_type is DocumentType.RECEIPT:
            intents.append(Intent(i, key, line.quantity, unit_cost=line.unit_cost))
        elif doc_type is DocumentType.ISSUE:
            intents.append(Intent(i, key, -line.quantity))
        elif doc_type is DocumentType.ADJUSTMENT:
            intents.append(Intent(i, key, line.quantity, unit_cost=line.unit_cost))
        else:
            assert to_warehouse_id is not None
            intents.append(Intent(i, key, -line.quantity))
            intents.append(
                Intent(i, (line.item_id, to_warehouse_id), line.quantity, pair=len(intents) - 1)
            )
    return intents


def reversal_intents(
    entries: list[tuple[int, Key, Decimal, Decimal, Decimal]],
    layers: list[tuple[tuple[fifo.Slice, ...], tuple[int, ...]]] | None = None,
) -> list[Intent]:
    """The intents that undo posted ledger entries ``(line_index, key, qty, unit_cost, value)``.

    Undone in reverse order, each at its original value: the exact reversal whenever the stock is
    still there as it was. An inbound entry whose value the balance no longer holds leaves at the
    average cost instead (see ``valuation.outbound``). ``layers`` (one per entry, FIFO items):
    the slices the entry took and the layers it made, so the reversal gives back exactly those
    slices, or consumes those layers first.
    """
    layers = layers or [((), ())] * len(entries)
    return [
        Intent(
            line_index,
            key,
            -quantity,
            unit_cost=unit_cost,
            value=abs(value),
            restore=slices,
            prefer=made,
        )
        for (line_index, key, quantity, unit_cost, value), (slices, made) in reversed(
            list(zip(entries, layers, strict=True))
        )
    ]


def keys_of(intents: list[Intent]) -> list[Key]:
    """The balances a posting touches, in the one order every posting locks them in."""
    return sorted({intent.key for intent in intents})


def apply_intents(
    intents: list[Intent],
    balances: dict[Key, Balance],
    fallback_costs: dict[int, Decimal] | None = None,
    labels: dict[Key, str] | None = None,
    layers: dict[Key, list[fifo.Layer]] | None = None,
) -> list[Entry]:
    """Value every intent against the running balances, in order.

    ``balances`` is updated in place to the balances after posting. An inbound intent without a
    unit cost (a positive adjustment) comes in at the current average cost, else the item's
    fallback cost. The balances named in ``layers`` (their open layers, oldest first) are FIFO:
    they go out at the cost of the layers consumed and every inbound movement makes layers.
    Raises ``InsufficientStock`` naming every shortfall; then nothing is posted.
    """
    fallback_costs = fallback_costs or {}
    running = dict(balances)
    fifo_books = _FifoBooks(layers or {})
    entries: list[Entry] = []
    shortages: list[Shortage] = []
    made: dict[int, Entry] = {}
    for position, intent in enumerate(intents):
        before = running.get(intent.key, Balance())
        if intent.quantity < 0:
            wanted = -intent.quantity
            if wanted > before.quantity:
                shortages.append(Shortage(intent.key, wanted, before.quantity))
                continue
            if intent.key in fifo_books.layers:
                entry = fifo_books.outbound(intent, before, wanted)
            else:
                movement = outbound(before, wanted, value=intent.value)
                entry = Entry(intent.line_index, intent.key, movement)
        elif intent.pair is not None:
            if intent.pair not in made:  # its sending side was short; reported below
                continue
            sent = made[intent.pair]
            movement = inbound(before, intent.quantity, value=-sent.movement.value)
            entry = fifo_books.inbound(intent, movement, sent.slices)
        elif intent.value is not None:
            movement = inbound(before, intent.quantity, value=intent.value)
            if intent.restore and intent.key in fifo_books.layers:
                value = sum((s.value for s in intent.restore), n.ZERO)
                movement = inbound(before, intent.quantity, value=value)
            entry = fifo_books.inbound(intent, movement)
        else:
            unit_cost = intent.unit_cost
            if unit_cost is None:
                unit_cost = (
                    before.average_cost
                    if before.quantity
                    else fallback_costs.get(intent.key[0], n.ZERO)
                )
            movement = inbound(before, intent.quantity, unit_cost=unit_cost)
            entry = fifo_books.inbound(intent, movement)
        running[intent.key] = entry.movement.after
        made[position] = entry
        entries.append(entry)
    if shortages:
        found = [
            {
                "item_id": s.key[0],
                "warehouse_id": s.key[1],
                "requested": str(n.qty(s.requested)),
                "available": str(n.qty(s.available)),
            }
            for s in shortages
        ]
        raise InsufficientStock(shortage_message(found, labels or {}), extra={"shortages": found})
    balances.update(running)
    return entries


class _FifoBooks:
    """The running layers of the FIFO balances of one posting."""

    def __init__(self, layers: dict[Key, list[fifo.Layer]]):
        self.layers = {key: list(found) for key, found in layers.items()}
        self.received = {x.ref: x.received_at for found in layers.values() for x in found}
        self._made = 0

    def _new_ref(self) -> fifo.LayerRef:
        self._made += 1
        return ("new", self._made)

    def outbound(self, intent: Intent, before: Balance, wanted: Decimal) -> Entry:
        held = self.layers[intent.key]
        opened = fifo.gap_layer(held, before.quantity, before.value, self._new_ref())
        new = tuple(x for x in opened if x not in held)
        left, slices, value = fifo.consume(opened, wanted, intent.prefer)
        self.layers[intent.key] = left
        after = Balance(before.quantity - wanted, before.value - value)
        movement = Movement(-wanted, n.cost(value / wanted), -value, after)
        return Entry(intent.line_index, intent.key, movement, tuple(slices), new)

    def inbound(
        self, intent: Intent, movement: Movement, sent: tuple[fifo.Slice, ...] = ()
    ) -> Entry:
        """A FIFO balance's inbound entry: the slices given back (a reversal), else new layers:
        one per slice sent (a transfer's receiving side, each at its own cost and age), else
        one at the movement's value. Another balance's entry carries no layers."""
        if intent.key not in self.layers:
            return Entry(intent.line_index, intent.key, movement)
        if intent.restore:
            self.layers[intent.key] = fifo.restore(self.layers[intent.key], list(intent.restore))
            given = tuple(fifo.Slice(s.layer, -s.quantity, -s.value) for s in intent.restore)
            return Entry(intent.line_index, intent.key, movement, given)
        parts = [(s.quantity, s.value, self.received.get(s.layer)) for s in sent] or [
            (movement.quantity, movement.value, None)
        ]
        new = tuple(fifo.Layer(self._new_ref(), q, v, at) for q, v, at in parts)
        for layer in new:
            self.received[layer.ref] = layer.received_at
        self.layers[intent.key] = [*self.layers[intent.key], *new]
        return Entry(intent.line_index, intent.key, movement, (), new)


def shortage_message(shortages: list[dict], labels: dict[Key, str]) -> str:
    parts = []
    for s in shortages:
        key = (s["item_id"], s["warehouse_id"])
        label = labels.get(key, f"item {key[0]} in warehouse {key[1]}")
        parts.append(f"{label}: {s['available']} available, {s['requested']} requested")
    return (
        "Not enough stock, so nothing was posted. "
        + "; ".join(parts)
        + ". Receive or transfer stock in first, or lower the quantities."
    )
