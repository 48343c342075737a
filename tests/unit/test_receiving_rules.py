"""Receipt rules without a database: line validation, the over-receipt tolerance (hand-computed),
the order status that received quantities call for, cancel and return checks."""

from decimal import Decimal as D

import pytest

from inventory.domain import receiving as rc
from inventory.domain.orders import LineQuantities, OrderStatus, status_from_quantities
from inventory.domain.receiving import ReceiptLineIn
from inventory.errors import Conflict, InvalidTransition, ValidationFailed


def _line(po_line_id=1, received="10", accepted="10", rejected="0", reason="", defects=None):
    return ReceiptLineIn(po_line_id, D(received), D(accepted), D(rejected), reason, defects)


def _errors(lines) -> dict:
    with pytest.raises(ValidationFailed) as err:
        rc.validate_lines(lines)
    return err.value.errors["lines"]


def test_a_valid_receipt_passes():
    rc.validate_lines([_line(1), _line(2, "5", "3", "2", "scratched", 1)])


def test_accepted_plus_rejected_must_equal_received():
    errors = _errors([_line(received="10", accepted="7", rejected="2", reason="bent")])
    assert "Accepted (7) + rejected (2) must equal received (10)" in errors[0]["accepted"][0]


@pytest.mark.parametrize("field", ["received", "accepted", "rejected"])
def test_negative_quantities_are_refused(field):
    values = {"received": "1", "accepted": "1", "rejected": "0", field: "-1"}
    errors = _errors([_line(**values)])
    assert errors[0][field] == ["Cannot be negative."]


def test_more_than_three_decimals_is_refused():
    assert _errors([_line(received="1.0001", accepted="1.0001")])[0]["received"]


def test_nothing_received_the_same_line_twice_and_rejects_without_reason():
    errors = _errors(
        [_line(1, "0", "0"), _line(2), _line(2), _line(3, "2", "1", "1"), _line(4, defects=-1)]
    )
    assert errors[0]["received"] == ["Must be greater than zero."]
    assert errors[2]["po_line_id"] == ["Each order line at most once per receipt."]
    assert errors[3]["reason"] == ["Say why goods were rejected."]
    assert errors[4]["defects_found"] == ["Cannot be negative."]
    assert 1 not in errors


def test_a_receipt_needs_lines():
    with pytest.raises(ValidationFailed):
        rc.validate_lines([])


def _ordered(quantity, received="0", cancelled="0", line_id=1):
    return LineQuantities(line_id, D(quantity), D(received), D(cancelled))


@pytest.mark.parametrize(
    "quantity, cancelled, pct, limit",
    [
        ("100", "0", "5", "105"),  # 100 × 1.05
        ("7", "0", "5", "7.35"),  # 7 × 1.05
        ("100", "20", "5", "84"),  # (100 − 20) × 1.05
        ("10", "0", "0", "10"),
        ("0.333", "0", "5", "0.34965"),  # exact; the figures show 0.349, the most receivable
    ],
)
def test_receipt_limit(quantity, cancelled, pct, limit):
    assert rc.receipt_limit(_ordered(quantity, cancelled=cancelled), D(pct)) == D(limit)


def test_over_receipt_counts_what_was_accepted_before_and_now():
    ordered = {1: _ordered("100", received="60"), 2: _ordered("7")}
    rc.check_over_receipt(ordered, {1: D("45"), 2: D("7.35")}, D("5"))  # 105 and 7.35: at limit
    with pytest.raises(Conflict) as err:
        rc.check_over_receipt(ordered, {1: D("45.001"), 2: D("7.35")}, D("5"))
    (over,) = err.value.extra["over_receipt"]
    assert over == {
        "po_line_id": 1,
        "ordered": "100.000",
        "already_received": "60.000",
        "receiving": "45.001",
        "limit": "105.000",
        "tolerance_pct": "5",
    }
    assert "ordered 100.000, received 60.000, receiving 45.001, at most 105.000" in (
        err.value.detail
    )


def test_over_receipt_limit_figure_is_rounded_down():
    with pytest.raises(Conflict) as err:
        rc.check_over_receipt({1: _ordered("0.333")}, {1: D("0.35")}, D("5"))
    assert err.value.extra["over_receipt"][0]["limit"] == "0.349"


@pytest.mark.parametrize(
    "lines, status",
    [
        ([("10", "0"), ("5", "0")], OrderStatus.SENT),
        ([("10", "4"), ("5", "0")], OrderStatus.PARTIALLY_RECEIVED),
        ([("10", "10"), ("5", "4.999")], OrderStatus.PARTIALLY_RECEIVED),
        ([("10", "10"), ("5", "5")], OrderStatus.RECEIVED),
        ([("10", "10.5"), ("5", "5")], OrderStatus.RECEIVED),  # within the tolerance
    ],
)
def test_order_status_from_received_quantities(lines, status):
    quantities = [_ordered(q, r, line_id=i) for i, (q, r) in enumerate(lines)]
    assert status_from_quantities(quantities) is status


@pytest.mark.parametrize("status", ["draft", "cancelled", "closed"])
def test_receiving_needs_a_sent_or_receiving_order(status):
    with pytest.raises(InvalidTransition) as err:
        rc.check_can("receive goods on", status, rc.CAN_RECEIVE)
    assert err.value.extra["allowed"] == ["partially_received", "received", "sent"]


def test_cancelling_a_receipt_whose_goods_were_returned_is_refused():
    ordered = {1: _ordered("10", received="3")}
    rc.check_cancellable(ordered, {1: D("3")}, 9)
    with pytest.raises(Conflict) as err:
        rc.check_cancellable(ordered, {1: D("4")}, 9)
    assert err.value.extra["lines"] == [
        {"po_line_id": 1, "received": "3.000", "receipt_accepted": "4.000"}
    ]


def test_returns_are_limited_to_what_was_received():
    line = _ordered("10", received="4")
    rc.check_return(line, D("4"))
    with pytest.raises(Conflict):
        rc.check_return(line, D("4.001"))
    for bad in ("0", "-1", "0.0001"):
        with pytest.raises(ValidationFailed):
            rc.check_return(line, D(bad))
