"""Supplier prices: price breaks, order-quantity rounding, and which supplier to propose and why.

The rules, in full:
- A supplier item has a base unit price and optional price breaks ``(min_quantity, unit_price)``.
  The price for a quantity is that of the highest break whose ``min_quantity`` is at most the
  quantity; below every break it is the base price.
- An order quantity is first raised to the minimum order quantity (MOQ), then rounded up to a
  whole number of packs when the pack size is above zero (0 means "any quantity"). The price
  break is looked up for the rounded quantity: rounding up may reach a cheaper break.
- Offers are compared in the base currency: ``total = round2(order_qty × unit_price)`` and
  ``total_base = round2(total × rate)``, just as an order's base amount is figured,
  where ``rate`` is base units per unit of the supplier's currency (1 for the base currency).
  An offer in a currency without a known rate cannot be compared and is skipped (and said so).
- Ranking: offers that arrive by the needed-by date (today + lead time ≤ needed_by; every offer
  when there is no date) come first. Among them, every offer within ``PRICE_BAND_PCT`` of the
  cheapest total counts as equally cheap, and those are ordered by preferred flag, then supplier
  score (unscored suppliers count as ``NEUTRAL_SCORE``), then total, then lead time. Dearer
  on-time offers follow by total. When no offer arrives in time, the earliest arrival wins,
  then preferred, score and total. The supplier item id breaks any remaining tie, so the ranking
  is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

from inventory.domain import numbers as n
from inventory.domain.wording import plural
from inventory.errors import ValidationFailed

BASE_CURRENCY = "EUR"
PRICE_BAND_PCT = Decimal(5)
NEUTRAL_SCORE = Decimal(50)
RATE_PLACES = 6
MAX_LEAD_TIME_DAYS = 3650
MAX_PRICE_BREAKS = 50


class SupplierStatus(StrEnum):
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class PriceBreak:
    min_quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class Offer:
    """One supplier item as a candidate for an order line."""

    supplier_id: int
    supplier_item_id: int
    supplier_code: str
    currency: str
    unit_price: Decimal
    breaks: tuple[PriceBreak, ...] = ()
    min_order_quantity: Decimal = n.ZERO
    pack_size: Decimal = n.ZERO
    lead_time_days: int = 0
    preferred: bool = False
    score: Decimal | None = None  # None: not scored yet
    rate: Decimal | None = None  # base units per unit of currency; None: no rate known


@dataclass(frozen=True)
class Quote:
    """An offer priced for one need."""

    offer: Offer
    order_quantity: Decimal
    unit_price: Decimal
    applied_break: PriceBreak | None
    total: Decimal  # order currency, 2 places
    total_base: Decimal  # base currency, 2 places
    arrives_on: date
    on_time: bool

    @property
    def score(self) -> Decimal:
        return NEUTRAL_SCORE if self.offer.score is None else self.offer.score


@dataclass(frozen=True)
class Proposal:
    """The supplier proposed for a need (contract 1 of the procurement brief)."""

    supplier_id: int
    supplier_item_id: int
    order_quantity: Decimal
    unit_price: Decimal
    currency: str
    lead_time_days: int
    reason: str


def applicable_break(breaks: Iterable[PriceBreak], quantity: Decimal) -> PriceBreak | None:
    """The highest break whose ``min_quantity`` is at most ``quantity``, if any."""
    best = None
    for step in breaks:
        if step.min_quantity <= quantity and (
            best is None or step.min_quantity > best.min_quantity
        ):
            best = step
    return best


def unit_price_for(base_price: Decimal, breaks: Iterable[PriceBreak], quantity: Decimal) -> Decimal:
    step = applicable_break(breaks, quantity)
    return base_price if step is None else step.unit_price


def order_quantity(needed: Decimal, moq: Decimal, pack_size: Decimal) -> Decimal:
    """``needed`` raised to the MOQ, then rounded up to whole packs (pack size 0: any amount)."""
    quantity = max(needed, moq)
    if pack_size > 0:
        packs = (quantity / pack_size).to_integral_value(rounding=ROUND_CEILING)
        quantity = packs * pack_size
    return n.qty(quantity)


def rounding_note(needed: Decimal, moq: Decimal, pack_size: Decimal) -> str:
    """Why an order quantity is more than ``needed``, in words."""
    why = []
    if moq > needed:
        why.append(f"minimum order {moq}")
    if pack_size > 0:
        why.append(f"pack size {pack_size}")
    return f"Rounded up from {n.qty(needed)} ({', '.join(why)})."


def rate_for(currency: str, rates: dict[str, Decimal]) -> Decimal | None:
    """Base units per unit of ``currency``: 1 for the base currency, else the known rate."""
    return Decimal(1) if currency == BASE_CURRENCY else rates.get(currency)


def quote(offer: Offer, needed: Decimal, needed_by: date | None, today: date) -> Quote | None:
    """Price ``offer`` for ``needed``; None when its currency has no rate to compare it by."""
    if offer.rate is None:
        return None
    quantity = order_quantity(needed, offer.min_order_quantity, offer.pack_size)
    step = applicable_break(offer.breaks, quantity)
    price = offer.unit_price if step is None else step.unit_price
    total = n.value(quantity * price)
    arrives = today + timedelta(days=offer.lead_time_days)
    return Quote(
        offer=offer,
        order_quantity=quantity,
        unit_price=price,
        applied_break=step,
        total=total,
        total_base=n.value(total * offer.rate),  # as the order's base amount is figured
        arrives_on=arrives,
        on_time=needed_by is None or arrives <= needed_by,
    )


def _tiebreak(q: Quote) -> tuple:
    return (
        not q.offer.preferred,
        -q.score,
        q.total_base,
        q.offer.lead_time_days,
        q.offer.supplier_item_id,
    )


def rank(
    offers: Sequence[Offer], needed: Decimal, needed_by: date | None, today: date
) -> list[Quote]:
    """Every comparable offer for the need, best first (see the module's rules)."""
    quotes = [q for q in (quote(o, needed, needed_by, today) for o in offers) if q is not None]
    on_time = [q for q in quotes if q.on_time]
    late = sorted((q for q in quotes if not q.on_time), key=lambda q: (q.arrives_on, *_tiebreak(q)))
    if not on_time:
        return late
    band = min(q.total_base for q in on_time) * (1 + PRICE_BAND_PCT / 100)
    contenders = sorted((q for q in on_time if q.total_base <= band), key=_tiebreak)
    dearer = sorted(
        (q for q in on_time if q.total_base > band),
        key=lambda q: (q.total_base, *_tiebreak(q)),
    )
    return contenders + dearer + late


def propose(
    offers: Sequence[Offer], needed: Decimal, needed_by: date | None, today: date
) -> Proposal | None:
    """The best offer for the need with the reason in words; None when nothing is comparable."""
    ranked = rank(offers, needed, needed_by, today)
    if not ranked:
        return None
    best = ranked[0]
    return Proposal(
        supplier_id=best.offer.supplier_id,
        supplier_item_id=best.offer.supplier_item_id,
        order_quantity=best.order_quantity,
        unit_price=best.unit_price,
        currency=best.offer.currency,
        lead_time_days=best.offer.lead_time_days,
        reason=explain(ranked, offers, needed, needed_by),
    )


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount} {currency}"


