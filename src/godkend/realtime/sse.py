"""Server-Sent Events framing: `id:` is the cursor, `event:` the type, `data:` the JSON."""

from __future__ import annotations

from godkend.realtime.frames import Frame

RETRY_MS = 2000


def preamble() -> bytes:
    """How long the browser waits before reconnecting (it then sends Last-Event-ID)."""
    return f"retry: {RETRY_MS}\n\n".encode()


def event(frame: Frame) -> bytes:
    # The JSON is one line (no raw newlines survive json.dumps), so one data: field suffices.
    return f"id: {frame.cursor}\nevent: {frame.type}\ndata: {frame.text}\n\n".encode()


def comment(text: str = "heartbeat") -> bytes:
    return f": {text}\n\n".encode()
