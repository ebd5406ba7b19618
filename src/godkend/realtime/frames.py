"""Frames: an event encoded once, as the JSON every transport sends, plus system.reset."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from websockets.frames import Frame as WireFrame
from websockets.frames import Opcode

from godkend.realtime.cursor import Cursor
from godkend.realtime.ports import OutboxRow

RESET = "system.reset"

_RESET_MESSAGES = {
    "overflow": (
        "Forbindelsen kunne ikke følge med. Siden genindlæses.",
        "The connection fell behind. Reloading.",
    ),
    "expired": (
        "Der er gået for lang tid siden sidste opdatering. Siden genindlæses.",
        "Too much time has passed since the last update. Reloading.",
    ),
    "unknown": (
        "Ukendt position i hændelsesstrømmen. Siden genindlæses.",
        "Unknown stream position. Reloading.",
    ),
}


@dataclass(slots=True, eq=False)
class Frame:
    """One event ready to send: `text` is the CONTRACT §5 JSON, `cursor` its `id`."""

    cursor: Cursor
    type: str
    text: str
    created_at: float = 0.0
    terminal: bool = False  # the stream ends after this frame
    # The WebSocket frame's bytes once `ws()` has made them (then shared by every recipient).
    ws_wire: bytes | None = field(default=None, repr=False)

    def ws(self) -> bytes:
        """The whole WebSocket text frame (server to client: unmasked, unfragmented, not
        compressed), serialised the first time it is asked for, then the same bytes for every
        recipient."""
        if self.ws_wire is None:
            wire = WireFrame(Opcode.TEXT, self.text.encode())
            self.ws_wire = wire.serialize(mask=False, extensions=())
        return self.ws_wire


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def encode(row: OutboxRow) -> Frame:
    """The event with its cursor as `id`; raises on a payload that is not a JSON object."""
    if not isinstance(row.payload, dict):
        raise TypeError(f"event {row.cursor} has a {type(row.payload).__name__} payload")
    body = {"id": str(row.cursor), **row.payload, "type": row.type}
    return Frame(row.cursor, row.type, dumps(body), row.created_at.timestamp())


def reset_frame(cursor: Cursor, *, reason: str, terminal: bool) -> Frame:
    """Tells the client to reload its state, then continue after `cursor`."""
    da, en = _RESET_MESSAGES[reason]
    body = {
        "id": str(cursor),
        "type": RESET,
        "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "request": None,
        "actor": None,
        "data": {"reason": reason},
        "message": {"da": da, "en": en},
    }
    return Frame(cursor, RESET, dumps(body), terminal=terminal)
