"""ISO 2859-1 single sampling at general inspection level II: Table 1, the master tables 2-A
(normal) and 2-B (tightened) with their arrows, and the switching rules. Every expected value is
read off the published tables (and the worked example in Montgomery's *Statistical Quality
Control*: lot 2,000, AQL 0.65 % → K, n = 125; normal Ac 2 Re 3, tightened Ac 1 Re 2)."""

from decimal import Decimal as D

import pytest

from inventory.domain import sampling as sp
from inventory.domain.sampling import LotResult, Severity, SwitchingState
from inventory.errors import ValidationFailed

N, T = Severity.NORMAL, Severity.TIGHTENED


@pytest.mark.parametrize(
    "lot, letter",
    [
        (1, "A"),
        (2, "A"),
        (8, "A"),
        (9, "B"),
        (15, "B"),
        (16, "C"),
        (25, "C"),
        (26, "D"),
        (50, "D"),
        (51, "E"),
        (90, "E"),
        (91, "F"),
        (150, "F"),
        (151, "G"),
        (280, "G"),
        (281, "H"),
        (500, "H"),
        (501, "J"),
        (1000, "J"),
        (1200, "J"),
        (1201, "K"),
        (2000, "K"),
        (3200, "K"),
        (3201, "L"),
        (10000, "L"),
        (10001, "M"),
        (35000, "M"),
        (35001, "N"),
        (150000, "N"),
        (150001, "P"),
        (500000, "P"),
        (500001, "Q"),
        (10**9, "Q"),
    ],
)
def test_table_1_level_ii_code_letters(lot, letter):
    assert sp.code_letter(lot) == letter


def test_sample_sizes_per_code_letter():
    assert sp.SAMPLE_SIZES == {
        "A": 2, "B": 3, "C": 5, "D": 8, "E": 13, "F": 20, "G": 32, "H": 50, "J": 80,
        "K": 125, "L": 200, "M": 315, "N": 500, "P": 800, "Q": 1250, "R": 2000, "S": 3150,
    }  # fmt: skip


@pytest.mark.parametrize(
    "lot, aql, n, ac, re",
    [
        # Row J (lot 501-1200, n = 80) straight from Table 2-A.
        (1000, "0.15", 80, 0, 1),
        (1000, "0.65", 80, 1, 2),
        (1000, "1.0", 80, 2, 3),
        (1000, "1.5", 80, 3, 4),
        (1000, "2.5", 80, 5, 6),
        (1000, "4.0", 80, 7, 8),
        (1000, "6.5", 80, 10, 11),
        (1000, "10", 80, 14, 15),
        # J at 0.25 is ↑ (H: n = 50, Ac 0); at 0.40 ↓ (K: n = 125, Ac 1).
        (1000, "0.25", 50, 0, 1),
        (1000, "0.40", 125, 1, 2),
        # Row H (lot 281-500, n = 50); at 0.65 the cell is ↓ to J: n = 80, Ac 1 Re 2.
        (500, "0.25", 50, 0, 1),
        (500, "0.65", 80, 1, 2),
        (500, "1.0", 50, 1, 2),
        (500, "2.5", 50, 3, 4),
        (500, "4.0", 50, 5, 6),
        (500, "6.5", 50, 7, 8),
        # Row K (n = 125): Montgomery's lot of 2,000 at 0.65, and more of the row.
        (2000, "0.65", 125, 2, 3),
        (2000, "1.0", 125, 3, 4),
        (2000, "2.5", 125, 7, 8),
        (2000, "10", 125, 21, 22),
        # Row L (n = 200); at 10 the cell is ↑ to K's 21 22.
        (5000, "1.0", 200, 5, 6),
        (5000, "10", 125, 21, 22),
        # Rows N and P at 2.5: N is 21 22, P's cell ↑ points to N.
        (100000, "2.5", 500, 21, 22),
        (200000, "2.5", 500, 21, 22),
        # Small lots: G (n = 32), F (20), E (13); row D (n = 8) reads 0 1 at 1.5, ↑ at 2.5 (to
        # C, n = 5, Ac 0), ↓ at 4.0 (to E, n = 13, Ac 1), 1 2 at 6.5, 2 3 at 10.
        (200, "2.5", 32, 2, 3),
        (100, "2.5", 20, 1, 2),
        (60, "1.0", 13, 0, 1),
        (50, "1.5", 8, 0, 1),
        (50, "2.5", 5, 0, 1),
        (50, "4.0", 13, 1, 2),
        (50, "6.5", 8, 1, 2),
        (50, "10", 8, 2, 3),
        # The Ac 0 diagonal at the small AQLs: 0.065 at L (n = 200), 0.010 at Q (n = 1,250).
        (5000, "0.065", 200, 0, 1),
        (600000, "0.010", 1250, 0, 1),
        # 0.065 for a lot of 1,000 is ↓ down to L.
        (1000, "0.065", 200, 0, 1),
    ],
)
def test_normal_inspection_table_2a(lot, aql, n, ac, re):
    plan = sp.plan_for(lot, D(aql), N)
    assert (plan.sample_size, plan.accept, plan.reject) == (n, ac, re)
    assert not plan.full_inspection


