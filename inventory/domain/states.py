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
        names = ", ".join(allowed) or "none (it is final)"
        raise InvalidTransition(
            f"{article(f'{current} {noun}', capital=True)} cannot become {target}; "
            f"allowed from {current}: {names}.",
            extra={"current": str(current), "allowed": allowed},
        )
