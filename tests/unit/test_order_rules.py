"""Purchase order rules: transitions, totals, cancellation, approval need, supplier status."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from inventory.domain import orders as o
from inventory.domain.orders import LineQuantities as L
from inventory.domain.orders import OrderStatus as S
from inventory.errors import InvalidTransition, ValidationFailed


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.DRAFT, S.SENT),
        (S.DRAFT, S.CANCELLED),
        (S.SENT, S.PARTIALLY_RECEIVED),
        (S.SENT, S.RECEIVED),
        (S.SENT, S.CANCELLED),
        (S.PARTIALLY_RECEIVED, S.RECEIVED),
        (S.PARTIALLY_RECEIVED, S.CLOSED),
        (S.PARTIALLY_RECEIVED, S.SENT),  # its only receipt cancelled
        (S.RECEIVED, S.PARTIALLY_RECEIVED),  # goods returned
        (S.RECEIVED, S.CLOSED),
    ],
)
def test_legal_transitions(current, target):
    o.check_order_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (S.DRAFT, S.RECEIVED, ["cancelled", "sent"]),
        (S.SENT, S.CLOSED, ["cancelled", "partially_received", "received"]),
        (S.RECEIVED, S.CANCELLED, ["closed", "partially_received", "sent"]),
        (S.CLOSED, S.SENT, []),
        (S.CANCELLED, S.CANCELLED, []),  # final states are never re-entered
        (S.SENT, S.SENT, ["cancelled", "partially_received", "received"]),  # no re-send
    ],
)
def test_illegal_transitions_name_the_allowed_ones(current, target, allowed):
    with pytest.raises(InvalidTransition) as refused:
        o.check_order_transition(current, target)
    assert refused.value.extra == {"current": current.value, "allowed": allowed}
    words = refused.value.detail
    if current == target:
        assert f"is {str(target).replace('_', ' ')} already; nothing was changed" in words
    else:
        assert f"cannot become {str(target).replace('_', ' ')}" in words
    assert "_" not in words  # states in words, not as their codes


def test_strings_are_accepted_as_states():
    o.check_order_transition("draft", "sent")


def test_receiving_state_follows_the_quantities():
    assert o.status_from_quantities([L(1, D("10"), D("0")), L(2, D("5"), D("0"))]) is S.SENT
    assert (
        o.status_from_quantities([L(1, D("10"), D("4")), L(2, D("5"), D("0"))])
        is S.PARTIALLY_RECEIVED
    )
    assert o.status_from_quantities([L(1, D("10"), D("10")), L(2, D("5"), D("5.2"))]) is S.RECEIVED
    # A line whose rest was cancelled counts as complete.
    assert o.status_from_quantities([L(1, D("10"), D("6"), D("4"))]) is S.RECEIVED


def test_an_order_with_nothing_received_is_cancelled_whole():
    outcome = o.cancellation(S.SENT, [L(1, D("10"), D("0")), L(2, D("2.5"), D("0"))])
    assert outcome == o.Cancellation(S.CANCELLED, {1: D("10"), 2: D("2.5")})
    assert o.cancellation(S.DRAFT, [L(1, D("1"), D("0"))]).target is S.CANCELLED


def test_a_partly_received_order_cancels_its_rest_and_closes():
    lines = [L(1, D("10"), D("4")), L(2, D("5"), D("0")), L(3, D("3"), D("3.1"))]
    outcome = o.cancellation(S.PARTIALLY_RECEIVED, lines)
    # 10 − 4 = 6 and 5 − 0 = 5 are cancelled; the over-received line cancels nothing.
    assert outcome == o.Cancellation(S.CLOSED, {1: D("6"), 2: D("5"), 3: D("0")})


@pytest.mark.parametrize("status", [S.CLOSED, S.CANCELLED])
def test_a_final_order_cannot_be_cancelled(status):
    with pytest.raises(InvalidTransition):
        o.cancellation(status, [L(1, D("1"), D("0"))])


def test_a_fully_received_order_has_nothing_to_cancel_and_is_closed_instead():
    with pytest.raises(InvalidTransition) as refused:
        o.cancellation(S.RECEIVED, [L(1, D("1"), D("1"))])
    assert "close it instead" in refused.value.detail
    assert o.closing(S.RECEIVED, [L(1, D("1"), D("1"))]) == o.Cancellation(S.CLOSED, {1: D("0")})


@pytest.mark.parametrize(
    ("po_quantity", "received", "ordered", "released"),
    [
        ("12", "0", "10", "10"),  # rounded up to 12 for a need of 10: all 10 released
        ("12", "4", "10", "6"),  # 4 arrived and stay ordered
        ("12", "11", "10", "0"),  # more arrived than was needed
        ("10", "0", "0", "0"),  # already released
    ],
)
def test_an_ended_order_line_releases_what_it_did_not_deliver(
    po_quantity, received, ordered, released
):
    assert o.released_from_request(D(po_quantity), D(received), D(ordered)) == D(released)


def test_closing_needs_something_received():
    with pytest.raises(InvalidTransition):
        o.closing(S.SENT, [L(1, D("1"), D("0"))])


def test_totals_round_each_line_to_the_cent_then_add():
    # 3 × 0.3333 = 0.9999 → 1.00; 7 × 1.005 = 7.035 → 7.04 (half-even: 7.035 → 7.04)
    assert o.line_total(D("3"), D("0.3333")) == D("1.00")
    assert o.order_total([(D("3"), D("0.3333")), (D("7"), D("1.005"))]) == D("8.04")
    assert o.order_total([]) == D("0.00")
    # 100.00 USD at 0.912345 = 91.2345 → 91.23 EUR
    assert o.in_base(D("100.00"), D("0.912345")) == D("91.23")


@pytest.mark.parametrize(
    ("direct", "total", "estimate", "tolerance", "needed"),
    [
        (True, "1.00", "1000.00", "10", True),  # direct orders always
        (False, "1100.00", "1000.00", "10", False),  # exactly 10% over: within tolerance
        (False, "1100.01", "1000.00", "10", True),  # a cent beyond
        (False, "900.00", "1000.00", "10", False),  # cheaper than estimated
        (False, "1000.01", "1000.00", "0", True),  # zero tolerance
        (False, "0.01", "0.00", "10", True),  # nothing was estimated
    ],
)
def test_approval_is_needed_for_direct_orders_and_beyond_the_tolerance(
    direct, total, estimate, tolerance, needed
):
    assert (
        o.needs_approval(
            direct=direct,
            total_base=D(total),
            estimate_base=D(estimate),
            tolerance_pct=D(tolerance),
        )
        is needed
    )


def test_blocked_and_on_hold_suppliers_are_refused_with_their_own_codes():
    with pytest.raises(o.SupplierBlocked) as blocked:
        o.check_supplier_orderable("ACME", "blocked")
    assert blocked.value.code == "supplier_blocked" and blocked.value.status == 409
    with pytest.raises(o.SupplierOnHold) as on_hold:
        o.check_supplier_orderable("ACME", "on_hold")
    assert on_hold.value.code == "supplier_on_hold" and "on hold" in on_hold.value.detail
    o.check_supplier_orderable("ACME", "active")


def test_a_pending_or_rejected_approval_stops_the_send():
    with pytest.raises(o.ApprovalOutstanding) as pending:
        o.check_approved("pending", "finance")
    assert "waiting for finance" in pending.value.detail
    with pytest.raises(o.ApprovalOutstanding):
        o.check_approved("rejected", None)
    o.check_approved("approved", None)
    o.check_approved("not_required", None)


def test_order_lines_are_checked():
    with pytest.raises(ValidationFailed) as refused:
        o.check_order_lines([(D("0"), None), (D("1"), D("-1")), (D("1.0001"), D("1.00001"))])
    assert set(refused.value.errors["lines"]) == {"0", "1", "2"}
    assert set(refused.value.errors["lines"]["2"]) == {"quantity", "unit_price"}
    with pytest.raises(ValidationFailed):
        o.check_order_lines([])
    o.check_order_lines([(D("1"), None), (D("0.001"), D("0"))])
