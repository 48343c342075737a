from decimal import Decimal as D

import pytest

from inventory.domain import documents as d
from inventory.domain.valuation import Balance, inbound, outbound
from inventory.errors import InsufficientStock, InvalidTransition, ValidationFailed


def test_receipts_average_their_costs():
    first = inbound(Balance(), D("10"), unit_cost=D("1.5"))
    second = inbound(first.after, D("5"), unit_cost=D("2.1"))
    assert second.after == Balance(D("15"), D("25.50"))
    assert second.after.average_cost == D("1.7000")


def test_issue_takes_average_cost_rounded_to_the_cent():
    balance = Balance(D("3"), D("10.00"))
    out = outbound(balance, D("1"))
    assert out.value == D("-3.33")
    assert out.after == Balance(D("2"), D("6.67"))


def test_the_movement_that_empties_a_balance_takes_the_remaining_value():
    balance = Balance(D("3"), D("10.00"))
    one = outbound(balance, D("1"))
    two = outbound(one.after, D("1"))
    last = outbound(two.after, D("1"))
    assert last.after == Balance(D("0"), D("0.00"))
    assert one.value + two.value + last.value == D("-10.00")


def test_outbound_prefers_an_exact_value_it_can_afford():
    balance = Balance(D("10"), D("30.00"))
    assert outbound(balance, D("4"), value=D("10.00")).value == D("-10.00")
    # More value than the balance holds would leave it negative: average cost instead.
    assert outbound(balance, D("4"), value=D("99.00")).value == D("-12.00")


def test_shortage_names_every_line_and_posts_nothing():
    balances = {(1, 1): Balance(D("2"), D("2.00"))}
    intents = d.intents_for(
        d.DocumentType.ISSUE, 1, None, [d.LineIn(1, D("5")), d.LineIn(2, D("1"))]
    )
    with pytest.raises(InsufficientStock) as err:
        d.apply_intents(intents, balances)
    shortages = err.value.extra["shortages"]
    assert [(s["item_id"], s["available"], s["requested"]) for s in shortages] == [
        (1, "2.000", "5.000"),
        (2, "0.000", "1.000"),
    ]
    assert balances == {(1, 1): Balance(D("2"), D("2.00"))}


def test_transfer_moves_exact_value_between_warehouses():
    balances = {(1, 1): Balance(D("3"), D("10.00"))}
    intents = d.intents_for(d.DocumentType.TRANSFER, 1, 2, [d.LineIn(1, D("1"))])
    entries = d.apply_intents(intents, balances)
    assert [e.movement.value for e in entries] == [D("-3.33"), D("3.33")]
    assert balances[(1, 2)] == Balance(D("1"), D("3.33"))


def test_reversal_restores_the_balances_exactly():
    balances = {(1, 1): Balance(D("3"), D("10.00"))}
    intents = d.intents_for(d.DocumentType.ISSUE, 1, None, [d.LineIn(1, D("1"))])
    entries = d.apply_intents(intents, balances)
    undo = d.reversal_intents(
        [
            (e.line_index, e.key, e.movement.quantity, e.movement.unit_cost, e.movement.value)
            for e in entries
        ]
    )
    d.apply_intents(undo, balances)
    assert balances[(1, 1)] == Balance(D("3"), D("10.00"))


def test_positive_adjustment_without_cost_uses_average_then_fallback():
    balances = {(1, 1): Balance(D("2"), D("5.00"))}
    intents = d.intents_for(
        d.DocumentType.ADJUSTMENT, 1, None, [d.LineIn(1, D("2")), d.LineIn(2, D("1"))]
    )
    entries = d.apply_intents(intents, balances, fallback_costs={2: D("7.25")})
    assert [e.movement.value for e in entries] == [D("5.00"), D("7.25")]


@pytest.mark.parametrize(
    "doc_type,to_wh,line,field",
    [
        (d.DocumentType.RECEIPT, None, d.LineIn(1, D("0"), D("1")), "quantity"),
        (d.DocumentType.ISSUE, None, d.LineIn(1, D("-1")), "quantity"),
        (d.DocumentType.RECEIPT, None, d.LineIn(1, D("1.0001"), D("1")), "quantity"),
        (d.DocumentType.RECEIPT, None, d.LineIn(1, D("1")), "unit_cost"),
        (d.DocumentType.RECEIPT, None, d.LineIn(1, D("1"), D("-1")), "unit_cost"),
        (d.DocumentType.ISSUE, None, d.LineIn(1, D("1"), D("1")), "unit_cost"),
        (d.DocumentType.ADJUSTMENT, None, d.LineIn(1, D("0")), "quantity"),
    ],
)
def test_bad_lines_are_refused_with_field_errors(doc_type, to_wh, line, field):
    with pytest.raises(ValidationFailed) as err:
        d.validate_document(doc_type, 1, to_wh, [line])
    assert field in err.value.errors["lines"][0]


def test_transfer_to_the_same_warehouse_is_refused():
    with pytest.raises(ValidationFailed) as err:
        d.validate_document(d.DocumentType.TRANSFER, 1, 1, [d.LineIn(1, D("1"))])
    assert "to_warehouse_id" in err.value.errors


@pytest.mark.parametrize("doc_type", [t for t in d.DocumentType if t is not d.DocumentType.ISSUE])
def test_only_an_issue_is_charged_to_a_cost_centre(doc_type):
    to_wh = 2 if doc_type is d.DocumentType.TRANSFER else None
    line = d.LineIn(1, D("1"), D("1") if doc_type is d.DocumentType.RECEIPT else None)
    with pytest.raises(ValidationFailed) as err:
        d.validate_document(doc_type, 1, to_wh, [line], cost_centre_id=7)
    assert list(err.value.errors) == ["cost_centre_id"]
    d.validate_document(doc_type, 1, to_wh, [line], cost_centre_id=None)
    d.validate_document(d.DocumentType.ISSUE, 1, None, [d.LineIn(1, D("1"))], cost_centre_id=7)


def test_a_cancelled_document_cannot_be_posted_and_names_what_is_allowed():
    with pytest.raises(InvalidTransition) as err:
        d.check_transition(d.DocumentStatus.CANCELLED, d.DocumentStatus.POSTED)
    assert err.value.extra["allowed"] == []
    d.check_transition(d.DocumentStatus.DRAFT, d.DocumentStatus.POSTED)
