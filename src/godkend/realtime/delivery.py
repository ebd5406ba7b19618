"""The delivery loop every streaming transport runs: frames, heartbeats, session checks."""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence

from godkend.realtime.frames import Frame
from godkend.realtime.runtime import Realtime
from godkend.realtime.stream import EventStream

log = logging.getLogger(__name__)

# Frames already queued for one client go out together, up to this many.
MAX_BATCH = 64


class Ended(enum.Enum):
    """Why a stream ended (the transport picks its close code from this)."""

    RESET = "reset"  # the client fell behind and was sent system.reset
    SESSION = "session"  # logged out, session expired or token revoked
    SEND_TIMEOUT = "send_timeout"  # the client stopped reading


async def pump(
    rt: Realtime,
    stream: EventStream,
    *,
    send: Callable[[Sequence[Frame]], Awaitable[None]],
    heartbeat: Callable[[], Awaitable[None]],
    still_valid: Callable[[], Awaitable[bool]],
) -> Ended:
    """Send frames as they come, a heartbeat every 15-30 s (jittered), and re-check the
    session every few seconds (jittered, and under load too); return why the stream ended
    (client disconnects cancel it)."""
    now = time.monotonic()
    heartbeat_at = now + rt.heartbeat_interval()
    check_at = now + _jittered(rt.session_check_seconds)
    while True:
        frames = await _ready(stream, max(0.0, min(heartbeat_at, check_at) - time.monotonic()))
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
        now = time.monotonic()
        if now >= check_at:
            if not await _session_valid(still_valid):
                return Ended.SESSION
            check_at = now + _jittered(rt.session_check_seconds)
        if not frames and now >= heartbeat_at:
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


def _jittered(seconds: float) -> float:
    # Streams opened together (after a restart, say) must not check their sessions together.
    return seconds * random.uniform(0.75, 1.25)  # noqa: S311 - spreading load, not a secret


async def _session_valid(still_valid: Callable[[], Awaitable[bool]]) -> bool:
    try:
        return await still_valid()
    except Exception as e:  # the database is away: keep streaming, ask again next time
        log.debug("session check failed, keeping the stream: %s", e)
        return True


async def _within(seconds: float, sending: Awaitable[None]) -> bool:
    try:
        async with asyncio.timeout(seconds):
            await sending
    except TimeoutError:
        return False
    return True
