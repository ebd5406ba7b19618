"""The people who act on requests, as the domain sees them."""

from __future__ import annotations

from dataclasses import dataclass, field

AUDITOR = "auditor"
ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    """Someone acting: their id, name and the roles they hold anywhere."""

    user_id: int
    username: str
    name: str
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_auditor(self) -> bool:
        return AUDITOR in self.roles

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles
