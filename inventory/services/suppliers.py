"""Suppliers, exchange rates, and the supplier proposal for a need (items: ``supplier_items``).

The rules (price breaks, rounding, ranking) live in ``inventory.domain.pricing``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from inventory import clock
from inventory.db import purchasing_queries as pq
from inventory.db import supplier_queries
from inventory.db.models import Item
from inventory.db.procurement_models import (
    ExchangeRate,
    Supplier,
)
from inventory.domain import numbers as n
from inventory.domain import pricing as p
from inventory.domain.actors import Actor
from inventory.domain.pricing import Offer, PriceBreak, Proposal, SupplierStatus
from inventory.errors import Conflict, NotFound, ValidationFailed
from inventory.services import audit, codes
from inventory.services.tx import retrying, transaction

SUPPLIER_FIELDS = (
    "code",
    "name",
    "currency",
    "payment_terms",
    "default_lead_time_days",
    "status",
    "contact_name",
    "email",
    "phone",
)


def _supplier_body(supplier_id: int) -> dict:
    found = pq.supplier(supplier_id)
    if found is None:
        raise NotFound(f"No supplier with id {supplier_id}.")
    return found


def get_supplier(supplier_id: int) -> dict:
    with transaction():
        return _supplier_body(supplier_id)


def _check_supplier_values(values: dict) -> None:
    lead = values.get("default_lead_time_days")
    if lead is not None and not 0 <= lead <= p.MAX_LEAD_TIME_DAYS:
        raise ValidationFailed(
            "The supplier is not valid.",
            errors={"default_lead_time_days": [f"Use 0 to {p.MAX_LEAD_TIME_DAYS} days."]},
        )


def _unique_code(session, code: str, exclude_id: int | None = None) -> None:
    codes.check_free(session, Supplier.code, code, "supplier", "code", exclude_id)


def _snapshot(row, fields) -> dict[str, Any]:
    return {"id": row.id, **{f: getattr(row, f) for f in fields}}


@retrying
def create_supplier(actor: Actor, values: dict) -> int:
    _check_supplier_values(values)
    with transaction() as session:
        _unique_code(session, values["code"])
        now = clock.now()
        row = Supplier(
            **{f: values[f] for f in SUPPLIER_FIELDS if f in values}, created_at=now, updated_at=now
        )
        session.add(row)
        session.flush()
        audit.record(
            actor, "supplier.create", "supplier", row.id, after=_snapshot(row, SUPPLIER_FIELDS)
        )
        return row.id


@retrying
def update_supplier(
    actor: Actor, supplier_id: int, changes: dict, check_current: Callable[[dict], None]
) -> int:
    """Apply ``changes`` (status too) if ``check_current`` accepts the supplier as it is now."""
    _check_supplier_values(changes)
    with transaction() as session:
        row = session.get(Supplier, supplier_id, with_for_update=True)
        if row is None:
            raise NotFound(f"No supplier with id {supplier_id}.")
        check_current(_supplier_body(supplier_id))
        before = _snapshot(row, SUPPLIER_FIELDS)
        if "code" in changes and changes["code"] != row.code:
            _unique_code(session, changes["code"], exclude_id=supplier_id)
        if "currency" in changes and changes["currency"] != row.currency:
            _check_currency_unused(session, row)
        for field in SUPPLIER_FIELDS:
            if field in changes:
                setattr(row, field, changes[field])
        row.updated_at = clock.now()
        session.flush()
        action = "supplier.update"
        if before["status"] != row.status:
            action = f"supplier.{row.status}"  # supplier.blocked, .on_hold, .active
        audit.record(
            actor,
            action,
            "supplier",
            supplier_id,
            before=before,
            after=_snapshot(row, SUPPLIER_FIELDS),
        )
        return supplier_id


def _check_currency_unused(session, supplier: Supplier) -> None:
    # Supplier item prices are in the supplier's currency: switching it would silently
    # re-denominate every price. Allow it only while the supplier has no items.
    if supplier_queries.supplier_has_items(session, supplier.id):
        raise Conflict(
            f"Supplier {supplier.code} has items priced in {supplier.currency}; its currency "
            "cannot change. Create a new supplier record for the new currency.",
            errors={"currency": ["Prices exist in the current currency."]},
        )


@retrying
def create_exchange_rate(actor: Actor, currency: str, valid_from: date, rate: Decimal) -> dict:
    p.check_rate(currency, rate)
    with transaction() as session:
        taken = supplier_queries.exchange_rate_id(session, currency, valid_from)
        if taken is not None:
            raise Conflict(
                f"A {currency} rate valid from {valid_from} already exists (id {taken}); "
                "rates are kept as history, so add one for another day.",
                errors={"valid_from": ["A rate for this currency and day exists."]},
            )
        row = ExchangeRate(currency=currency, valid_from=valid_from, rate=rate)
        session.add(row)
        session.flush()
        # The rate as it reads back ("2.000000", not the "2" that was sent).
        rate = n.fixed(rate, p.RATE_PLACES)
        after = {"id": row.id, "currency": currency, "valid_from": valid_from, "rate": rate}
        audit.record(actor, "exchange_rate.create", "exchange_rate", row.id, after=after)
        return after


def offers_for(session, item_ids, today: date) -> dict[int, list[Offer]]:
    """Every active supplier item of an active supplier for ``item_ids``, with its breaks, the
    supplier's score and today's exchange rate: three queries whatever the number of items."""
    item_ids = sorted(set(item_ids))
    if not item_ids:
        return {}
    rows = supplier_queries.offer_rows(session, item_ids, SupplierStatus.ACTIVE.value)
    breaks = pq.price_breaks([row.id for row in rows])
    rates = pq.rates_on({row.currency for row in rows}, today)
    found: dict[int, list[Offer]] = defaultdict(list)
    for row in rows:
        found[row.item_id].append(
            Offer(
                supplier_id=row.supplier_id,
                supplier_item_id=row.id,
                supplier_code=row.code,
                currency=row.currency,
                unit_price=row.unit_price,
                breaks=tuple(
                    PriceBreak(b["min_quantity"], b["unit_price"]) for b in breaks.get(row.id, [])
                ),
                min_order_quantity=row.min_order_quantity,
                pack_size=row.pack_size,
                lead_time_days=(
                    row.default_lead_time_days if row.lead_time_days is None else row.lead_time_days
                ),
                preferred=row.preferred,
                score=row.score,
                rate=p.rate_for(row.currency, rates),
            )
        )
    return found


def propose_supplier(
    item_id: int, quantity: Decimal, needed_by: date | None, today: date
) -> Proposal | None:
    """The supplier proposed for ``quantity`` of an item needed by ``needed_by``, and why."""
    with transaction() as session:
        offers = offers_for(session, [item_id], today).get(item_id, [])
    return p.propose(offers, quantity, needed_by, today)


def proposals_for(needs: list[tuple[int, Decimal, date | None]], today: date) -> list[dict | None]:
    """Per ``(item_id, quantity, needed_by)``, the supplier ``create_from_requests`` would
    propose and why (None: no comparable offer); one read of the offers for all of them."""
    with transaction() as session:
        offers = offers_for(session, {item_id for item_id, _, _ in needs}, today)
    found: list[dict | None] = []
    for item_id, quantity, needed_by in needs:
        candidates = offers.get(item_id, [])
        proposal = p.propose(candidates, quantity, needed_by, today)
        if proposal is None:
            found.append(None)
            continue
        code = next(o.supplier_code for o in candidates if o.supplier_id == proposal.supplier_id)
        found.append({**asdict(proposal), "supplier_code": code})
    return found


def quotes_for(item_id: int, quantity: Decimal, needed_by: date | None, today: date) -> dict:
    """Every comparable offer for a need, best first, with the proposal's reason (for the API)."""
    if quantity <= 0 or n.places(quantity) > n.QTY_PLACES:
        raise ValidationFailed(
            "The quantity is not valid.",
            errors={"quantity": [f"Use a positive quantity with at most {n.QTY_PLACES} decimals."]},
        )
    with transaction() as session:
        if session.get(Item, item_id) is None:
            raise NotFound(f"No item with id {item_id}.")
        offers = offers_for(session, [item_id], today).get(item_id, [])
    ranked = p.rank(offers, quantity, needed_by, today)
    return {
        "item_id": item_id,
        "quantity": quantity,
        "needed_by": needed_by,
        "reason": p.explain(ranked, offers, quantity, needed_by) if ranked else None,
        "offers": [
            {
                "supplier_id": q.offer.supplier_id,
                "supplier_code": q.offer.supplier_code,
                "supplier_item_id": q.offer.supplier_item_id,
                "currency": q.offer.currency,
                "order_quantity": q.order_quantity,
                "unit_price": q.unit_price,
                "total": q.total,
                "total_base": q.total_base,
                "lead_time_days": q.offer.lead_time_days,
                "arrives_on": q.arrives_on,
                "on_time": q.on_time,
                "preferred": q.offer.preferred,
                "score": q.offer.score,
            }
            for q in ranked
        ],
        "skipped_currencies": sorted({o.currency for o in offers if o.rate is None}),
    }
