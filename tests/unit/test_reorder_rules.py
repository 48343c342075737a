"""The reorder decision with hand-computed values: inventory position, MOQ and pack rounding,
supplier choice, urgency at the day boundary, the projected stock-out and each exception."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from inventory.domain import reorder as r
from inventory.domain.pricing import Offer, PriceBreak
from inventory.errors import ValidationFailed

TODAY = date(2026, 3, 10)


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def offer(
    item_id=1, price="1.00", lead=5, moq="0", pack="0", score=None, preferred=False, breaks=()
):
    return Offer(
        supplier_id=item_id * 10,
        supplier_item_id=item_id,
        supplier_code=f"S{item_id}",
        currency="EUR",
        unit_price=D(price),
        breaks=tuple(PriceBreak(D(q), D(u)) for q, u in breaks),
        min_order_quantity=D(moq),
        pack_size=D(pack),
        lead_time_days=lead,
        preferred=preferred,
        score=None if score is None else D(score),
        rate=D(1),
    )


def decide(**overrides):
    args = {
        "on_hand": D("10"),
        "open_receipts": (),
        "requested": D("0"),
        "levels": r.Levels(D("40"), D("100")),
        "mean_per_day": D("2"),
        "lead_time": r.LeadTime(D("14"), D("3")),
        "service_level": D("0.95"),
        "options": (offer(),),
        "today": TODAY,
    }
    args.update(overrides)
    return r.decide(**args)


# --- MOQ and pack rounding -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "moq", "pack", "expected"),
    [
        ("7", "10", "0", "10.000"),  # raised to the MOQ
        ("10", "10", "0", "10.000"),  # exactly the MOQ
        ("10.001", "10", "0", "10.001"),  # pack 0: any quantity above the MOQ
        ("0", "10", "6", "0.000"),  # nothing needed: no order, MOQ or not
        ("-3", "10", "6", "0.000"),
        ("12", "0", "6", "12.000"),  # already a multiple of the pack
        ("13", "0", "6", "18.000"),  # up to the next pack
        ("7", "10", "4", "12.000"),  # MOQ 10 first, then whole packs of 4
        ("1.1", "0", "0.25", "1.250"),  # fractional packs
        ("0.001", "0", "0", "0.001"),
    ],
)
def test_round_to_supplier(quantity, moq, pack, expected):
    assert r.round_to_supplier(D(quantity), D(moq), D(pack)) == D(expected)
    assert str(r.round_to_supplier(D(quantity), D(moq), D(pack))) == expected  # 3 decimals


def test_round_to_supplier_refuses_negative_moq_or_pack():
    with pytest.raises(ValueError):
        r.round_to_supplier(D("5"), D("-1"), D("0"))
    with pytest.raises(ValueError):
        r.round_to_supplier(D("5"), D("0"), D("-1"))


# --- inventory position --------------------------------------------------------------------


def test_position_adds_open_orders_and_approved_requests():
    assert r.inventory_position(D("5"), D("12") + D("8"), D("10")) == D("35.000")
    assert r.inventory_position(D("0"), D("0"), D("0")) == D("0.000")


def test_position_refuses_negative_open_quantities():
    with pytest.raises(ValidationFailed):
        r.inventory_position(D("5"), D("-1"), D("0"))


def test_decide_counts_open_lines_in_the_position():
    receipts = (r.OpenReceipt(D("12"), day(20), 7), r.OpenReceipt(D("8"), day(25), 8))
    decision = decide(on_hand=D("5"), open_receipts=receipts, requested=D("10"))
    assert decision.explanation["on_order"] == "20.000"
    assert decision.explanation["position"] == "35.000"
    assert decision.suggestion.needed == D("65.000")  # 100 - 35


# --- the suggestion ------------------------------------------------------------------------


def test_suggestion_hand_computed():
    # on hand 10 + open 20 + requested 5 = 35 <= 40: order 100 - 35 = 65; MOQ 50, packs of 12
    # -> 6 packs = 72. Need-by: 35 / 2 per day = 17.5 -> day 17; order-by 17 - 14 = day 3.
    decision = decide(
        open_receipts=(r.OpenReceipt(D("20"), day(10), 99),),
        requested=D("5"),
        options=(offer(moq="50", pack="12", lead=14),),
    )
    s = decision.suggestion
    assert (s.needed, s.quantity) == (D("65.000"), D("72.000"))
    assert (s.need_by, s.order_by) == (day(17), day(3))
    assert s.urgency is r.Urgency.URGENT
    assert s.supplier.option.supplier_item_id == 1 and s.supplier.on_time
    assert decision.explanation["quantity"] == "72.000"
    assert decision.explanation["supplier_id"] == 10


def test_no_second_suggestion_once_the_first_is_requested():
    first = decide()
    assert first.suggestion.quantity == D("90.000")  # 100 - 10
    # The suggestion became an approved request: the position now holds it.
    second = decide(requested=first.suggestion.quantity)
    assert second.suggestion is None
    assert "above the reorder point" in second.explanation["rule"]
    # ... and the same once that request is on an order instead.
    third = decide(open_receipts=(r.OpenReceipt(first.suggestion.quantity, day(14)),))
    assert third.suggestion is None


def test_at_the_reorder_point_orders_and_one_above_does_not():
    assert decide(on_hand=D("40")).suggestion.needed == D("60.000")
    assert decide(on_hand=D("40.001")).suggestion is None


def test_no_suggestion_when_position_already_reaches_order_up_to():
    decision = decide(levels=r.Levels(D("40"), D("40")), on_hand=D("40"))
    assert decision.suggestion is None
    assert "already reaches" in decision.explanation["rule"]


def test_suggestion_without_any_supplier_keeps_the_unrounded_quantity():
    decision = decide(options=())
    assert decision.suggestion.quantity == D("90.000")
    assert decision.suggestion.supplier is None
    assert decision.explanation["supplier_reason"] == "No supplier offers this item."


def test_new_item_gets_a_suggestion_from_its_min_max_settings():
    decision = decide(
        levels=r.Levels(D("5"), D("20"), source="settings"), on_hand=D("2"), mean_per_day=D("0")
    )
    assert decision.suggestion.quantity == D("18.000")
    # No demand yet: needed by the end of the lead time, so ordered today.
    assert decision.suggestion.order_by == TODAY
    assert decision.explanation["levels_source"] == "settings"


def test_new_item_without_settings_gets_no_suggestion_and_no_error():
    decision = decide(levels=None, mean_per_day=D("0"))
    assert decision.suggestion is None
    assert "min/max" in decision.explanation["rule"]


def test_missing_lead_time_is_a_named_error():
    with pytest.raises(r.MissingLeadTime) as caught:
        decide(lead_time=None)
    assert caught.value.code == "missing_lead_time"


@pytest.mark.parametrize("level", ["0", "1", "1.5", "-0.1"])
def test_service_level_outside_0_1_is_refused(level):
    with pytest.raises(ValidationFailed):
        decide(service_level=D(level))


# --- urgency at the day boundary -----------------------------------------------------------


@pytest.mark.parametrize(
    ("on_hand", "order_by", "urgency"),
    [
        ("9", -1, r.Urgency.OVERDUE),  # 9 / 1 per day -> need-by day 9, lead 10 -> day -1
        ("10", 0, r.Urgency.URGENT),  # order-by today: still in time
        ("10.999", 0, r.Urgency.URGENT),  # a part-day of stock does not move need-by
        ("13", 3, r.Urgency.URGENT),
        ("14", 4, r.Urgency.NORMAL),
        ("0", -10, r.Urgency.OVERDUE),
    ],
)
def test_urgency_at_the_day_boundary(on_hand, order_by, urgency):
    s = decide(
        on_hand=D(on_hand),
        mean_per_day=D("1"),
        lead_time=r.LeadTime(D("10")),
        levels=r.Levels(D("20"), D("50")),
    ).suggestion
    assert s.order_by == day(order_by)
    assert s.urgency is urgency


def test_fractional_lead_time_rounds_up_to_whole_days():
    s = decide(on_hand=D("20"), mean_per_day=D("1"), lead_time=r.LeadTime(D("9.2"))).suggestion
    assert s.order_by == day(10)  # need-by day 20, lead 10 days


# --- projected stock-out and exceptions ----------------------------------------------------


def test_stockout_from_on_hand_alone():
    assert r.projected_stockout(D("10"), (), D("2"), TODAY) == day(5)  # days 0-4 use 10
    assert r.projected_stockout(D("0"), (), D("2"), TODAY) == TODAY
    assert r.projected_stockout(D("10"), (), D("0"), TODAY) is None
    assert r.projected_stockout(D("10000"), (), D("1"), TODAY) is None  # beyond 730 days


def test_stockout_counts_dated_receipts_from_their_date():
    receipts = (r.OpenReceipt(D("6"), day(3)), r.OpenReceipt(D("100"), None))
    # 10 + 6 from day 3 = 16 covers days 0-7; the undated 100 is not projected.
    assert r.projected_stockout(D("10"), receipts, D("2"), TODAY) == day(8)
    # A late receipt counts from today: 0 + 4 covers days 0-1.
    late = (r.OpenReceipt(D("4"), day(-3)),)
    assert r.projected_stockout(D("0"), late, D("2"), TODAY) == day(2)
    # Arriving on the first short day still serves that day: 10 + 4 covers days 0-6.
    on_time = (r.OpenReceipt(D("4"), day(5)),)
    assert r.projected_stockout(D("10"), on_time, D("2"), TODAY) == day(7)


def kinds(decision):
    return [e.kind for e in decision.exceptions]


def test_expedite_when_stock_runs_out_before_the_next_receipt():
    decision = decide(open_receipts=(r.OpenReceipt(D("20"), day(10), 99),))
    assert decision.stockout_on == day(5)
    (expedite,) = decision.exceptions
    assert expedite.kind is r.ExceptionKind.EXPEDITE
    assert (expedite.order_line_id, expedite.on, expedite.quantity) == (99, day(10), D("20"))
    assert decision.explanation["stockout_on"] == day(5).isoformat()


def test_no_expedite_when_the_receipt_arrives_on_the_short_day():
    decision = decide(open_receipts=(r.OpenReceipt(D("20"), day(5), 99),))
    assert decision.stockout_on == day(15)  # 10 + 20 = 30 covers days 0-14
    assert r.ExceptionKind.EXPEDITE not in kinds(decision)


def test_late_order_for_lines_past_their_promised_date():
    receipts = (
        r.OpenReceipt(D("5"), day(-1), 1),
        r.OpenReceipt(D("5"), day(0), 2),  # due today: not late yet
        r.OpenReceipt(D("5"), day(-8), 3),
        r.OpenReceipt(D("5"), None, 4),
    )
    decision = decide(on_hand=D("1000"), open_receipts=receipts)
    late = [e for e in decision.exceptions if e.kind is r.ExceptionKind.LATE_ORDER]
    assert [e.order_line_id for e in late] == [1, 3]
    assert "1 day late" in late[0].detail and "8 days late" in late[1].detail


def test_overstock_above_twice_order_up_to_and_a_year_of_demand():
    # S 100, 0.1 per day: a year is 36.5. Position 201 > 200 and excess 101 > 36.5.
    receipts = (r.OpenReceipt(D("100"), day(30), 5),)
    over = decide(on_hand=D("101"), open_receipts=receipts, mean_per_day=D("0.1"))
    (overstock,) = over.exceptions
    assert overstock.kind is r.ExceptionKind.OVERSTOCK and overstock.quantity == D("101.000")
    assert "up to 100.000 on open orders could be cut" in overstock.detail
    # Exactly twice the order-up-to level is not overstock.
    assert decide(on_hand=D("200"), mean_per_day=D("0.1")).exceptions == ()


def test_no_overstock_while_the_excess_is_under_a_year_of_demand():
    # S 100, 1 per day: position 300 is 3x S but its excess 200 is under 365 days of demand.
    assert decide(on_hand=D("300"), mean_per_day=D("1")).exceptions == ()
    assert kinds(decide(on_hand=D("466"), mean_per_day=D("1"))) == [r.ExceptionKind.OVERSTOCK]


def test_stock_that_outlasts_the_calendar_is_overstock_not_an_error():
    # 10^9 units at a thousandth a day last 10^12 days, past any date: no stock-out to date.
    decision = decide(on_hand=D("1000000000"), mean_per_day=D("0.001"))
    assert decision.stockout_on is None
    assert kinds(decision) == [r.ExceptionKind.OVERSTOCK]


def test_dead_item_with_stock_is_overstock():
    decision = decide(on_hand=D("5"), mean_per_day=D("0"), levels=r.Levels(D("0"), D("0")))
    assert decision.suggestion is None
    assert kinds(decision) == [r.ExceptionKind.OVERSTOCK]


# --- supplier choice -----------------------------------------------------------------------


def test_choose_the_cheapest_that_arrives_by_the_need_date():
    slow_cheap, fast_dear = offer(1, "1.00", lead=20), offer(2, "1.50", lead=5)
    early = r.choose_supplier([slow_cheap, fast_dear], D("10"), day(10), TODAY)
    assert early.option is fast_dear and early.on_time
    late_need = r.choose_supplier([slow_cheap, fast_dear], D("10"), day(30), TODAY)
    assert late_need.option is slow_cheap and late_need.unit_price == D("1.00")


def test_none_in_time_picks_the_fastest_and_flags_it():
    choice = r.choose_supplier([offer(1, lead=20), offer(2, lead=15)], D("10"), day(10), TODAY)
    assert choice.option.supplier_item_id == 2 and not choice.on_time
    assert "no offer arrives by the needed-by date" in choice.reason


def test_price_break_reached_by_pack_rounding_wins():
    # 90 needed. A: packs of 50 -> 100 at the 100+ break 1.00 = 100.00; B: 90 x 1.20 = 108.00.
    a = offer(1, "2.00", pack="50", breaks=[("100", "1.00")])
    b = offer(2, "1.20")
    choice = r.choose_supplier([a, b], D("90"), day(10), TODAY)
    assert (choice.option, choice.quantity, choice.unit_price) == (a, D("100.000"), D("1.00"))
    # Without the pack, A stays below its break: 90 x 2.00 = 180.00 loses to B.
    a_loose = offer(1, "2.00", breaks=[("100", "1.00")])
    assert r.choose_supplier([a_loose, b], D("90"), day(10), TODAY).option is b


def test_score_decides_between_offers_within_5_percent():
    low, high = offer(1, "1.00", score="40"), offer(2, "1.04", score="90")
    assert r.choose_supplier([low, high], D("10"), day(10), TODAY).option is high
    assert (
        r.choose_supplier([low, offer(3, "1.06", score="90")], D("10"), day(10), TODAY).option
        is low
    )


def test_choose_supplier_without_options_or_quantity():
    assert r.choose_supplier([], D("10"), day(10), TODAY) is None
    with pytest.raises(ValueError):
        r.choose_supplier([offer()], D("0"), day(10), TODAY)


def test_explanation_holds_the_figures_as_plain_values():
    decision = decide(
        context={"model": "SBA", "demand_class": "intermittent", "backtest_mase": 0.8}
    )
    e = decision.explanation
    assert (e["on_hand"], e["position"], e["reorder_point"], e["order_up_to"]) == (
        "10.000",
        "10.000",
        "40",
        "100",
    )
    assert (e["mean_demand_per_day"], e["lead_time_days"], e["lead_time_sd_days"]) == (
        "2",
        "14",
        "3",
    )
    assert e["service_level"] == "0.95" and e["urgency"] == "overdue"  # need-by day 5, lead 14
    assert (e["model"], e["demand_class"], e["backtest_mase"]) == ("SBA", "intermittent", 0.8)
