"""The reorder decision for one item in one warehouse: whether to suggest an order, how much,
from whom and by when, which exceptions to raise beside it, and the figures that explain it.

Values in, values out: no clock (``today`` is passed in), no I/O, no pandas. The reorder point
and order-up-to level come from ``forecasting.policy`` (or, for a ``new`` item, from its min/max
settings); supplier ranking and MOQ/pack rounding are procurement's rules in ``pricing``, so a
suggestion and a hand-made request propose the same supplier.

The rules, in full:
- Inventory position = on hand + open order quantity not yet received + approved request
  quantity not yet ordered (see ``inventory_position`` for what each input must hold).
- Suggest when position <= reorder point, for order-up-to − position, rounded up to the chosen
  supplier's MOQ and then to whole packs. Nothing is suggested when the position, which already
  holds what is on order and requested, is above the reorder point or reaches the order-up-to
  level: an item already requested is never requested twice.
- Need-by date: the day the position would be used up at the mean daily demand,
  ``today + floor(position / demand per day)`` (today when the position is 0 or less; today +
  the lead time when there is no demand). Order-by date: need-by − the mean lead time, in whole
  days rounded up. Urgency: ``overdue`` when order-by is before today, ``urgent`` when it is at
  most ``URGENT_WITHIN_DAYS`` days away (today included), else ``normal``.
- Projected stock-out date if nothing more is ordered: on hand plus each dated open receipt from
  its promised date (a late one from today) against the mean daily demand; the first day whose
  demand cannot be met from what has arrived by then. None without demand or beyond
  ``PROJECTION_DAYS``. Receipts without a promised date count in the position, not here.
- Exceptions: ``expedite`` when the projected stock-out falls before a dated open receipt (the
  earliest such receipt is named); ``late_order`` for each open receipt whose promised date is
  before today; ``overstock`` when the position is above ``OVERSTOCK_FACTOR`` × order-up-to
  and the excess over order-up-to covers more than ``OVERSTOCK_DAYS`` days of mean demand (an
  item without demand and with stock above its order-up-to level is overstocked).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum

from inventory.domain import numbers as n
from inventory.domain import pricing as p
from inventory.errors import ValidationFailed

# A supplier option is procurement's offer: supplier and supplier item ids, unit price with
# optional price breaks ``(min_quantity, unit_price)``, MOQ, pack size, lead time, score,
# preferred flag, currency and rate. Only active supplier items of active suppliers are options
# (``services.suppliers.offers_for`` lists exactly those).
SupplierOption = p.Offer

URGENT_WITHIN_DAYS = 3
OVERSTOCK_FACTOR = Decimal(2)
OVERSTOCK_DAYS = 365
PROJECTION_DAYS = 730


class Urgency(StrEnum):
    OVERDUE = "overdue"
    URGENT = "urgent"
    NORMAL = "normal"


class ExceptionKind(StrEnum):
    EXPEDITE = "expedite"
    LATE_ORDER = "late_order"
    OVERSTOCK = "overstock"


class MissingLeadTime(ValidationFailed):
    """No lead time is known for the item: the run records this per item and goes on."""

    code = "missing_lead_time"


@dataclass(frozen=True)
class OpenReceipt:
    """What is still to arrive on one open order line: ordered − received (> 0)."""

    quantity: Decimal
    promised_on: date | None
    order_line_id: int | None = None


@dataclass(frozen=True)
class LeadTime:
    mean_days: Decimal
    sd_days: Decimal = n.ZERO


@dataclass(frozen=True)
class Levels:
    """Reorder point and order-up-to level; ``source`` says where they came from."""

    reorder_point: Decimal
    order_up_to: Decimal
    source: str = "forecast"  # or "settings" (a new item's min/max)


@dataclass(frozen=True)
class SupplierChoice:
    option: p.Offer
    quantity: Decimal  # rounded to the option's MOQ and pack size
    unit_price: Decimal  # after any price break for that quantity
    on_time: bool  # False: no option arrives by the need date; this one arrives first
    reason: str


@dataclass(frozen=True)
class Suggestion:
    quantity: Decimal  # to order, rounded
    needed: Decimal  # order-up-to − position, before rounding
    need_by: date
    order_by: date
    urgency: Urgency
    supplier: SupplierChoice | None  # None: no supplier offers the item


@dataclass(frozen=True)
class ReorderException:
    kind: ExceptionKind
    detail: str
    quantity: Decimal | None = None
    on: date | None = None  # the receipt's promised date (expedite, late_order)
    order_line_id: int | None = None


@dataclass(frozen=True)
class Decision:
    suggestion: Suggestion | None
    exceptions: tuple[ReorderException, ...]
    stockout_on: date | None
    explanation: dict = field(default_factory=dict)


def inventory_position(on_hand: Decimal, on_order: Decimal, requested: Decimal) -> Decimal:
    """on hand + on order + requested, where the caller guarantees nothing is counted twice:

    - ``on_hand``: the balance in the warehouse now (received stock only);
    - ``on_order``: Σ (ordered − received) over the open purchase-order lines for the item and
      warehouse (sent or confirmed orders; received or cancelled lines contribute nothing);
    - ``requested``: Σ quantity of approved purchase requests for the item and warehouse that
      are not yet on any order (a request that became an order line counts only in
      ``on_order``, through that line).
    """
    if on_order < 0 or requested < 0:
        raise ValidationFailed(
            "Open order and requested quantities cannot be negative.",
            errors={"on_order": [str(on_order)], "requested": [str(requested)]},
        )
    return n.qty(on_hand + on_order + requested)


def round_to_supplier(
    quantity: Decimal, min_order_quantity: Decimal, pack_size: Decimal
) -> Decimal:
    """``quantity`` raised to the MOQ, then up to a whole number of packs (pack size 0: any
    quantity), with 3 decimals. Nothing needed (``quantity <= 0``) stays 0: the MOQ applies to
    an order, not to the absence of one."""
    if min_order_quantity < 0 or pack_size < 0:
        raise ValueError("MOQ and pack size cannot be negative.")
    if quantity <= 0:
        return n.qty(0)
    return p.order_quantity(quantity, min_order_quantity, pack_size)


def choose_supplier(
    options: Sequence[p.Offer], quantity: Decimal, need_by: date | None, today: date
) -> SupplierChoice | None:
    """The option to order ``quantity`` (> 0) from, by procurement's ranking (``pricing.rank``):
    among the options that arrive by ``need_by`` (today + lead time <= need_by), those within 5%
    of the cheapest total for their rounded quantity, at their price break, are ranked by
    preferred flag, then score, then price; when none arrives in time, the one that arrives
    first, with ``on_time`` False. None when there is no comparable option."""
    if quantity <= 0:
        raise ValueError("Choose a supplier for a positive quantity.")
    ranked = p.rank(options, quantity, need_by, today)
    if not ranked:
        return None
    best = ranked[0]
    return SupplierChoice(
        option=best.offer,
        quantity=best.order_quantity,
        unit_price=best.unit_price,
        on_time=best.on_time,
        reason=p.explain(ranked, options, quantity, need_by),
    )


def projected_stockout(
    on_hand: Decimal, receipts: Sequence[OpenReceipt], per_day: Decimal, today: date
) -> date | None:
    """The first day whose demand cannot be met if nothing more is ordered (see the module)."""
    if per_day <= 0:
        return None
    arrivals = sorted(
        (max((r.promised_on - today).days, 0), r.quantity)
        for r in receipts
        if r.promised_on is not None
    )
    available = on_hand
    i = 0
    while True:
        while i < len(arrivals) and arrivals[i][0] <= 0:
            available += arrivals[i][1]
            i += 1
        # Days 0..k-1 are covered while available >= per_day * k: the first short day is
        # k = floor(available / per_day), unless a receipt arrives by then.
        short_day = max(int((available / per_day).to_integral_value(rounding=ROUND_FLOOR)), 0)
        if i < len(arrivals) and arrivals[i][0] <= short_day:
            offset = arrivals[i][0]
            while i < len(arrivals) and arrivals[i][0] == offset:
                available += arrivals[i][1]
                i += 1
            continue
        return today + timedelta(days=short_day) if short_day <= PROJECTION_DAYS else None


def urgency_of(order_by: date, today: date) -> Urgency:
    if order_by < today:
        return Urgency.OVERDUE
    if (order_by - today).days <= URGENT_WITHIN_DAYS:
        return Urgency.URGENT
    return Urgency.NORMAL


def _need_by(position: Decimal, per_day: Decimal, lead_days: int, today: date) -> date:
    if per_day <= 0:
        return today + timedelta(days=lead_days)
    if position <= 0:
        return today
    days = int((position / per_day).to_integral_value(rounding=ROUND_FLOOR))
    return today + timedelta(days=min(days, PROJECTION_DAYS))


def _exceptions(
    receipts: Sequence[OpenReceipt],
    stockout_on: date | None,
    position: Decimal,
    on_order: Decimal,
    levels: Levels | None,
    per_day: Decimal,
    today: date,
) -> list[ReorderException]:
    found = []
    after = sorted(
        (r for r in receipts if r.promised_on and stockout_on and r.promised_on > stockout_on),
        key=lambda r: r.promised_on,
    )
    if after:
        first = after[0]
        found.append(
            ReorderException(
                ExceptionKind.EXPEDITE,
                f"Stock runs out on {stockout_on}, before the receipt of {first.quantity} "
                f"promised for {first.promised_on}: expedite it.",
                quantity=first.quantity,
                on=first.promised_on,
                order_line_id=first.order_line_id,
            )
        )
    for r in receipts:
        if r.promised_on is not None and r.promised_on < today:
            late = (today - r.promised_on).days
            found.append(
                ReorderException(
                    ExceptionKind.LATE_ORDER,
                    f"{r.quantity} promised for {r.promised_on} not received, "
                    f"{late} day{'s' if late != 1 else ''} late.",
                    quantity=r.quantity,
                    on=r.promised_on,
                    order_line_id=r.order_line_id,
                )
            )
    if levels is not None:
        excess = position - levels.order_up_to
        if position > OVERSTOCK_FACTOR * levels.order_up_to and excess > OVERSTOCK_DAYS * per_day:
            cut = min(on_order, excess)
            found.append(
                ReorderException(
                    ExceptionKind.OVERSTOCK,
                    f"Position {position} is {n.qty(excess)} above the order-up-to level "
                    f"{levels.order_up_to}"
                    + (f"; up to {n.qty(cut)} on open orders could be cut." if cut > 0 else "."),
                    quantity=n.qty(excess),
                )
            )
    return found


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def decide(
    *,
    on_hand: Decimal,
    open_receipts: Sequence[OpenReceipt],
    requested: Decimal,
    levels: Levels | None,
    mean_per_day: Decimal,
    lead_time: LeadTime | None,
    service_level: Decimal | None,
    options: Sequence[p.Offer],
    today: date,
    context: Mapping | None = None,
) -> Decision:
    """The reorder decision for one item and warehouse (see the module for every rule).

    ``open_receipts``: the open order lines (their remaining quantities make ``on_order``);
    ``requested``: approved request quantity not yet ordered; ``levels``: from the forecast, or
    a ``new`` item's min/max settings (``source="settings"``); None when neither exists, which
    gives no suggestion (and is not an error). ``mean_per_day``: mean demand per day from the
    forecast. ``context``: figures passed through into the explanation (model, demand class,
    backtest error). Raises ``MissingLeadTime`` without a lead time, ``ValidationFailed`` for a
    service level outside (0, 1) or negative quantities.
    """
    if lead_time is None:
        raise MissingLeadTime(
            "No lead time is known: set one on the preferred supplier item or its supplier."
        )
    if service_level is not None and not 0 < service_level < 1:
        raise ValidationFailed(
            "The service level must lie strictly between 0 and 1.",
            errors={"service_level": [str(service_level)]},
        )
    if mean_per_day < 0:
        raise ValidationFailed("Mean demand cannot be negative.", errors={"mean_per_day": ["<0"]})
    on_order = n.qty(sum((r.quantity for r in open_receipts), n.ZERO))
    position = inventory_position(on_hand, on_order, requested)
    lead_days = int(lead_time.mean_days.to_integral_value(rounding=ROUND_CEILING))
    stockout_on = projected_stockout(on_hand, open_receipts, mean_per_day, today)

    suggestion = None
    figures: dict = {}
    if levels is not None and position <= levels.reorder_point:
        needed = n.qty(levels.order_up_to - position)
        if needed > 0:
            need_by = _need_by(position, mean_per_day, lead_days, today)
            order_by = need_by - timedelta(days=lead_days)
            choice = choose_supplier(options, needed, need_by, today)
            suggestion = Suggestion(
                quantity=choice.quantity if choice else needed,
                needed=needed,
                need_by=need_by,
                order_by=order_by,
                urgency=urgency_of(order_by, today),
                supplier=choice,
            )
            figures = {
                "needed": needed,
                "quantity": suggestion.quantity,
                "need_by": need_by,
                "order_by": order_by,
                "urgency": suggestion.urgency.value,
                "supplier_id": choice.option.supplier_id if choice else None,
                "supplier_item_id": choice.option.supplier_item_id if choice else None,
                "unit_price": choice.unit_price if choice else None,
                "supplier_on_time": choice.on_time if choice else None,
                "supplier_reason": choice.reason if choice else "No supplier offers this item.",
            }

    exceptions = _exceptions(
        open_receipts, stockout_on, position, on_order, levels, mean_per_day, today
    )
    explanation = {
        "on_hand": n.qty(on_hand),
        "on_order": on_order,
        "requested": n.qty(requested),
        "position": position,
        "reorder_point": levels.reorder_point if levels else None,
        "order_up_to": levels.order_up_to if levels else None,
        "levels_source": levels.source if levels else None,
        "mean_demand_per_day": mean_per_day,
        "lead_time_days": lead_time.mean_days,
        "lead_time_sd_days": lead_time.sd_days,
        "service_level": service_level,
        "stockout_on": stockout_on,
        "rule": _rule(position, levels),
        **figures,
        **dict(context or {}),
    }
    return Decision(
        suggestion=suggestion,
        exceptions=tuple(exceptions),
        stockout_on=stockout_on,
        explanation={key: _plain(value) for key, value in explanation.items()},
    )


def _rule(position: Decimal, levels: Levels | None) -> str:
    """Why there is or is not a suggestion, in words."""
    if levels is None:
        return "No reorder levels: a new item needs a min/max setting."
    if position > levels.reorder_point:
        return (
            f"Position {position} is above the reorder point {levels.reorder_point}: "
            "nothing to order."
        )
    if position >= levels.order_up_to:
        return f"Position {position} already reaches the order-up-to level {levels.order_up_to}."
    return (
        f"Position {position} is at or below the reorder point {levels.reorder_point}: "
        f"order up to {levels.order_up_to}."
    )
