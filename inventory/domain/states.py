"""State machines as transition tables, and the one check every table uses."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from inventory.domain.wording import article
from inventory.errors import InvalidTransition


def check(table: Mapping[StrEnum, frozenset], current: StrEnum, target: StrEnum, noun: str) -> None:
    """Raise ``InvalidTransition`` (409) unless ``table`` allows ``current`` → ``target``.

    The message and the problem body name the states that are allowed from ``current``.
    """
    allowed = sorted(str(s) for s in table[current])
    if target not in table[current]:
        now, then = _words(current), _words(target)
        names = ", ".join(_words(s) for s in allowed)
        if current == target:
            more = f" (from here it can become {names})" if allowed else ""
            detail = f"The {noun} is {now} already; nothing was changed{more}."
        else:
            after = f"it can only become {names}" if allowed else "that is final"
            detail = f"{article(f'{now} {noun}', capital=True)} cannot become {then}; {after}."
        raise InvalidTransition(detail, extra={"current": str(current), "allowed": allowed})


def _words(state) -> str:
    # The state as a person says it: "partially received", not "partially_received".
    return str(state).replace("_", " ")
