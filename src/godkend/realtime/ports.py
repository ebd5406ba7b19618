"""The ports realtime needs from the database: read the outbox, listen for and send wake-ups."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from godkend.realtime.cursor import START, Cursor

CHANNEL = "godkend_events_v1"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One event as stored: its cursor, its audience fixed at write time, and its payload."""

    cursor: Cursor
    type: str
    payload: Mapping[str, Any]
    audience_users: frozenset[int]
    audience_roles: frozenset[str]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Audience:
    """Who is reading: a user and the roles they hold now."""

    user_id: int
    roles: frozenset[str]

    def admits(self, row: OutboxRow) -> bool:
        return self.user_id in row.audience_users or not self.roles.isdisjoint(row.audience_roles)


class CursorState(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"  # older than what retention pruning removed
    UNKNOWN = "unknown"  # ahead of every transaction ever started: not from this database


@dataclass(frozen=True, slots=True)
class Scan:
    """One bounded read after a cursor, taken in one snapshot.

    `rows` are the events after the cursor (for the audience, if any) in `(tx, id)` order;
    `end` is how far the scan got: the last row scanned, or, when `exhausted`, the horizon mark,
    so a reader that moves to `end` never skips a row and never reads one twice.
    """

    rows: tuple[OutboxRow, ...]
    end: Cursor
    exhausted: bool
    state: CursorState = CursorState.VALID
    pruned: Cursor = START
    # Committed events lie beyond the horizon, held back by a transaction still running.
    held_back: bool = False


@dataclass(frozen=True, slots=True)
class HorizonHolder:
    """The session whose open transaction holds the read horizon back."""

    pid: int | None
    transaction_age: float
    state: str
    application_name: str
    database: str


class ListenConnection(Protocol):
    """One dedicated, unpooled connection that LISTENs and reads the outbox."""

    async def scan(self, after: Cursor, *, limit: int) -> Scan: ...

    async def head(self) -> Cursor: ...

    async def held_back_seconds(self) -> float:
        """Age of the oldest committed event the horizon still holds back (0 if none)."""
        ...

    async def horizon_holder(self) -> HorizonHolder | None: ...

    def is_closed(self) -> bool: ...

    async def close(self) -> None: ...


class NotifyConnection(Protocol):
    """An autocommit connection that sends the wake-up."""

    async def notify(self) -> None: ...

    def is_closed(self) -> bool: ...

    async def close(self) -> None: ...


class EventSource(Protocol):
    """The outbox, as the listener, the notifier, the transports and the pruner see it."""

    async def connect_listener(
        self, *, on_wakeup: Callable[[], None], on_lost: Callable[[], None]
    ) -> ListenConnection: ...

    async def connect_notifier(self) -> NotifyConnection: ...

    async def scan_for(self, after: Cursor, *, audience: Audience, limit: int) -> Scan:
        """A replay read: like `ListenConnection.scan`, keeping only what `audience` may see."""
        ...

    async def head(self) -> Cursor:
        """The horizon mark now: every later event sorts after it."""
        ...

    async def prune(self, *, older_than_days: int, batch: int) -> int | None:
        """Delete events past retention; None if another instance is pruning."""
        ...
