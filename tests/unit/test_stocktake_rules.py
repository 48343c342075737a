from decimal import Decimal as D

import pytest

from inventory.domain import stocktake as st
from inventory.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed


def test_variance_is_counted_minus_book_valued_at_the_book_cost():
    assert st.line_variance(D("10"), D("8"), D("2.5")) == st.Variance(D("-2.000"), D("-5.00"))
    assert st.line_variance(D("4"), D("4"), D("9.99")) == st.Variance(D("0.000"), D("0.00"))
    # 1 × 0.125 = 0.125 rounds half-even to 0.12; 3 × 0.125 = 0.375 to 0.38.
    assert st.line_variance(D("0"), D("1"), D("0.125")).value == D("0.12")
    assert st.line_variance(D("0"), D("3"), D("0.125")).value == D("0.38")


def test_book_unit_cost_is_the_average_or_the_items_cost_when_the_book_is_empty():
    assert st.book_unit_cost(D("3"), D("10.00"), D("5")) == D("3.3333")
    assert st.book_unit_cost(D("0"), D("0"), D("1.5")) == D("1.5000")


@pytest.mark.parametrize(
    ("book", "var_qty", "var_value", "within"),
    [
        (D("100"), D("-2"), D("-5.00"), True),  # exactly 2 % of 100: bounds are inclusive
        (D("100"), D("-2.001"), D("-5.00"), False),  # just past 2 %
        (D("100"), D("1"), D("50.00"), True),  # exactly the value tolerance
        (D("100"), D("1"), D("50.01"), False),  # within 2 % but worth too much
        (D("0"), D("1"), D("0.00"), False),  # found where the books hold none: always reviewed
        (D("0"), D("0"), D("0.00"), True),  # no variance is always fine
        (D("3"), D("0"), D("0.00"), True),
    ],
)
def test_tolerance_needs_both_quantity_and_value_inside(book, var_qty, var_value, within):
    assert st.within_tolerance(book, var_qty, var_value, D("2"), D("50")) is within


def test_accuracy_is_the_share_of_counted_lines_within_tolerance():
    assert st.accuracy([True, True, False]) == D("66.67")
    assert st.accuracy([True]) == D("100.00")
    assert st.accuracy([]) is None


def test_evaluate_counts_lines_variances_and_accuracy():
    lines = [
        st.LineFigures(1, D("98"), D("100"), D("2")),  # -2 of 100, -4.00: within
        st.LineFigures(2, D("7"), D("10"), D("1")),  # -30 %: out
        st.LineFigures(3, D("5"), D("5"), D("3")),  # exact
        st.LineFigures(4, None, None, None),  # not counted yet
    ]
    summary = st.evaluate(lines, D("2"), D("50"))
    assert (summary.total, summary.counted, summary.uncounted) == (4, 3, 1)
    assert summary.out_of_tolerance == 1
    assert summary.accuracy_pct == D("66.67")
    assert summary.variance_value_total == D("-7.00")
    assert [e.within for e in summary.lines] == [True, False, True, None]
    assert summary.lines[3].variance is None


def test_an_open_stocktake_can_post_or_cancel_and_a_closed_one_nothing():
    st.check_transition(st.StocktakeStatus.OPEN, st.StocktakeStatus.POSTED)
    st.check_transition(st.StocktakeStatus.OPEN, st.StocktakeStatus.CANCELLED)
    for closed in (st.StocktakeStatus.POSTED, st.StocktakeStatus.CANCELLED):
        with pytest.raises(InvalidTransition):
            st.check_transition(closed, st.StocktakeStatus.CANCELLED)
        with pytest.raises(InvalidTransition, match="closed"):
            st.check_open(closed, "take counts")
    st.check_open(st.StocktakeStatus.OPEN, "take counts")


def test_counts_are_refused_field_by_field():
    with pytest.raises(ValidationFailed) as caught:
        st.validate_counts(
            [
                st.CountIn(1, D("-1")),
                st.CountIn(2, D("1.0001")),
                st.CountIn(3, D("2")),
                st.CountIn(3, D("2")),
            ]
        )
    assert set(caught.value.errors["lines"]) == {0, 1, 3}
    assert "item_id" in caught.value.errors["lines"][3]
    with pytest.raises(ValidationFailed):
        st.validate_counts([])
    st.validate_counts([st.CountIn(1, D("0")), st.CountIn(2, D("1.5"))])


