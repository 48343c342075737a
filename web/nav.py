"""The pages' menu: each entry names its page and who may open it, so nobody sees a link that
would answer 403. Each page module adds its own entry with ``menu_entry``."""

from __future__ import annotations

from dataclasses import dataclass

from inventory.domain.actors import Actor


@dataclass(frozen=True)
class Entry:
    label: str
    endpoint: str
    roles: frozenset[str]
    order: int


_MENU: list[Entry] = []


def menu_entry(label: str, endpoint: str, roles, order: int) -> None:
    _MENU.append(Entry(label, f"web.{endpoint}", frozenset(str(r) for r in roles), order))
    _MENU.sort(key=lambda e: e.order)


def menu_for(actor: Actor | None) -> list[Entry]:
    if actor is None:
        return []
    return [e for e in _MENU if actor.has_any(e.roles)]
