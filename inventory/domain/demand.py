"""What counts as demand: which stock movements a demand history is built from.

Every ledger movement out of a warehouse is one of these kinds, read from its document:

- ``issue``: an issue document that is not a return to a supplier (goods used or sold). The one
  kind counted as demand by default.
- ``supplier_return``: an issue document written by a return to the supplier (its ``source`` is
  ``supplier_return:<id>``); goods going back are not consumption.
- ``transfer``: the out-movement of a transfer, in the warehouse it leaves; stock moving between
  our own warehouses is not consumption, but a warehouse that feeds others may count it.
- ``adjustment``: the negative movements of adjustment documents (stocktake corrections, write
  offs): losses, which some count as demand.

Demand is the negated signed quantity of those movements, so a cancelled document's exact
reversal takes its demand back out. Receipts are never demand.
"""

from __future__ import annotations

from collections.abc import Iterable

from inventory.errors import ValidationFailed

DEMAND_KINDS = ("issue", "supplier_return", "transfer", "adjustment")
DEFAULT_DEMAND_KINDS = ("issue",)
SUPPLIER_RETURN_SOURCE = "supplier_return:"  # prefix of an issue document's source
FREQS = ("D", "W", "M")  # day, week (starting Monday), month


def check_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    """The kinds as a tuple, each once, in DEMAND_KINDS order; unknown or none refused (422)."""
    given = list(kinds)
    unknown = sorted(set(given) - set(DEMAND_KINDS))
    if unknown or not given:
        raise ValidationFailed(
            "Demand is built from at least one of: " + ", ".join(DEMAND_KINDS) + ".",
            errors={"demand_kinds": [f"Unknown kind {k!r}." for k in unknown] or ["Give one."]},
        )
    return tuple(k for k in DEMAND_KINDS if k in given)


def check_freq(freq: str) -> str:
    if freq not in FREQS:
        raise ValidationFailed(
            f"A demand period is D (day), W (week from Monday) or M (month), not {freq!r}.",
            errors={"freq": [f"One of {', '.join(FREQS)}."]},
        )
    return freq
