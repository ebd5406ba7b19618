"""The delivery loop every streaming transport runs: frames, heartbeats, session checks."""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable

from godkend.realtime.frames import Frame
from godkend.realtime.runtime import Realtime
from godkend.realtime.stream import EventStream

log = logging.getLogger(__name__)


class Ended(enum.Enum):
    """Why a stream ended (the transport picks its close code from this)."""

    RESET = "reset"  # the client fell behind and was sent system.reset
    SESSION = "session"  # logged out, session expired or token revoked
    SEND_TIMEOUT = "send_timeout"  # the client stopped reading


async def pump(
    rt: Realtime,
    stream: EventStream,
    *,
    send: Callable[[Frame], Awaitable[None]],
    heartbeat: Callable[[], Awaitable[None]],
    still_valid: Callable[[], Awaitable[bool]],
) -> Ended:
    """Send frames as they come, a heartbeat every 15-30 s (jittered), and re-check the
    session every few seconds; return why the stream ended (client disconnects cancel it)."""
    now = time.monotonic()
    heartbeat_at = now + rt.heartbeat_interval()
    check_at = now + rt.session_check_seconds
    while True:
        frame = await stream.next(max(0.0, min(heartbeat_at, check_at) - time.monotonic()))
        if frame is not None:
            if not await _within(rt.send_timeout_seconds, send(frame)):
                return Ended.SEND_TIMEOUT
            if frame.terminal:
                return Ended.RESET
            continue
        now = time.monotonic()
        if now >= check_at:
            if not await _session_valid(still_valid):
                return Ended.SESSION
            check_at = now + rt.session_check_seconds
        if now >= heartbeat_at:
            if not await _within(rt.send_timeout_seconds, heartbeat()):
                return Ended.SEND_TIMEOUT
            heartbeat_at = now + rt.heartbeat_interval()


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
