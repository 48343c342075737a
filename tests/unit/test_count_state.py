"""What a blind counter is told about a line: to count, recount, or counted."""

from decimal import Decimal as D

import pytest

from inventory.domain.stocktake import CountState, LineFigures, count_state, evaluate


@pytest.mark.parametrize(
    "counted, book, state",
    [
        (None, D(10), CountState.TO_COUNT),
        (D(10), D(10), CountState.COUNTED),
        (D("9.8"), D(10), CountState.COUNTED),  # 2 % off: on the tolerance, included
        (D("9.7"), D(10), CountState.RECOUNT),
        (D(1), D(0), CountState.RECOUNT),  # found where the books hold none
        (D(0), D(0), CountState.COUNTED),
    ],
)
def test_the_state_follows_the_tolerance(counted, book, state):
    summary = evaluate([LineFigures(1, counted, book, D(1))], D(2), D(50))
    assert count_state(summary.lines[0]) is state