def test_tolerances_are_validated():
    st.validate_tolerances(D("0"), D("0"))
    st.validate_tolerances(D("100"), D("1000.50"))
    with pytest.raises(ValidationFailed) as caught:
        st.validate_tolerances(D("100.01"), D("-1"))
    assert set(caught.value.errors) == {"quantity_tolerance_pct", "value_tolerance"}
    with pytest.raises(ValidationFailed):
        st.validate_tolerances(D("1.005"), D("1"))


def test_counters_count_blind_until_the_stocktake_is_posted():
    open_, posted = st.StocktakeStatus.OPEN, st.StocktakeStatus.POSTED
    assert st.reveals_book({"warehouse"}, open_) is False
    assert st.reveals_book({"warehouse"}, st.StocktakeStatus.CANCELLED) is False
    assert st.reveals_book({"warehouse"}, posted) is True
    for reader in ("admin", "approver", "finance"):
        assert st.reveals_book({reader}, open_) is True


def test_an_approver_neither_created_nor_counted_the_stocktake():
    st.check_approver(7, {"approver"}, creator_id=1, counter_ids=[2, 3])
    with pytest.raises(PermissionDenied, match="your own"):
        st.check_approver(1, {"admin"}, creator_id=1, counter_ids=[])
    with pytest.raises(PermissionDenied, match="counted"):
        st.check_approver(2, {"approver"}, creator_id=1, counter_ids=[2])
    with pytest.raises(PermissionDenied, match="role"):
        st.check_approver(7, {"warehouse"}, creator_id=1, counter_ids=[])


def test_posting_needs_every_line_counted_and_approval_beyond_tolerance():
    out = st.LineFigures(1, D("0"), D("10"), D("1"), line_id=11, sku="BOLT-M8")
    missing = st.LineFigures(2, None, None, None, line_id=12, sku="NUT-M8")
    uncounted = st.evaluate([out, missing], D("2"), D("50"))
    with pytest.raises(Conflict) as caught:
        st.check_postable(uncounted, approved=True)
    assert caught.value.detail == (
        "1 of 2 lines is not counted yet, so the stocktake cannot be posted: NUT-M8 (line 12). "
        "Count it (0 when none is found) first."
    )
    assert caught.value.extra == {
        "uncounted": 1,
        "uncounted_lines": [{"line_id": 12, "item_id": 2, "sku": "NUT-M8"}],
    }
    counted = st.evaluate([out], D("2"), D("50"))
    with pytest.raises(Conflict) as caught:
        st.check_postable(counted, approved=False)
    assert caught.value.detail == (
        "1 line is out of tolerance: BOLT-M8 (line 11). The stocktake needs an approver before "
        "it is posted (POST .../approve), or recount that line."
    )
    assert caught.value.extra["out_of_tolerance_lines"] == [
        {"line_id": 11, "item_id": 1, "sku": "BOLT-M8"}
    ]
    st.check_postable(counted, approved=True)
    st.check_postable(st.evaluate([], D("2"), D("50")), approved=False)


def test_the_lines_to_recount_are_named_and_counted_in_the_plural():
    many = [
        st.LineFigures(i, D("0"), D("10"), D("1"), line_id=100 + i, sku=f"S{i}") for i in range(12)
    ]
    summary = st.evaluate(many, D("2"), D("50"))
    with pytest.raises(Conflict) as caught:
        st.check_postable(summary, approved=False)
    detail = caught.value.detail
    assert detail.startswith("12 lines are out of tolerance: S0 (line 100), S1 (line 101), ")
    assert "S9 (line 109) and 2 more." in detail and "recount those lines" in detail
    assert len(caught.value.extra["out_of_tolerance_lines"]) == 12
    both_missing = st.evaluate(
        [st.LineFigures(1, None, None, None, 5, "A"), st.LineFigures(2, None, None, None, 6, "B")],
        D("2"),
        D("50"),
    )
    with pytest.raises(Conflict, match=r"^2 of 2 lines are not counted yet.*A \(line 5\), B "):
        st.check_all_counted(both_missing, "be approved")
