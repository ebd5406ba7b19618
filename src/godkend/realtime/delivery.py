"""The delivery loop every streaming transport runs: frames and heartbeats."""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable, Callable, Sequence

from godkend.realtime.frames import Frame
from godkend.realtime.runtime import Realtime
from godkend.realtime.stream import EventStream

# Frames already queued for one client go out together, up to this many.
MAX_BATCH = 64
# Without heartbeats the loop only waits for frames (or the end of its stream).
IDLE_WAIT = 3600.0


class Ended(enum.Enum):
    """Why a stream ended (the transport picks its close code from this)."""

    RESET = "reset"  # the client fell behind and was sent system.reset
    SESSION = "session"  # logged out, session expired or token revoked
    SEND_TIMEOUT = "send_timeout"  # the client stopped reading
    CLOSED = "closed"  # closed by the server for any other reason: reconnect with the cursor


async def pump(
    rt: Realtime,
    stream: EventStream,
    *,
    send: Callable[[Sequence[Frame]], Awaitable[None]],
    heartbeat: Callable[[], Awaitable[None]] | None,
) -> Ended:
    """Send frames as they come and a heartbeat every 15-30 s (jittered; WebSocket has the
    server's protocol pings instead); return why the stream ended (client disconnects cancel
    it). The instance's SessionWatch ends streams whose session or token is gone."""
    heartbeat_at = time.monotonic() + rt.heartbeat_interval()
    while True:
        wait = heartbeat_at - time.monotonic() if heartbeat else IDLE_WAIT
        frames = await _ready(stream, max(0.0, wait))
        if frames:
            # One timeout for a whole batch: a timer per frame cost more than the send itself.
            stream.sending = True  # no frame written directly may overtake these
            try:
                if not await _within(rt.send_timeout_seconds, send(frames)):
                    return Ended.SEND_TIMEOUT
            finally:
                stream.sending = False
            if frames[-1].terminal:
                return Ended.RESET
        if stream.session_ended:
            return Ended.SESSION
        if stream.closed and not frames:
            return Ended.CLOSED
        now = time.monotonic()
        if heartbeat and not frames and now >= heartbeat_at:
            if not await _within(rt.send_timeout_seconds, heartbeat()):
                return Ended.SEND_TIMEOUT
            heartbeat_at = now + rt.heartbeat_interval()


async def _ready(stream: EventStream, wait: float) -> list[Frame]:
    """The next frame (waiting up to `wait`), and the ones already queued behind it."""
    frame = await stream.next(wait)
    frames: list[Frame] = []
    while frame is not None:
        frames.append(frame)
        if frame.terminal or len(frames) >= MAX_BATCH:
            break
        frame = await stream.next(0.0)
    return frames


async def _within(seconds: float, sending: Awaitable[None]) -> bool:
    try:
        async with asyncio.timeout(seconds):
            await sending
    except TimeoutError:
        return False
    return True
