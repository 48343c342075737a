"""FIFO layers by hand: the same movements valued FIFO and moving average, and reversals."""

from decimal import Decimal as D

import pytest

from inventory.domain import documents as d
from inventory.domain import fifo
from inventory.domain.valuation import Balance

KEY = (1, 1)


def _receive(qty, cost):
    return d.Intent(0, KEY, D(qty), unit_cost=D(cost))


def _issue(qty):
    return d.Intent(0, KEY, -D(qty))


def _post(intents, balances, layers):
    """Post ``intents``; FIFO when ``layers`` is a dict (updated with the layers written)."""
    book = None if layers is None else {KEY: _open(layers)}
    entries = d.apply_intents(intents, balances, layers=book)
    if layers is not None:
        for e in entries:
            for layer in e.new_layers:
                layers[layer.ref] = [layer.quantity, layer.value]
            for s in e.slices:
                layers[s.layer][0] -= s.quantity
                layers[s.layer][1] -= s.value
    return entries


def _open(layers):
    return [fifo.Layer(ref, q, v) for ref, (q, v) in layers.items() if q > 0]


def _renumber(layers):
    """As the writer does: new layers get ids in the order they were made."""
    return {i + 1: v for i, v in enumerate(layers.values())}


def test_consume_takes_the_oldest_first_and_the_last_slice_takes_what_is_left():
    layers = [fifo.Layer(1, D("10"), D("10.00")), fifo.Layer(2, D("3"), D("10.00"))]
    left, slices, value = fifo.consume(layers, D("11"))
    assert slices == [fifo.Slice(1, D("10"), D("10.00")), fifo.Slice(2, D("1"), D("3.33"))]
    assert value == D("13.33")
    assert left == [fifo.Layer(2, D("2"), D("6.67"))]
    left, slices, value = fifo.consume(left, D("1"))
    assert value == D("3.34")  # 6.67 / 2 = 3.335, half-even to 3.34
    left, slices, value = fifo.consume(left, D("1"))
    assert (value, left) == (D("3.33"), [])  # the slice that empties a layer takes the rest


def test_consume_prefers_the_named_layers_and_refuses_more_than_it_holds():
    layers = [fifo.Layer(1, D("2"), D("2.00")), fifo.Layer(2, D("2"), D("5.00"))]
    _, slices, value = fifo.consume(layers, D("3"), prefer=(2,))
    assert [s.layer for s in slices] == [2, 1] and value == D("6.00")
    with pytest.raises(ValueError):
        fifo.consume(layers, D("5"))


def test_fifo_and_moving_average_on_the_same_movements():
    movements = [
        [_receive("10", "1.00"), _receive("10", "1.30")],
        [_issue("15")],
        [_receive("5", "2.00")],
        [_issue("7")],
    ]
    ma, fi = {KEY: Balance()}, {KEY: Balance()}
    layers: dict = {}
    values = {"ma": [], "fifo": []}
    for intents in movements:
        values["ma"] += [e.movement.value for e in _post(intents, ma, None)]
        values["fifo"] += [e.movement.value for e in _post(intents, fi, layers)]
        layers = _renumber(layers) if any(isinstance(r, tuple) for r in layers) else layers
    # Moving average: 23.00 / 20 × 15 = 17.25; then 15.75 / 10 × 7 = 11.025, half-even 11.02.
    assert values["ma"] == [D("10.00"), D("13.00"), D("-17.25"), D("10.00"), D("-11.02")]
    assert ma[KEY] == Balance(D("3"), D("4.73"))
    # FIFO: 10 × 1.00 + 5 × 1.30 = 16.50; then 5 × 1.30 + 2 × 2.00 = 10.50; 3 × 2.00 left.
    assert values["fifo"] == [D("10.00"), D("13.00"), D("-16.50"), D("10.00"), D("-10.50")]
    assert fi[KEY] == Balance(D("3"), D("6.00"))
    assert [v for v in layers.values() if v[0]] == [[D("3"), D("6.00")]]


def test_a_fifo_reversal_gives_back_exactly_the_slices_it_took():
    balances = {KEY: Balance(D("10"), D("16.50"))}
    layers = {7: [D("5"), D("6.50")], 9: [D("5"), D("10.00")]}
    issue = _post([_issue("7")], balances, layers)[0]
    assert issue.slices == (fifo.Slice(7, D("5"), D("6.50")), fifo.Slice(9, D("2"), D("4.00")))
    undo = d.reversal_intents(
        [(0, KEY, issue.movement.quantity, issue.movement.unit_cost, issue.movement.value)],
        [(issue.slices, ())],
    )
    back = _post(undo, balances, layers)[0]
    assert back.movement.value == D("10.50")
    assert back.slices == (fifo.Slice(7, D("-5"), D("-6.50")), fifo.Slice(9, D("-2"), D("-4.00")))
    assert balances[KEY] == Balance(D("10"), D("16.50"))
    assert layers == {7: [D("5"), D("6.50")], 9: [D("5"), D("10.00")]}


def test_reversing_a_receipt_consumes_its_own_layer_first():
    balances = {KEY: Balance(D("4"), D("10.00"))}
    layers = {1: [D("2"), D("2.00")], 2: [D("2"), D("8.00")]}
    undo = d.reversal_intents([(0, KEY, D("2"), D("4"), D("8.00"))], [((), (2,))])
    entry = _post(undo, balances, layers)[0]
    assert entry.movement.value == D("-8.00")
    assert balances[KEY] == Balance(D("2"), D("2.00"))


def test_a_transfer_carries_each_slice_as_a_layer_at_its_own_cost():
    source, target = (1, 1), (1, 2)
    balances = {source: Balance(D("4"), D("10.00")), target: Balance()}
    book = {
        source: [fifo.Layer(1, D("2"), D("2.00")), fifo.Layer(2, D("2"), D("8.00"))],
        target: [],
    }
    intents = d.intents_for(d.DocumentType.TRANSFER, 1, 2, [d.LineIn(1, D("3"))])
    sent, received = d.apply_intents(intents, balances, layers=book)
    assert sent.movement.value == D("-6.00")
    assert [(x.quantity, x.value) for x in received.new_layers] == [
        (D("2"), D("2.00")),
        (D("1"), D("4.00")),
    ]
    assert balances[target] == Balance(D("3"), D("6.00"))


def test_stock_without_layers_becomes_an_opening_layer_consumed_first():
    balances = {KEY: Balance(D("5"), D("5.00"))}  # came in while the item was not FIFO
    book = {KEY: [fifo.Layer(3, D("2"), D("4.00"))]}
    balances[KEY] = Balance(D("7"), D("9.00"))
    (entry,) = d.apply_intents([_issue("4")], balances, layers=book)
    assert [(x.quantity, x.value) for x in entry.new_layers] == [(D("5"), D("5.00"))]
    assert entry.movement.value == D("-4.00")
    assert balances[KEY] == Balance(D("3"), D("5.00"))
