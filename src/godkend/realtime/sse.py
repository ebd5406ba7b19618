"""Server-Sent Events framing: `id:` is the cursor, `event:` the type, `data:` the JSON."""

from __future__ import annotations

from godkend.realtime.cursor import Cursor
from godkend.realtime.frames import Frame

RETRY_MS = 2000


def preamble(position: Cursor) -> bytes:
    """How long the browser waits before reconnecting, and where it would resume from."""
    return f"retry: {RETRY_MS}\n".encode() + mark(position)


def mark(position: Cursor) -> bytes:
    """An `id:` without data sets the browser's Last-Event-ID and fires no event (per the
    spec), so a reconnect resumes from here even before, or between, the user's own events."""
    return f"id: {position}\n\n".encode()


def event(frame: Frame) -> bytes:
    # The JSON is one line (no raw newlines survive json.dumps), so one data: field suffices.
    return f"id: {frame.cursor}\nevent: {frame.type}\ndata: {frame.text}\n\n".encode()


def heartbeat(position: Cursor) -> bytes:
    return b": heartbeat\n" + mark(position)
