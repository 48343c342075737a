"""Perpetual moving-average valuation.

The rule, in full:
- An inbound movement adds ``round2(quantity × unit_cost)`` to the balance value (or an exact
  value it is given, as a transfer's receiving side is).
- An outbound movement takes ``round2(quantity × value / quantity_on_hand)``, the current average
  cost, except that the movement which empties a balance takes exactly the remaining value. So zero
  quantity always means zero value and the books reconcile to the cent.
- A balance never goes below zero quantity; asking for more raises ``InsufficientStock``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from inventory.domain import numbers as n

Key = tuple[int, int]  # (item_id, warehouse_id)


@dataclass(frozen=True)
class Balance:
    quantity: Decimal = n.ZERO
    value: Decimal = n.ZERO

    @property
    def average_cost(self) -> Decimal:
        return n.cost(self.value / self.quantity) if self.quantity else n.ZERO


@dataclass(frozen=True)
class Movement:
    """One change to one balance: what a ledger entry records."""

    quantity: Decimal  # signed
    unit_cost: Decimal
    value: Decimal  # signed
    after: Balance


@dataclass(frozen=True)
class Shortage:
    key: Key
    requested: Decimal
    available: Decimal


def inbound(
    balance: Balance,
    quantity: Decimal,
    *,
    unit_cost: Decimal | None = None,
    value: Decimal | None = None,
) -> Movement:
    """Add ``quantity`` at ``unit_cost`` (or at an exact total ``value``)."""
    if quantity <= 0:
        raise ValueError("inbound quantity must be positive")
    if value is None:
        if unit_cost is None:
            raise ValueError("inbound needs a unit cost or a value")
        value = n.value(quantity * unit_cost)
    else:
        unit_cost = n.cost(value / quantity)
    after = Balance(balance.quantity + quantity, balance.value + value)
    return Movement(quantity, n.cost(unit_cost), value, after)


def outbound(balance: Balance, quantity: Decimal, *, value: Decimal | None = None) -> Movement:
    """Take ``quantity`` out at the average cost, or at ``value`` when that keeps the books sane.

    ``value`` (positive) is a preferred exact value, used to reverse an earlier inbound movement
    exactly; it is ignored when it would leave a negative value behind.
    Raises ``ValueError`` when the balance holds less than ``quantity``; callers check first.
    """
    if quantity <= 0:
        raise ValueError("outbound quantity must be positive")
    if quantity > balance.quantity:
        raise ValueError("outbound quantity exceeds the balance")
    if quantity == balance.quantity:
        taken = balance.value
    elif value is not None and 0 <= value <= balance.value:
        taken = value
    else:
        taken = n.value(quantity * balance.value / balance.quantity)
    after = Balance(balance.quantity - quantity, balance.value - taken)
    unit_cost = n.cost(taken / quantity)
    return Movement(-quantity, unit_cost, -taken, after)
