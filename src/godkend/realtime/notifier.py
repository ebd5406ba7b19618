"""The notifier: one coalesced NOTIFY per burst of commits, on its own autocommit connection."""

from __future__ import annotations

import asyncio
import logging
import time

from godkend.realtime import metrics
from godkend.realtime.ports import EventSource, NotifyConnection

log = logging.getLogger(__name__)

# A lost wake-up only costs latency (every listener polls), so failures are logged sparingly.
_WARN_EVERY = 30.0
# Seconds between wake-ups at the most: 2 ms of latency buys back most of NOTIFY's cost.
MIN_GAP = 0.002


class Notifier:
    """`wake()` after a commit that wrote events; wakes that arrive during a send share the next."""

    def __init__(self, source: EventSource) -> None:
        self._source = source
        self._conn: NotifyConnection | None = None
        self._pending = False
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._last_warning = 0.0
        self.sent = 0

    def wake(self) -> None:
        """Never blocks and never raises: the business transaction has already committed."""
        if self._closing:
            return
        self._pending = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._send_all())

    async def _send_all(self) -> None:
        while self._pending and not self._closing:
            self._pending = False
            started = time.monotonic()
            await self._send_one()
            # Under a steady stream of commits, at most one NOTIFY per MIN_GAP: each costs the
            # cluster a commit-time lock, and a listener woken once reads every row anyway.
            rest = MIN_GAP - (time.monotonic() - started)
            if self._pending and rest > 0:
                await asyncio.sleep(rest)

    async def _send_one(self) -> None:
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await self._source.connect_notifier()
            await self._conn.notify()
            self.sent += 1
            metrics.WAKEUPS_SENT.inc()
        except Exception as e:  # any failure: the listeners' poll covers it
            await self._drop_connection()
            self._warn(e)

    def _warn(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY:
            self._last_warning = now
            log.warning("wake-up not sent (listeners will poll): %s", error)

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def close(self) -> None:
        self._closing = True
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        await self._drop_connection()