def explain(
    ranked: Sequence[Quote], offers: Sequence[Offer], needed: Decimal, needed_by: date | None
) -> str:
    """Why ``ranked[0]`` was chosen, in one sentence per fact."""
    best = ranked[0]
    offer = best.offer
    # ``min`` keeps the first of equals, and the best comes first: a tie names the best.
    cheapest = min(ranked, key=lambda q: q.total_base)
    parts = [f"{offer.supplier_code}:"]
    if len(ranked) == 1:
        parts.append("the only supplier with a comparable offer.")
    elif not best.on_time:
        parts.append("no offer arrives by the needed-by date; this one arrives first.")
    elif cheapest is best:
        parts.append(f"cheapest of {len(ranked)} offers.")
    else:
        why = []
        if offer.preferred and not cheapest.offer.preferred:
            why.append("preferred supplier")
        if best.score != cheapest.score:
            why.append(f"score {best.score} against {cheapest.score}")
        if not cheapest.on_time:
            why = ["the cheaper offer arrives too late"]
        reason = ", ".join(why) or "earlier delivery"
        parts.append(
            f"within {PRICE_BAND_PCT}% of the cheapest offer "
            f"({_money(cheapest.total_base, BASE_CURRENCY)} from {cheapest.offer.supplier_code})"
            f" and chosen for: {reason}."
            if cheapest.on_time
            else f"chosen over {cheapest.offer.supplier_code}: {reason}."
        )
    price = (
        f"{best.order_quantity} × {best.unit_price} {offer.currency} = "
        f"{_money(best.total, offer.currency)}"
    )
    if offer.currency != BASE_CURRENCY:
        price += f" ({_money(best.total_base, BASE_CURRENCY)} at rate {offer.rate})"
    parts.append(price + ".")
    if best.order_quantity != needed:
        parts.append(rounding_note(needed, offer.min_order_quantity, offer.pack_size))
    if best.applied_break is not None:
        parts.append(f"Price break from {best.applied_break.min_quantity} applied.")
    if needed_by is None:
        parts.append(f"Lead time {plural(offer.lead_time_days, 'day')}, arrives {best.arrives_on}.")
    elif best.on_time:
        parts.append(f"Arrives {best.arrives_on}, by the needed-by date {needed_by}.")
    else:
        parts.append(f"Arrives {best.arrives_on}, after the needed-by date {needed_by}.")
    parts.append(
        f"Supplier score {offer.score}."
        if offer.score is not None
        else f"Supplier not scored yet (counted as {NEUTRAL_SCORE})."
    )
    skipped = sorted({o.currency for o in offers if o.rate is None})
    if skipped:
        parts.append(f"Offers in {', '.join(skipped)} skipped: no exchange rate.")
    return " ".join(parts)


