"""Price breaks, MOQ and pack-size rounding, and supplier ranking, with hand-computed examples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from inventory.domain import pricing as p
from inventory.domain.pricing import Offer, PriceBreak
from inventory.errors import ValidationFailed

TODAY = date(2026, 1, 10)
BREAKS = (
    PriceBreak(D("50"), D("1.50")),
    PriceBreak(D("10"), D("1.80")),
    PriceBreak(D("100"), D("1.20")),
)


@pytest.mark.parametrize(
    ("quantity", "price"),
    [
        ("1", "2.00"),  # below every break: the base price
        ("9.999", "2.00"),
        ("10", "1.80"),  # a break's own quantity is included
        ("49.999", "1.80"),
        ("50", "1.50"),
        ("99", "1.50"),
        ("100", "1.20"),
        ("5000", "1.20"),  # the highest break holds from there on
    ],
)
def test_the_highest_break_at_most_the_quantity_wins(quantity, price):
    assert p.unit_price_for(D("2.00"), BREAKS, D(quantity)) == D(price)


def test_no_breaks_means_the_base_price():
    assert p.unit_price_for(D("2.00"), (), D("1000")) == D("2.00")
    assert p.applicable_break((), D("1")) is None


@pytest.mark.parametrize(
    ("needed", "moq", "pack", "expected"),
    [
        ("7", "0", "0", "7.000"),  # no MOQ, any quantity
        ("7", "10", "0", "10.000"),  # raised to the MOQ
        ("12", "10", "0", "12.000"),  # above the MOQ: unchanged
        ("7", "0", "6", "12.000"),  # two packs of 6
        ("12", "0", "6", "12.000"),  # already whole packs
        ("11", "10", "4", "12.000"),  # 11 → three packs of 4
        ("3", "10", "4", "12.000"),  # MOQ 10 first, then packs: 12
        ("1.1", "0", "0.25", "1.250"),  # fractional packs
        ("1", "0", "0.25", "1.000"),
        ("0.001", "0", "0", "0.001"),
        ("10", "0", "0.333", "10.323"),  # 31 packs of 0.333
    ],
)
def test_order_quantity_is_raised_to_the_moq_then_whole_packs(needed, moq, pack, expected):
    result = p.order_quantity(D(needed), D(moq), D(pack))
    assert result == D(expected)
    assert str(result) == expected


def test_rounding_up_can_reach_a_cheaper_break():
    offer = _offer(1, "ACME", unit_price="2.00", breaks=BREAKS, pack="25")
    quote = p.quote(offer, D("45"), None, TODAY)
    # 45 → two packs of 25 = 50, and 50 earns the 1.50 break: 50 × 1.50 = 75.00
    assert (quote.order_quantity, quote.unit_price, quote.total) == (D("50"), D("1.50"), D("75.00"))
    assert quote.applied_break == PriceBreak(D("50"), D("1.50"))


def _offer(item_id, code, *, currency="EUR", unit_price="10.00", rate="1", **kw) -> Offer:
    return Offer(
        supplier_id=item_id,
        supplier_item_id=item_id,
        supplier_code=code,
        currency=currency,
        unit_price=D(unit_price),
        breaks=kw.get("breaks", ()),
        min_order_quantity=D(kw.get("moq", "0")),
        pack_size=D(kw.get("pack", "0")),
        lead_time_days=kw.get("lead", 5),
        preferred=kw.get("preferred", False),
        score=None if kw.get("score") is None else D(kw["score"]),
        rate=None if rate is None else D(rate),
    )


def test_offers_compare_in_base_currency():
    euro = _offer(1, "EURO", unit_price="10.00", score="80")
    dollar = _offer(2, "DOLLAR", currency="USD", unit_price="10.00", rate="0.9")
    ranked = p.rank([euro, dollar], D("10"), None, TODAY)
    # 10 × 10.00 USD × 0.9 = 90.00 EUR beats 100.00 EUR, and 100 > 90 × 1.05 = 94.50
    assert [q.offer.supplier_code for q in ranked] == ["DOLLAR", "EURO"]
    assert ranked[0].total == D("100.00") and ranked[0].total_base == D("90.00")


def test_a_preferred_supplier_within_five_percent_of_the_cheapest_wins():
    cheapest = _offer(1, "CHEAP", unit_price="9.00")  # 90.00
    preferred = _offer(2, "PREF", unit_price="9.40", preferred=True, score="60")  # 94.00 ≤ 94.50
    too_dear = _offer(3, "DEAR", unit_price="9.50", preferred=True)  # 95.00 > 94.50
    proposal = p.propose([too_dear, cheapest, preferred], D("10"), None, TODAY)
    assert proposal.supplier_id == 2
    assert proposal.reason.startswith(
        "PREF: within 5% of the cheapest offer (90.00 EUR from CHEAP) and chosen for: "
        "preferred supplier, score 60 against 50."
    )
    order = [
        q.offer.supplier_code for q in p.rank([too_dear, cheapest, preferred], D("10"), None, TODAY)
    ]
    assert order == ["PREF", "CHEAP", "DEAR"]


def test_within_the_band_the_higher_score_wins_then_the_lower_total():
    low = _offer(1, "LOW", unit_price="10.00", score="70")
    high = _offer(2, "HIGH", unit_price="10.40", score="90")
    unscored = _offer(3, "NEW", unit_price="10.20")  # counts as 50
    ranked = p.rank([low, high, unscored], D("10"), None, TODAY)
    assert [q.offer.supplier_code for q in ranked] == ["HIGH", "LOW", "NEW"]


def test_an_offer_in_time_beats_a_cheaper_late_one():
    late = _offer(1, "SLOW", unit_price="5.00", lead=10)
    in_time = _offer(2, "FAST", unit_price="20.00", lead=2)
    proposal = p.propose([late, in_time], D("1"), date(2026, 1, 13), TODAY)
    assert proposal.supplier_id == 2
    assert proposal.reason == (
        "FAST: chosen over SLOW: the cheaper offer arrives too late. "
        "1.000 × 20.00 EUR = 20.00 EUR. Arrives 2026-01-12, by the needed-by date 2026-01-13. "
        "Supplier not scored yet (counted as 50)."
    )


def test_when_nothing_arrives_in_time_the_earliest_arrival_wins():
    slow = _offer(1, "SLOW", unit_price="5.00", lead=10)
    slower = _offer(2, "SLOWER", unit_price="1.00", lead=20)
    medium = _offer(3, "MEDIUM", unit_price="50.00", lead=4)
    proposal = p.propose([slow, slower, medium], D("1"), date(2026, 1, 11), TODAY)
    assert proposal.supplier_id == 3
    assert proposal.reason.startswith(
        "MEDIUM: no offer arrives by the needed-by date; this one arrives first."
    )
    assert "Arrives 2026-01-14, after the needed-by date 2026-01-11." in proposal.reason


def test_the_reason_for_a_single_offer_says_everything_that_shaped_it():
    offer = _offer(7, "ACME", unit_price="2.00", breaks=BREAKS, pack="5", lead=3, score="80")
    proposal = p.propose([offer], D("8"), None, TODAY)
    assert proposal == p.Proposal(
        supplier_id=7,
        supplier_item_id=7,
        order_quantity=D("10"),
        unit_price=D("1.80"),
        currency="EUR",
        lead_time_days=3,
        reason=(
            "ACME: the only supplier with a comparable offer. 10.000 × 1.80 EUR = 18.00 EUR. "
            "Rounded up from 8.000 (pack size 5). Price break from 10 applied. "
            "Lead time 3 days, arrives 2026-01-13. Supplier score 80."
        ),
    )


def test_a_foreign_offer_shows_its_base_amount_and_rate():
    offer = _offer(1, "YANK", currency="USD", unit_price="3.3333", rate="0.912345", moq="12")
    proposal = p.propose([offer], D("5"), None, TODAY)
    # 12 × 3.3333 = 39.9996 → 40.00 USD; × 0.912345 = 36.4938 → 36.49 EUR
    assert "12.000 × 3.3333 USD = 40.00 USD (36.49 EUR at rate 0.912345)." in proposal.reason
    assert "Rounded up from 5.000 (minimum order 12)." in proposal.reason


def test_an_offer_without_an_exchange_rate_is_skipped_and_said_so():
    pound = _offer(1, "BRIT", currency="GBP", unit_price="1.00", rate=None)
    euro = _offer(2, "EURO", unit_price="100.00")
    proposal = p.propose([pound, euro], D("1"), None, TODAY)
    assert proposal.supplier_id == 2
    assert proposal.reason.endswith("Offers in GBP skipped: no exchange rate.")
    assert p.propose([pound], D("1"), None, TODAY) is None
    assert p.propose([], D("1"), None, TODAY) is None


def test_an_exact_tie_goes_to_the_lower_supplier_item_id():
    a, b = _offer(4, "A"), _offer(3, "B")
    assert p.propose([a, b], D("1"), None, TODAY).supplier_item_id == 3


def test_the_base_currency_rate_is_one():
    assert p.rate_for("EUR", {}) == 1
    assert p.rate_for("USD", {"USD": D("0.9")}) == D("0.9")
    assert p.rate_for("USD", {}) is None


def test_supplier_item_figures_are_checked_field_by_field():
    errors = p.supplier_item_errors(
        {
            "unit_price": D("-1"),
            "min_order_quantity": D("1.0001"),
            "pack_size": D("-2"),
            "lead_time_days": 4000,
            "price_breaks": [
                PriceBreak(D("10"), D("1")),
                PriceBreak(D("10"), D("0.5")),
                PriceBreak(D("0"), D("-0.1")),
            ],
        }
    )
    assert set(errors) == {
        "unit_price",
        "min_order_quantity",
        "pack_size",
        "lead_time_days",
        "price_breaks",
    }
    assert errors["price_breaks"]["1"] == {
        "min_quantity": ["Each break needs its own minimum quantity."]
    }
    assert set(errors["price_breaks"]["2"]) == {"min_quantity", "unit_price"}
    assert p.supplier_item_errors({"unit_price": D("0"), "price_breaks": []}) == {}


def test_a_rate_must_be_positive_and_not_for_the_base_currency():
    with pytest.raises(ValidationFailed) as refused:
        p.check_rate("EUR", D("0"))
    assert set(refused.value.errors) == {"currency", "rate"}
    with pytest.raises(ValidationFailed):
        p.check_rate("USD", D("1.0000001"))
    p.check_rate("USD", D("0.912345"))
