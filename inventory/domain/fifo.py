"""FIFO cost layers: what stock of a FIFO item is made of, and the rule that consumes it.

A layer is stock that came in together at one cost: its remaining quantity and remaining value.
An issue consumes the oldest layers first. A slice of a layer takes
``round2(quantity × remaining value / remaining quantity)``, except that the slice which empties a
layer takes exactly the value it has left, so an empty layer holds no value and the layers of a
balance always add up to its quantity and value, to the cent.

A reversal restores exactly the slices the reversed issue consumed; reversing stock that came in
consumes the layers it created first (``prefer``), then the oldest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from inventory.domain import numbers as n

# A layer's identity: its id once written, or ("new", n) for a layer this posting creates.
LayerRef = int | tuple[str, int]


@dataclass(frozen=True)
class Layer:
    ref: LayerRef
    quantity: Decimal  # remaining
    value: Decimal  # remaining
    received_at: datetime | None = None  # when the stock first came in (ageing); None: now


@dataclass(frozen=True)
class Slice:
    """A quantity taken from (positive) or given back to (negative) one layer, with its value."""

    layer: LayerRef
    quantity: Decimal
    value: Decimal


def consume(
    layers: list[Layer], quantity: Decimal, prefer: tuple[LayerRef, ...] = ()
) -> tuple[list[Layer], list[Slice], Decimal]:
    """Take ``quantity`` from ``layers`` (oldest first), the layers named in ``prefer`` before
    any other; return the layers left (emptied ones dropped, order kept), the slices taken and
    their total value. Raises ``ValueError`` when the layers hold less than ``quantity``."""
    if quantity <= 0:
        raise ValueError("consumed quantity must be positive")
    if quantity > sum((x.quantity for x in layers), n.ZERO):
        raise ValueError("the layers hold less than the quantity consumed")
    order = [x for x in layers if x.ref in prefer] + [x for x in layers if x.ref not in prefer]
    left: dict[LayerRef, Layer] = {x.ref: x for x in layers}
    slices: list[Slice] = []
    wanted = quantity
    for layer in order:
        if wanted == 0:
            break
        if layer.quantity <= 0:
            continue
        take = min(wanted, layer.quantity)
        if take == layer.quantity:
            value = layer.value
        else:
            value = n.value(take * layer.value / layer.quantity)
        slices.append(Slice(layer.ref, take, value))
        left[layer.ref] = Layer(
            layer.ref, layer.quantity - take, layer.value - value, layer.received_at
        )
        wanted -= take
    remaining = [left[x.ref] for x in layers if left[x.ref].quantity > 0]
    return remaining, slices, sum((s.value for s in slices), n.ZERO)


def restore(layers: list[Layer], slices: list[Slice]) -> list[Layer]:
    """Give back ``slices`` (as an issue consumed them) to their layers, emptied ones included;
    the layers keep their age order (ids in order, then the ones this posting creates)."""
    by_ref = {x.ref: x for x in layers}
    for s in slices:
        layer = by_ref.get(s.layer) or Layer(s.layer, n.ZERO, n.ZERO)
        by_ref[s.layer] = Layer(
            s.layer, layer.quantity + s.quantity, layer.value + s.value, layer.received_at
        )
    return sorted(by_ref.values(), key=lambda x: _age(x.ref))


def _age(ref: LayerRef) -> tuple[int, int]:
    return (0, ref) if isinstance(ref, int) else (1, ref[1])


def gap_layer(layers: list[Layer], quantity: Decimal, value: Decimal, ref: LayerRef) -> list[Layer]:
    """The layers of a balance holding ``quantity`` and ``value``: when they hold less than the
    balance (stock that came in before the item was FIFO), the difference is an opening layer,
    oldest of all, so the layers always account for the whole balance."""
    held_q = sum((x.quantity for x in layers), n.ZERO)
    held_v = sum((x.value for x in layers), n.ZERO)
    if quantity > held_q:
        return [Layer(ref, quantity - held_q, value - held_v), *layers]
    return layers
