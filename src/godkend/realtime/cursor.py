"""The event cursor: a position `(tx, id)` in the outbox's delivery order, opaque to clients."""

from __future__ import annotations

import re
from typing import NamedTuple

from godkend.domain.errors import InvalidInput

_FORMAT = re.compile(r"^(0|[1-9][0-9]{0,18}):(0|[1-9][0-9]{0,18})$")
_MAX = 2**63 - 1


class Cursor(NamedTuple):
    """Everything at or before `(tx, id)` in `(tx, id)` order has been seen.

    `(h, 0)` is a *horizon mark*: every transaction below `h` has finished, so it sits after
    every event that can still be read below the horizon and before every later one.
    A tuple, so the hub's per-recipient comparison is the interpreter's own.
    """

    tx: int
    id: int

    def __str__(self) -> str:
        return f"{self.tx}:{self.id}"

    @classmethod
    def mark(cls, horizon: int) -> Cursor:
        return cls(horizon, 0)


START = Cursor(0, 0)


def parse_cursor(text: str, *, field: str = "after") -> Cursor:
    """The cursor a client sent back; InvalidInput if it is not one godkend gave out."""
    match = _FORMAT.match(text.strip())
    if match is None:
        raise InvalidInput(f"not an event cursor: {text[:40]!r}", field=field)
    tx, id_ = int(match.group(1)), int(match.group(2))
    if tx > _MAX or id_ > _MAX:
        raise InvalidInput(f"not an event cursor: {text[:40]!r}", field=field)
    return Cursor(tx, id_)
