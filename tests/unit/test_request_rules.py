"""Purchase request rules: which requests may be edited, and when an ordered one closes."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from inventory.domain import requests as rr
from inventory.domain.requests import LineProgress
from inventory.domain.requests import RequestStatus as S
from inventory.errors import InvalidTransition


def _line(quantity="10", ordered="10", *statuses: str) -> LineProgress:
    return LineProgress(D(quantity), D(ordered), frozenset(statuses))


def test_only_a_draft_is_editable():
    rr.check_editable(S.DRAFT, 1)
    for status in set(S) - {S.DRAFT}:
        with pytest.raises(InvalidTransition) as refused:
            rr.check_editable(status, 7)
        assert f"Purchase request 7 is {status}; only a draft can be edited" in str(refused.value)
        assert refused.value.extra == {"current": str(status)}


@pytest.mark.parametrize("done", ["received", "closed", "cancelled"])
def test_an_ordered_request_whose_orders_are_all_done_closes(done):
    assert rr.ready_to_close(S.ORDERED, [_line("10", "10", done)])


@pytest.mark.parametrize("still_open", ["draft", "sent", "partially_received"])
def test_one_open_order_keeps_it_open(still_open):
    lines = [_line("10", "10", "received"), _line("5", "5", "closed", still_open)]
    assert not rr.ready_to_close(S.ORDERED, lines)


def test_a_request_split_over_two_orders_closes_when_both_are_done():
    first_done = [_line("10", "10", "received"), _line("4", "4", "sent")]
    assert not rr.ready_to_close(S.ORDERED, first_done)
    both_done = [_line("10", "10", "received"), _line("4", "4", "closed")]
    assert rr.ready_to_close(S.ORDERED, both_done)


def test_a_line_waiting_to_be_ordered_keeps_it_open():
    # A cancelled order released the line: its need waits to be ordered again.
    released = [_line("10", "10", "received"), _line("4", "0", "cancelled")]
    assert not rr.ready_to_close(S.ORDERED, released)
    partly = [_line("10", "6", "closed")]
    assert not rr.ready_to_close(S.ORDERED, partly)
    # Ordered again and that order done: the cancelled order it was on counts as done too.
    reordered = [_line("10", "10", "received"), _line("4", "4", "cancelled", "received")]
    assert rr.ready_to_close(S.ORDERED, reordered)


def test_more_than_asked_for_counts_as_fully_ordered():
    assert rr.fully_ordered(_line("10", "12"))
    assert rr.ready_to_close(S.ORDERED, [_line("10.000", "12.000", "closed")])


@pytest.mark.parametrize("status", sorted(set(S) - {S.ORDERED}))
def test_only_an_ordered_request_closes(status):
    assert not rr.ready_to_close(status, [_line("1", "1", "received")])


def test_a_request_without_lines_does_not_close():
    assert not rr.ready_to_close(S.ORDERED, [])


def test_closing_is_a_legal_move_only_from_ordered():
    rr.check_request_transition(S.ORDERED, S.CLOSED)
    with pytest.raises(InvalidTransition):
        rr.check_request_transition(S.APPROVED, S.CLOSED)


def test_dropping_an_ordered_request_cancels_it_when_nothing_came_and_closes_it_when_some_did():
    ended = [rr.LineProgress(D("10"), D("0"), frozenset({"cancelled"}))]
    assert rr.after_dropping(7, ended, D("0")) is rr.RequestStatus.CANCELLED
    assert rr.after_dropping(7, ended, D("2")) is rr.RequestStatus.CLOSED
    never_ordered_again = [rr.LineProgress(D("10"), D("0"))]
    assert rr.after_dropping(7, never_ordered_again, D("0")) is rr.RequestStatus.CANCELLED


def test_dropping_is_refused_while_an_order_carrying_the_request_is_open():
    lines = [
        rr.LineProgress(D("10"), D("10"), frozenset({"cancelled", "partially_received"})),
        rr.LineProgress(D("5"), D("5"), frozenset({"sent"})),
    ]
    with pytest.raises(InvalidTransition) as refused:
        rr.after_dropping(7, lines, D("3"))
    assert refused.value.status == 409
    assert refused.value.extra["open_orders"] == ["partially_received", "sent"]
    assert "cancel or close those orders first" in refused.value.detail


@pytest.mark.parametrize("reopened", ["sent", "partially_received"])
def test_a_closed_request_reopens_when_an_order_carrying_it_does(reopened):
    assert rr.reopens(S.CLOSED, [_line("10", "10", reopened)])
    split = [_line("10", "10", "received"), _line("4", "4", "closed", reopened)]
    assert rr.reopens(S.CLOSED, split)
    rr.check_request_transition(S.CLOSED, S.ORDERED)


def test_a_closed_request_whose_orders_are_all_done_stays_closed():
    assert not rr.reopens(S.CLOSED, [_line("10", "10", "received"), _line("4", "4", "closed")])
    assert not rr.reopens(S.CLOSED, [])


def test_a_request_closed_by_dropping_its_need_stays_closed():
    # The buyer cancelled what was still needed after 6 of 10 came: reopening would revive it.
    assert not rr.reopens(S.CLOSED, [_line("10", "6", "partially_received")])


@pytest.mark.parametrize("status", sorted(set(S) - {S.CLOSED}))
def test_only_a_closed_request_reopens(status):
    assert not rr.reopens(status, [_line("10", "10", "sent")])


def test_a_closed_request_reopens_only_to_ordered():
    for target in set(S) - {S.ORDERED}:
        with pytest.raises(InvalidTransition):
            rr.check_request_transition(S.CLOSED, target)
