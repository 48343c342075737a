"""Approval bands, the budget check, separation of duties, request states and totals: hand-computed
examples, no database."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from inventory.domain import approvals as ap
from inventory.domain import requests as rr
from inventory.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed

# The example: below 1,000 one approver; 1,000–10,000 one approver; from 10,000 an
# approver and then finance.
BANDS = [
    ap.Band(D("0"), D("1000"), ("approver",), "small", 1),
    ap.Band(D("1000"), D("10000"), ("approver",), "medium", 2),
    ap.Band(D("10000"), None, ("approver", "finance"), "large", 3),
]


# -- bands ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "steps"),
    [
        ("0", ("approver",)),
        ("999.99", ("approver",)),
        ("1000", ("approver",)),  # the lower bound belongs to the band
        ("9999.99", ("approver",)),
        ("10000", ("approver", "finance")),  # the upper bound does not
        ("10000.01", ("approver", "finance")),
        ("250000", ("approver", "finance")),
    ],
)
def test_an_amount_falls_in_the_band_that_holds_it(amount, steps):
    assert ap.steps_for(D(amount), BANDS) == steps


def test_an_amount_no_band_covers_needs_one_approver():
    gap = [ap.Band(D("0"), D("500"), (), "petty", 1), ap.Band(D("1000"), None, ("finance",))]
    assert ap.steps_for(D("499.99"), gap) == ()  # a band with no steps: no approval needed
    assert ap.steps_for(D("500"), gap) == ("approver",)
    assert ap.steps_for(D("999.99"), gap) == ("approver",)
    assert ap.steps_for(D("1000"), gap) == ("finance",)
    assert ap.steps_for(D("5"), []) == ap.DEFAULT_STEPS == ("approver",)


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("0", "1000"),  # the same as "small"
        ("999.99", "1000"),  # the last cent of "small"
        ("500", "1500"),  # across small and medium
        ("20000", None),  # inside the open-ended large band
        ("9000", None),
    ],
)
def test_overlapping_bands_are_refused(low, high):
    band = ap.Band(D(low), None if high is None else D(high), ("approver",), "new")
    with pytest.raises(Conflict) as refused:
        ap.check_no_overlap(band, BANDS)
    assert "overlaps rule" in refused.value.detail
    assert refused.value.extra["overlapping_rule_id"] in {1, 2, 3}


def test_bands_that_only_touch_do_not_overlap():
    small, medium = BANDS[0], BANDS[1]
    assert not small.overlaps(medium) and not medium.overlaps(small)
    ap.check_no_overlap(ap.Band(D("0"), D("1000"), ("approver",), id=1), BANDS[1:])
    # A rule may be re-saved over itself (same id) without overlapping itself.
    ap.check_no_overlap(BANDS[2], BANDS)


@pytest.mark.parametrize(
    ("low", "high", "steps", "field"),
    [
        ("-1", "10", ["approver"], "min_amount"),
        ("0.001", "10", ["approver"], "min_amount"),
        ("10", "10", ["approver"], "max_amount"),  # empty band [10, 10)
        ("10", "5", ["approver"], "max_amount"),
        ("0", None, ["admin"], "steps"),  # admin is not an approving role
        ("0", None, ["warehouse", "approver"], "steps"),
        ("0", None, ["approver"] * 6, "steps"),
    ],
)
def test_invalid_bands_name_the_field(low, high, steps, field):
    with pytest.raises(ValidationFailed) as refused:
        ap.validate_band(D(low), None if high is None else D(high), steps)
    assert field in refused.value.errors


# -- budget --------------------------------------------------------------------------------


def test_within_budget_is_approved_unflagged():
    # 10,000 budget, 6,000 committed, 4,000 requested: exactly at the budget is within it.
    figures = ap.BudgetFigures(D("10000"), D("6000"), D("4000"))
    assert figures.within and figures.over_by == 0
    assert ap.check_budget(figures, "refuse", "request 1") is False


def test_over_budget_is_refused_with_the_figures():
    # 10,000 − (6,000 + 4,000.01) → over by 0.01.
    figures = ap.BudgetFigures(D("10000"), D("6000"), D("4000.01"))
    with pytest.raises(ap.OverBudget) as refused:
        ap.check_budget(figures, "refuse", "request 7 against budget 2026-Q4")
    error = refused.value
    assert error.status == 409 and error.code == "over_budget"
    assert error.extra == {
        "budget": "10000.00",
        "committed": "6000.00",
        "requested": "4000.01",
        "over_by": "0.01",
    }
    assert "budget 10000.00, committed 6000.00, requested 4000.01, over by 0.01" in error.detail


def test_over_budget_with_flag_approves_and_flags():
    figures = ap.BudgetFigures(D("500"), D("450.50"), D("100"))
    assert figures.over_by == D("50.50")
    assert ap.check_budget(figures, "flag", "request 2") is True


def test_committed_spend_up_to_what_the_books_hold():
    largest = D("92233720368547758.07")  # a money column's largest value
    figures = ap.BudgetFigures(D("1000"), largest - D("1"), D("1"))
    assert ap.check_budget(figures, "flag", "x") is True
    one_cent_more = ap.BudgetFigures(D("1000"), largest - D("1"), D("1.01"))
    with pytest.raises(ValidationFailed, match="too large to record") as caught:
        ap.check_budget(one_cent_more, "flag", "request 7")
    assert caught.value.errors == {
        "total": ["Approving request 7 would commit more than the books can hold."]
    }


def test_nothing_committed_and_a_zero_budget():
    assert ap.check_budget(ap.BudgetFigures(D("0"), D("0"), D("0")), "refuse", "x") is False
    with pytest.raises(ap.OverBudget):
        ap.check_budget(ap.BudgetFigures(D("0"), D("0"), D("0.01")), "refuse", "x")


# -- separation of duties ----------------------------------------------------------------------


def decide(actor_id=2, roles=("approver",), raised_by=1, steps=("approver",), next_step=0, **kw):
    ap.check_may_decide(
        actor_id=actor_id,
        actor_roles=roles,
        raised_by=raised_by,
        steps=steps,
        next_step=next_step,
        earlier_approvers=kw.pop("earlier", ()),
        **kw,
    )


def test_an_approver_of_the_waiting_role_may_decide():
    decide()
    decide(actor_id=3, roles=("finance",), steps=("approver", "finance"), next_step=1, earlier={2})


def test_nobody_approves_their_own_request():
    with pytest.raises(PermissionDenied, match="cannot approve your own request"):
        decide(actor_id=1, raised_by=1)


def test_a_step_needs_its_own_role_and_the_refusal_names_it():
    # Finance may not take the approver's step of a small request: the amount is not beyond any
    # band, the step needs another role, and the message says which.
    with pytest.raises(PermissionDenied) as caught:
        decide(roles=("finance",), steps=("approver",))
    assert caught.value.detail == (
        "This request waits at step 0 for someone holding the role 'approver', which you do not "
        "hold; that step needs 'approver'."
    )
    assert "band" not in caught.value.detail
    assert caught.value.extra == {"waiting_role": "approver"}
    with pytest.raises(PermissionDenied, match="'finance'"):
        decide(roles=("viewer", "purchasing"), steps=("finance",))


def test_admin_does_not_bypass_separation_of_duties():
    with pytest.raises(PermissionDenied):
        decide(roles=("admin",))
    with pytest.raises(PermissionDenied, match="own request"):
        decide(actor_id=1, roles=("admin", "approver"), raised_by=1)


def test_no_one_approves_two_steps_of_the_same_request():
    with pytest.raises(PermissionDenied, match="earlier step"):
        decide(
            actor_id=2,
            roles=("approver", "finance"),
            steps=("approver", "finance"),
            next_step=1,
            earlier={2},
        )


def test_a_step_decided_meanwhile_is_a_conflict():
    # Two approvers opened step 0; the other approved it first, it now waits for finance.
    with pytest.raises(Conflict) as refused:
        decide(steps=("approver", "finance"), next_step=1)
    assert refused.value.status == 409 and refused.value.extra["waiting_role"] == "finance"
    with pytest.raises(Conflict, match="Step 0 .* decided already"):
        decide(roles=("finance",), steps=("approver", "finance"), next_step=1, expected_step=0)


def test_a_rejection_needs_a_reason():
    for blank in ("   ", "\u200b", "\ufeff"):  # zero-width characters say nothing either
        with pytest.raises(ValidationFailed):
            ap.require_reason(blank)
    assert ap.require_reason(" too dear ") == "too dear"
    assert ap.require_reason("\u200bok") == "\u200bok"


# -- request states and totals -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("draft", "submitted"),
        ("draft", "cancelled"),
        ("submitted", "approved"),
        ("submitted", "rejected"),
        ("submitted", "cancelled"),
        ("approved", "ordered"),
        ("approved", "cancelled"),
        ("ordered", "closed"),
        ("ordered", "cancelled"),
        ("closed", "ordered"),  # only when an order carrying it reopens
    ],
)
def test_legal_transitions(current, target):
    rr.check_request_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("draft", "approved", ["cancelled", "submitted"]),
        ("submitted", "ordered", ["approved", "cancelled", "rejected"]),
        ("approved", "approved", ["cancelled", "ordered"]),
        ("rejected", "submitted", []),
        ("ordered", "approved", ["cancelled", "closed"]),
        ("closed", "cancelled", ["ordered"]),
        ("cancelled", "draft", []),
    ],
)
def test_illegal_transitions_name_the_allowed_ones(current, target, allowed):
    with pytest.raises(InvalidTransition) as refused:
        rr.check_request_transition(current, target)
    assert refused.value.status == 409
    assert refused.value.extra == {"current": current, "allowed": allowed}
    for name in allowed:
        assert name in refused.value.detail


def test_the_total_is_the_sum_of_rounded_line_amounts():
    # 3 × 0.3333 = 0.9999 → 1.00; 2.5 × 1.0050 = 2.5125 → 2.51; 1 × 1000 = 1000.00.
    lines = [(D("3"), D("0.3333")), (D("2.5"), D("1.0050")), (D("1"), D("1000"))]
    assert rr.request_total(lines) == D("1003.51")
    # Ties go to the even cent: 0.005 → 0.00, 0.015 → 0.02; rounded per line, then summed.
    assert rr.line_amount(D("1"), D("0.0050")) == D("0.00")
    assert rr.line_amount(D("3"), D("0.0050")) == D("0.02")
    assert rr.request_total([(D("1"), D("0.0050"))] * 3) == D("0.00")  # not round(0.015)
    assert rr.request_total([]) == D("0.00")


def test_request_lines_are_checked():
    good = rr.RequestLineIn(1, D("1"), D("0"))
    rr.validate_lines([good])
    with pytest.raises(ValidationFailed) as refused:
        rr.validate_lines(
            [good, rr.RequestLineIn(2, D("0"), D("1")), rr.RequestLineIn(3, D("1"), D("-0.01"))]
        )
    assert set(refused.value.errors["lines"]) == {"1", "2"}
    assert "quantity" in refused.value.errors["lines"]["1"]
    assert "estimated_price" in refused.value.errors["lines"]["2"]
    with pytest.raises(ValidationFailed):
        rr.validate_lines([])
    with pytest.raises(ValidationFailed):
        rr.validate_lines([rr.RequestLineIn(1, D("1.0001"), D("1"))])