def _error(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def supplier_item_errors(values: dict) -> dict[str, list[str]]:
    """Field errors of a supplier item's figures (only the fields present are checked)."""
    errors: dict[str, list[str]] = {}
    price = values.get("unit_price")
    if price is not None and (price < 0 or n.places(price) > n.COST_PLACES):
        _error(
            errors, "unit_price", f"Use a non-negative price with at most {n.COST_PLACES} decimals."
        )
    for field in ("min_order_quantity", "pack_size"):
        amount = values.get(field)
        if amount is not None and (amount < 0 or n.places(amount) > n.QTY_PLACES):
            _error(
                errors, field, f"Use a non-negative quantity with at most {n.QTY_PLACES} decimals."
            )
    lead = values.get("lead_time_days")
    if lead is not None and not 0 <= lead <= MAX_LEAD_TIME_DAYS:
        _error(errors, "lead_time_days", f"Use 0 to {MAX_LEAD_TIME_DAYS} days.")
    breaks = values.get("price_breaks")
    if breaks is not None:
        nested = {}
        seen: set[Decimal] = set()
        for i, step in enumerate(breaks):
            problems: dict[str, list[str]] = {}
            if step.min_quantity <= 0 or n.places(step.min_quantity) > n.QTY_PLACES:
                _error(
                    problems,
                    "min_quantity",
                    f"Use a positive quantity with at most {n.QTY_PLACES} decimals.",
                )
            elif step.min_quantity in seen:
                _error(problems, "min_quantity", "Each break needs its own minimum quantity.")
            seen.add(step.min_quantity)
            if step.unit_price < 0 or n.places(step.unit_price) > n.COST_PLACES:
                _error(
                    problems,
                    "unit_price",
                    f"Use a non-negative price with at most {n.COST_PLACES} decimals.",
                )
            if problems:
                nested[str(i)] = problems
        if len(breaks) > MAX_PRICE_BREAKS:
            _error(errors, "price_breaks", f"At most {MAX_PRICE_BREAKS} price breaks.")
        if nested:
            errors["price_breaks"] = nested
    return errors


def check_supplier_item(values: dict) -> None:
    errors = supplier_item_errors(values)
    if errors:
        raise ValidationFailed("The supplier item is not valid.", errors=errors)


def check_rate(currency: str, rate: Decimal) -> None:
    errors: dict[str, list[str]] = {}
    if currency == BASE_CURRENCY:
        _error(errors, "currency", f"{BASE_CURRENCY} is the base currency; its rate is always 1.")
    if rate <= 0 or n.places(rate) > RATE_PLACES:
        _error(errors, "rate", f"Use a positive rate with at most {RATE_PLACES} decimals.")
    if errors:
        raise ValidationFailed("The exchange rate is not valid.", errors=errors)
