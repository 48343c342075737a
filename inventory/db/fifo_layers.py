"""FIFO cost layers: the open layers a posting consumes, the layers and slices a posted entry
made (for its reversal), and the one writer of layer rows and consumptions, called by
``posting`` in the same transaction as the ledger entries, under the balance rows' locks.

Only FIFO items reach here: a moving-average posting neither reads nor writes a layer.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, tuple_, update
from sqlalchemy.orm import Session

from inventory.db.types import Money, Quantity
from inventory.db.valuation_models import FifoConsumption, FifoLayer
from inventory.domain import fifo
from inventory.domain import numbers as n
from inventory.domain.documents import Entry
from inventory.domain.valuation import Key

_layers = FifoLayer.__table__
_consumptions = FifoConsumption.__table__
_OPEN = (
    select(
        _layers.c.item_id,
        _layers.c.warehouse_id,
        _layers.c.id,
        _layers.c.remaining_quantity,
        _layers.c.remaining_value,
        _layers.c.received_at,
    )
    .where(
        tuple_(_layers.c.item_id, _layers.c.warehouse_id).in_(bindparam("keys", expanding=True)),
        _layers.c.remaining_quantity > 0,
    )
    .order_by(_layers.c.item_id, _layers.c.warehouse_id, _layers.c.id)
)
_INSERT_LAYERS = insert(_layers).returning(_layers.c.id, sort_by_parameter_order=True)
_TAKE = (
    update(_layers)
    .where(_layers.c.id == bindparam("layer_id"))
    .values(
        remaining_quantity=_layers.c.remaining_quantity - bindparam("q", type_=Quantity()),
        remaining_value=_layers.c.remaining_value - bindparam("v", type_=Money()),
    )
)
_INSERT_CONSUMPTIONS = insert(_consumptions)


def open_layers(session: Session, keys: list[Key]) -> dict[Key, list[fifo.Layer]]:
    """The layers of ``keys`` with stock left, oldest first (every key present). The caller
    holds the balance rows' locks, which guard their layers too."""
    found: dict[Key, list[fifo.Layer]] = {key: [] for key in keys}
    if keys:
        for item, wh, layer_id, quantity, value, at in session.execute(_OPEN, {"keys": keys}):
            found[(item, wh)].append(fifo.Layer(layer_id, quantity, value, at))
    return found


def entry_layers(
    session: Session, entry_ids: list[int]
) -> dict[int, tuple[tuple[fifo.Slice, ...], tuple[int, ...]]]:
    """Per ledger entry: the slices it took (net of any given back) and the layers it made."""
    taken: dict[int, dict[int, list[Decimal]]] = defaultdict(dict)
    made: dict[int, list[int]] = defaultdict(list)
    if entry_ids:
        rows = session.execute(
            select(_consumptions.c.entry_id, _consumptions.c.layer_id, _consumptions.c.quantity,
                   _consumptions.c.value)
            .where(_consumptions.c.entry_id.in_(entry_ids))
            .order_by(_consumptions.c.id)
        )  # fmt: skip
        for entry_id, layer_id, quantity, value in rows:
            q, v = taken[entry_id].setdefault(layer_id, [n.ZERO, n.ZERO])
            taken[entry_id][layer_id] = [q + quantity, v + value]
        for entry_id, layer_id in session.execute(
            select(_layers.c.entry_id, _layers.c.id)
            .where(_layers.c.entry_id.in_(entry_ids))
            .order_by(_layers.c.id)
        ):
            made[entry_id].append(layer_id)
    return {
        e: (
            tuple(fifo.Slice(i, q, v) for i, (q, v) in taken[e].items() if q),
            tuple(made[e]),
        )
        for e in entry_ids
    }


def write_layers(session: Session, entry_ids: list[int], entries: list[Entry], at: datetime):
    """Write the layers ``entries`` made (``entry_ids``: their ledger ids, in order), what their
    slices took from or gave back to the layers, and the consumption rows."""
    new_rows, refs = [], []
    taken_from_new: dict = defaultdict(lambda: [n.ZERO, n.ZERO])
    for e in entries:
        for s in e.slices:
            if not isinstance(s.layer, int):
                taken_from_new[s.layer][0] += s.quantity
                taken_from_new[s.layer][1] += s.value
    for entry_id, e in zip(entry_ids, entries, strict=True):
        for layer in e.new_layers:
            q, v = taken_from_new[layer.ref]
            refs.append(layer.ref)
            new_rows.append(
                {
                    "item_id": e.key[0],
                    "warehouse_id": e.key[1],
                    "entry_id": entry_id,
                    "posted_at": at,
                    "received_at": layer.received_at or at,
                    "quantity": layer.quantity,
                    "value": layer.value,
                    "unit_cost": n.cost(layer.value / layer.quantity),
                    "remaining_quantity": layer.quantity - q,
                    "remaining_value": layer.value - v,
                }
            )
    ids: dict = {}
    if new_rows:
        made = session.execute(_INSERT_LAYERS, new_rows).scalars()
        ids = dict(zip(refs, made, strict=True))
    takes: dict[int, list[Decimal]] = defaultdict(lambda: [n.ZERO, n.ZERO])
    consumptions = []
    for entry_id, e in zip(entry_ids, entries, strict=True):
        for s in e.slices:
            layer_id = s.layer if isinstance(s.layer, int) else ids[s.layer]
            if isinstance(s.layer, int):
                takes[layer_id][0] += s.quantity
                takes[layer_id][1] += s.value
            consumptions.append(
                {
                    "entry_id": entry_id,
                    "layer_id": layer_id,
                    "quantity": s.quantity,
                    "value": s.value,
                    "posted_at": at,
                }
            )
    if takes:
        session.execute(
            _TAKE,
            [{"layer_id": i, "q": q, "v": v} for i, (q, v) in sorted(takes.items())],
        )
    if consumptions:
        session.execute(_INSERT_CONSUMPTIONS, consumptions)


def has_layers(entries: list[Entry]) -> bool:
    """Whether any entry makes or moves a layer (then ``write_layers`` needs the ledger ids)."""
    return any(e.slices or e.new_layers for e in entries)
