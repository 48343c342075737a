"""The reorder rules of ``inventory.domain.reorder`` on columns: every item-warehouse of a run's
chunk decided at once, so the run has no per-item Python loop for the rules.

Exact, as the ``Decimal`` rules are: quantities are whole thousandths (the books' 3 places) and
mean demand per day whole millionths, both int64, so every sum, comparison and floor division is
the one ``Decimal`` gives. Days are whole days from ``today`` (the caller turns them into dates).
numpy only: values in, values out, no I/O, no clock. ``reorder.decide`` decides one item through
these functions, so its tests check them; the supplier choice (procurement's ranking) and the
words of an explanation stay per suggestion, in ``reorder``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QTY_SCALE = 1_000  # quantities in thousandths
RATE_SCALE = 1_000_000  # demand per day in millionths

URGENT_WITHIN_DAYS = 3
OVERSTOCK_FACTOR = 2
OVERSTOCK_DAYS = 365
PROJECTION_DAYS = 730

OVERDUE, URGENT, NORMAL = "overdue", "urgent", "normal"


@dataclass(frozen=True)
class Receipts:
    """Open order lines, one entry each: ``row`` (the item-warehouse's index in the columns),
    ``quantity`` still to come (thousandths), ``promised`` (days from today; any value where
    ``dated`` is False: the line has no promised date)."""

    row: np.ndarray
    quantity: np.ndarray
    promised: np.ndarray
    dated: np.ndarray

    @classmethod
    def empty(cls) -> Receipts:
        z = np.zeros(0, np.int64)
        return cls(z, z, z, np.zeros(0, bool))


@dataclass(frozen=True)
class Decided:
    """Per item-warehouse (the columns' rows), all int64 thousandths or days unless said."""

    on_order: np.ndarray
    position: np.ndarray
    stockout: np.ndarray  # day of the projected stock-out; meaningless where not has_stockout
    has_stockout: np.ndarray  # bool
    suggest: np.ndarray  # bool: a suggestion is made
    needed: np.ndarray  # order-up-to − position (where suggest)
    need_by: np.ndarray  # day (where suggest)
    order_by: np.ndarray  # day (where suggest)
    urgency: np.ndarray  # OVERDUE / URGENT / NORMAL (where suggest)
    expedite: np.ndarray  # index into the receipts to expedite, -1 for none
    late: np.ndarray  # bool per receipt: past its promised date
    overstock: np.ndarray  # bool
    excess: np.ndarray  # position − order-up-to
    cut: np.ndarray  # what open orders could be cut by: min(on order, excess)


def projected_stockout(
    on_hand: np.ndarray, per_day: np.ndarray, receipts: Receipts
) -> tuple[np.ndarray, np.ndarray]:
    """(day, found) of the first day whose demand cannot be met if nothing more is ordered: on
    hand plus each dated receipt from its promised day (a late one from today) against the mean
    demand per day; not found without demand or beyond PROJECTION_DAYS.

    Receipts are summed per day of arrival; with A_j what has arrived by the j-th arrival day
    (A_0: on hand and what arrives today or is late), the stock lasts floor(A_j / demand) days,
    and the stock-out is the first such day that comes before the next arrival."""
    n = len(on_hand)
    dated = receipts.dated & (per_day[receipts.row] > 0)
    row, qty = receipts.row[dated], receipts.quantity[dated]
    offset = np.maximum(receipts.promised[dated], 0)
    start = on_hand.astype(np.int64).copy()
    now = offset <= 0
    np.add.at(start, row[now], qty[now])
    row, qty, offset = row[~now], qty[~now], offset[~now]
    # One entry per (row, arrival day), in day order within each row.
    order = np.lexsort((offset, row))
    row, qty, offset = row[order], qty[order], offset[order]
    first = np.ones(len(row), bool)
    first[1:] = (row[1:] != row[:-1]) | (offset[1:] != offset[:-1])
    group = np.cumsum(first) - 1
    g_row, g_day = row[first], offset[first]
    g_qty = np.zeros(len(g_row), np.int64)
    np.add.at(g_qty, group, qty)
    # Entries: each row's start (level 0), then one after each arrival day.
    row_start = np.ones(len(g_row), bool)
    row_start[1:] = g_row[1:] != g_row[:-1]
    run = np.cumsum(g_qty)
    head = np.maximum.accumulate(np.where(row_start, np.arange(len(g_row)), 0))
    arrived = start[g_row] + run - (run[head] - g_qty[head])  # what has come by that day
    big = np.iinfo(np.int64).max
    next_day = np.full(len(g_row), big)
    next_day[:-1] = np.where(row_start[1:], big, g_day[1:])
    first_day = np.full(n, big)
    first_day[g_row[row_start]] = g_day[row_start]
    e_row = np.concatenate([np.arange(n), g_row])
    e_avail = np.concatenate([start, arrived])
    e_next = np.concatenate([first_day, next_day])
    e_order = np.concatenate([np.zeros(n, np.int64), np.arange(1, len(g_row) + 1)])
    rate = per_day[e_row]
    with np.errstate(divide="ignore", invalid="ignore"):
        short = np.where(rate > 0, (e_avail * (RATE_SCALE // QTY_SCALE)) // np.maximum(rate, 1), 0)
    short = np.maximum(short, 0)
    stops = short < e_next
    sort = np.lexsort((e_order, e_row))
    stop_rows, at = np.unique(e_row[sort][stops[sort]], return_index=True)
    day = np.zeros(n, np.int64)
    day[stop_rows] = short[sort][stops[sort]][at]
    found = (per_day > 0) & (day <= PROJECTION_DAYS)
    return day, found


def decide(
    *,
    on_hand: np.ndarray,
    requested: np.ndarray,
    has_levels: np.ndarray,
    reorder_point: np.ndarray,
    order_up_to: np.ndarray,
    per_day: np.ndarray,
    lead_days: np.ndarray,
    receipts: Receipts,
) -> Decided:
    """The reorder rules (``reorder``'s module docstring) for every row at once. Inputs are
    checked by the caller (no negative open or requested quantity, demand not negative)."""
    n = len(on_hand)
    on_hand = np.asarray(on_hand, np.int64)
    per_day = np.asarray(per_day, np.int64)
    lead_days = np.asarray(lead_days, np.int64)
    on_order = np.zeros(n, np.int64)
    np.add.at(on_order, receipts.row, receipts.quantity)
    position = on_hand + on_order + np.asarray(requested, np.int64)
    stockout, has_stockout = projected_stockout(on_hand, per_day, receipts)

    needed = order_up_to - position
    suggest = has_levels & (position <= reorder_point) & (needed > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lasts = (position * (RATE_SCALE // QTY_SCALE)) // np.maximum(per_day, 1)
    need_by = np.where(
        per_day <= 0, lead_days, np.where(position <= 0, 0, np.minimum(lasts, PROJECTION_DAYS))
    )
    order_by = need_by - lead_days
    urgency = np.where(
        order_by < 0, OVERDUE, np.where(order_by <= URGENT_WITHIN_DAYS, URGENT, NORMAL)
    ).astype(object)

    # Expedite the earliest dated receipt promised after the stock-out (the first listed on a tie).
    after = receipts.dated & has_stockout[receipts.row]
    after &= receipts.promised > stockout[receipts.row]
    idx = np.flatnonzero(after)
    order = idx[np.lexsort((idx, receipts.promised[idx], receipts.row[idx]))]
    rows, at = np.unique(receipts.row[order], return_index=True)
    expedite = np.full(n, -1, np.int64)
    expedite[rows] = order[at]
    late = receipts.dated & (receipts.promised < 0)

    excess = position - order_up_to
    overstock = has_levels & (position > OVERSTOCK_FACTOR * order_up_to)
    overstock &= excess * (RATE_SCALE // QTY_SCALE) > OVERSTOCK_DAYS * per_day
    return Decided(
        on_order=on_order,
        position=position,
        stockout=stockout,
        has_stockout=has_stockout,
        suggest=suggest,
        needed=needed,
        need_by=need_by,
        order_by=order_by,
        urgency=urgency,
        expedite=expedite,
        late=late,
        overstock=overstock,
        excess=excess,
        cut=np.minimum(on_order, excess),
    )
