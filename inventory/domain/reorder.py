"""The reorder decision for one item in one warehouse: whether to suggest an order, how much,
from whom and by when, which exceptions to raise beside it, and the figures that explain it.

Values in, values out: no clock (``today`` is passed in), no I/O, no pandas; the rules'
figures come from ``reorder_columns`` (numpy, every item of a run at once). The reorder point
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
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

import numpy as np

from inventory.domain import numbers as n
from inventory.domain import pricing as p
from inventory.domain import reorder_columns as rc
from inventory.errors import ValidationFailed

# A supplier option is procurement's offer: supplier and supplier item ids, unit price with
# optional price breaks ``(min_quantity, unit_price)``, MOQ, pack size, lead time, score,
# preferred flag, currency and rate. Only active supplier items of active suppliers are options
# (``services.suppliers.offers_for`` lists exactly those).
SupplierOption = p.Offer

URGENT_WITHIN_DAYS = rc.URGENT_WITHIN_DAYS
OVERSTOCK_FACTOR = Decimal(rc.OVERSTOCK_FACTOR)
OVERSTOCK_DAYS = rc.OVERSTOCK_DAYS
PROJECTION_DAYS = rc.PROJECTION_DAYS


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


def _milli(x: Decimal) -> int:
    """A quantity in whole thousandths (the books' 3 places)."""
    return int((Decimal(x) * rc.QTY_SCALE).to_integral_value())


def _micro(x: Decimal) -> int:
    """Demand per day in whole millionths (the run rounds it to 6 places)."""
    return int((Decimal(x) * rc.RATE_SCALE).to_integral_value())


def _qty(milli) -> Decimal:
    return n.qty(Decimal(int(milli)).scaleb(-3))


def receipt_columns(receipts_by_row: Sequence[Sequence[OpenReceipt]], today: date) -> rc.Receipts:
    """The open receipts of each row (in order) as ``reorder_columns.Receipts``."""
    flat = [(i, r) for i, rows in enumerate(receipts_by_row) for r in rows]
    if not flat:
        return rc.Receipts.empty()
    return rc.Receipts(
        row=np.array([i for i, _ in flat], np.int64),
        quantity=np.array([_milli(r.quantity) for _, r in flat], np.int64),
        promised=np.array(
            [(r.promised_on - today).days if r.promised_on else 0 for _, r in flat], np.int64
        ),
        dated=np.array([r.promised_on is not None for _, r in flat], bool),
    )


def projected_stockout(
    on_hand: Decimal, receipts: Sequence[OpenReceipt], per_day: Decimal, today: date
) -> date | None:
    """The first day whose demand cannot be met if nothing more is ordered (see the module;
    ``reorder_columns.projected_stockout`` for every item at once)."""
    day, found = rc.projected_stockout(
        np.array([_milli(on_hand)], np.int64),
        np.array([_micro(per_day)], np.int64),
        receipt_columns([receipts], today),
    )
    return today + timedelta(days=int(day[0])) if found[0] else None


def urgency_of(order_by: date, today: date) -> Urgency:
    if order_by < today:
        return Urgency.OVERDUE
    if (order_by - today).days <= URGENT_WITHIN_DAYS:
        return Urgency.URGENT
    return Urgency.NORMAL


def _exceptions(
    d: rc.Decided,
    i: int,
    receipts: Sequence[OpenReceipt],
    first: int,
    levels: Levels | None,
    today: date,
) -> list[ReorderException]:
    """Row ``i``'s exceptions in words; its receipts are entries ``first``.. of ``d``'s."""
    found = []
    if d.expedite[i] >= 0:
        # Only an expedite has a stock-out to date: elsewhere the day may be far past any calendar.
        stockout_on = today + timedelta(days=int(d.stockout[i]))
        r = receipts[int(d.expedite[i]) - first]
        found.append(
            ReorderException(
                ExceptionKind.EXPEDITE,
                f"Stock runs out on {stockout_on}, before the receipt of {r.quantity} "
                f"promised for {r.promised_on}: expedite it.",
                quantity=r.quantity,
                on=r.promised_on,
                order_line_id=r.order_line_id,
            )
        )
    for k, r in enumerate(receipts):
        if d.late[first + k]:
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
    if d.overstock[i]:
        excess, cut = _qty(d.excess[i]), _qty(d.cut[i])
        found.append(
            ReorderException(
                ExceptionKind.OVERSTOCK,
                f"Position {_qty(d.position[i])} is {excess} above the order-up-to level "
                f"{levels.order_up_to}"
                + (f"; up to {cut} on open orders could be cut." if cut > 0 else "."),
                quantity=excess,
            )
        )
    return found


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def check(
    *, lead_time: LeadTime | None, service_level: Decimal | None, mean_per_day: Decimal
) -> None:
    """The refusals of ``decide`` (see there), before any figure is worked out."""
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


def lead_days(lead_time: LeadTime) -> int:
    """The mean lead time in whole days, rounded up."""
    return int(lead_time.mean_days.to_integral_value(rounding=ROUND_CEILING))


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
    service level outside (0, 1) or negative quantities. The figures come from
    ``reorder_columns.decide`` on one row, as a run decides all its rows at once."""
    check(lead_time=lead_time, service_level=service_level, mean_per_day=mean_per_day)
    on_order = n.qty(sum((r.quantity for r in open_receipts), n.ZERO))
    inventory_position(on_hand, on_order, requested)  # refuses negative open quantities
    one = lambda v: np.array([v], np.int64)  # noqa: E731
    d = rc.decide(
        on_hand=one(_milli(on_hand)),
        requested=one(_milli(requested)),
        has_levels=np.array([levels is not None]),
        reorder_point=one(_milli(levels.reorder_point) if levels else 0),
        order_up_to=one(_milli(levels.order_up_to) if levels else 0),
        per_day=one(_micro(mean_per_day)),
        lead_days=one(lead_days(lead_time)),
        receipts=receipt_columns([open_receipts], today),
    )
    return decision_at(
        d, 0, receipts=open_receipts, first_receipt=0, on_hand=on_hand, requested=requested,
        levels=levels, mean_per_day=mean_per_day, lead_time=lead_time,
        service_level=service_level, options=options, today=today, context=context,
    )  # fmt: skip


def decision_at(
    d: rc.Decided,
    i: int,
    *,
    receipts: Sequence[OpenReceipt],
    first_receipt: int,
    on_hand: Decimal,
    requested: Decimal,
    levels: Levels | None,
    mean_per_day: Decimal,
    lead_time: LeadTime,
    service_level: Decimal | None,
    options: Sequence[p.Offer],
    today: date,
    context: Mapping | None = None,
) -> Decision:
    """Row ``i`` of decisions made by ``reorder_columns.decide`` as a ``Decision``: the supplier
    for its suggestion (procurement's ranking) and its figures in words. ``receipts``: the row's
    open receipts, entries ``first_receipt``.. of the columns'."""
    position = _qty(d.position[i])
    stockout_on = today + timedelta(days=int(d.stockout[i])) if d.has_stockout[i] else None
    suggestion = None
    figures: dict = {}
    if d.suggest[i]:
        needed = _qty(d.needed[i])
        need_by = today + timedelta(days=int(d.need_by[i]))
        order_by = today + timedelta(days=int(d.order_by[i]))
        choice = choose_supplier(options, needed, need_by, today)
        suggestion = Suggestion(
            quantity=choice.quantity if choice else needed,
            needed=needed,
            need_by=need_by,
            order_by=order_by,
            urgency=Urgency(d.urgency[i]),
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
    exceptions = _exceptions(d, i, receipts, first_receipt, levels, today)
    explanation = {
        "on_hand": n.qty(on_hand),
        "on_order": _qty(d.on_order[i]),
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