@pytest.mark.parametrize(
    "lot, aql, n, ac, re",
    [
        # Row J, Table 2-B: the same n = 80 with smaller acceptance numbers.
        (1000, "0.25", 80, 0, 1),
        (1000, "1.0", 80, 1, 2),
        (1000, "1.5", 80, 2, 3),
        (1000, "2.5", 80, 3, 4),
        (1000, "4.0", 80, 5, 6),
        (1000, "6.5", 80, 8, 9),
        (1000, "10", 80, 12, 13),
        # J at 0.65 tightened is ↓ to K: n = 125, Ac 1 Re 2.
        (1000, "0.65", 125, 1, 2),
        # Montgomery: lot 2,000 (K) at 0.65 tightened.
        (2000, "0.65", 125, 1, 2),
        (2000, "10", 125, 18, 19),
        # Tightened Ac 0 needs one letter more than normal: H at 0.25 is 0 1 in Table 2-A
        # (n = 50) but ↓ in Table 2-B, to J's 0 1 (n = 80).
        (500, "0.25", 80, 0, 1),
        (500, "2.5", 50, 2, 3),
    ],
)
def test_tightened_inspection_table_2b(lot, aql, n, ac, re):
    plan = sp.plan_for(lot, D(aql), T)
    assert (plan.sample_size, plan.accept, plan.reject) == (n, ac, re)


def test_tightened_row_r_points_down_to_s():
    # R at 0.025 in Table 2-B is ↓ to S, the only plan of row S: n = 3,150, Ac 1 Re 2.
    assert sp.master_plan("R", D("0.025"), T) == ("S", 1, 2)
    assert sp.master_plan("R", D("0.010"), T) == ("R", 0, 1)


def test_arrows_off_the_edge_of_the_table_turn_back():
    # Row A at AQL 10 (normal): its diagonal is the ↑ one, with no row above; the first plan below
    # is C's 1 2 (n = 5).
    assert sp.master_plan("A", D("10"), N) == ("C", 1, 2)
    # Row R at 0.015 (normal) is ↓ with no row below; the first plan above is P's 0 1.
    assert sp.master_plan("R", D("0.015"), N) == ("P", 0, 1)


def test_sample_size_at_or_over_the_lot_means_inspect_everything():
    # Lot 5 (A) at AQL 1.0: ↓ down to E's n = 13 ≥ 5, so all 5 units are inspected.
    plan = sp.plan_for(5, D("1.0"))
    assert (plan.code_letter, plan.plan_letter) == ("A", "E")
    assert (plan.sample_size, plan.accept, plan.reject, plan.full_inspection) == (5, 0, 1, True)
    one = sp.plan_for(1, D("6.5"))
    assert (one.sample_size, one.full_inspection) == (1, True)
    # Lot 8 at 6.5: A, n = 2, an ordinary sample.
    assert sp.plan_for(8, D("6.5")).sample_size == 2


def test_worked_examples_from_the_brief():
    assert sp.plan_for(1000, D("1.0")).code_letter == "J"
    assert sp.plan_for(50, D("6.5")).code_letter == "D"
    assert sp.SAMPLE_SIZES["D"] == 8
    assert sp.plan_for(500, D("1.0")).code_letter == "H"


def test_aql_must_be_in_the_series_and_may_be_written_with_any_zeros():
    assert sp.check_aql(D("1.0000")) == D("1.0")
    assert sp.check_aql(D("1")) == D("1.0")
    with pytest.raises(ValidationFailed) as err:
        sp.check_aql(D("2.0"))
    assert "aql" in err.value.errors
    with pytest.raises(ValidationFailed):
        sp.check_aql(D("15"))  # nonconformities per hundred units: not for receiving


def test_lot_decision_from_defects_found():
    plan = sp.plan_for(1000, D("1.0"))  # n 80, Ac 2, Re 3
    assert plan.decide(0) is LotResult.ACCEPTED
    assert plan.decide(2) is LotResult.ACCEPTED
    assert plan.decide(3) is LotResult.REJECTED
    assert plan.decide(80) is LotResult.REJECTED
    with pytest.raises(ValidationFailed):
        plan.decide(81)


@pytest.mark.parametrize(
    "quantity, lot", [("1", 1), ("0.001", 1), ("12.5", 13), ("1000", 1000), ("1000.001", 1001)]
)
def test_lot_size_is_the_received_quantity_rounded_up(quantity, lot):
    assert sp.lot_size_of(D(quantity)) == lot


def _run(state: SwitchingState, results: str) -> SwitchingState:
    for r in results:
        state = sp.after_lot(state, LotResult(r))
    return state


def test_normal_switches_to_tightened_when_two_of_five_lots_are_rejected():
    assert _run(SwitchingState(), "AR") == SwitchingState(N, "AR")
    assert _run(SwitchingState(), "RR") == SwitchingState(T, "")
    assert _run(SwitchingState(), "RAAAR") == SwitchingState(T, "")  # 2 of 5 consecutive
    # Six lots apart is not "2 of 5 consecutive": only the last five count.
    assert _run(SwitchingState(), "RAAAAR") == SwitchingState(N, "AAAAR")


def test_the_record_keeps_the_last_five_lots():
    assert _run(SwitchingState(), "AAAAAAA").recent == "AAAAA"
    assert _run(SwitchingState(), "RAAAAA").recent == "AAAAA"


def test_tightened_returns_to_normal_after_five_accepted_in_a_row():
    tightened = SwitchingState(T, "")
    assert _run(tightened, "AAAA") == SwitchingState(T, "AAAA")
    assert _run(tightened, "AAAAA") == SwitchingState(N, "")
    # A rejection restarts the count.
    assert _run(tightened, "AAAARAAAA") == SwitchingState(T, "RAAAA")
    assert _run(tightened, "AAAARAAAAA") == SwitchingState(N, "")


def test_a_full_cycle_normal_tightened_normal():
    state = _run(SwitchingState(), "ARR")
    assert state.severity is T
    state = _run(state, "AAAAA")
    assert state == SwitchingState(N, "")
    # Back on normal, one rejection alone does not switch.
    assert _run(state, "R").severity is N
