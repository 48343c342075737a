"""Who does things: roles and the acting user as a plain value."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    WAREHOUSE = "warehouse"
    PURCHASING = "purchasing"
    APPROVER = "approver"
    FINANCE = "finance"
    VIEWER = "viewer"


ALL_ROLES: frozenset[str] = frozenset(r.value for r in Role)


@dataclass(frozen=True)
class Actor:
    id: int
    username: str
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_any(self, roles) -> bool:
        return bool(self.roles & set(roles))
