"""The listener: one dedicated connection that LISTENs, catches up from its cursor and polls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable

from godkend.realtime import metrics
from godkend.realtime.cursor import Cursor
from godkend.realtime.ports import CursorState, EventSource, ListenConnection, Scan

log = logging.getLogger(__name__)


# The first quick re-read after a scan found events held back behind a running transaction.
RETRY_FIRST = 0.005


class ConnectionLost(Exception):
    """The listener's connection is gone; it reconnects and catches up from its cursor."""


class Listener:
    """Reads every event after its cursor, in (tx, id) order, and hands each scan to `deliver`.

    A wake-up (NOTIFY or a local poke) triggers a read; so does a timer every `poll_interval`
    seconds, which is also the connection's health check. Nothing is ever taken from a
    notification itself, so a lost one costs latency, never an event.
    """

    def __init__(
        self,
        source: EventSource,
        deliver: Callable[[Scan], None],
        *,
        start: Cursor | None = None,
        poll_interval: float = 1.0,
        batch: int = 500,
        stall_warn_seconds: float = 5.0,
        backoff_cap: float = 5.0,
    ) -> None:
        self.source = source
        self.deliver = deliver
        self.cursor = start
        self.poll_interval = poll_interval
        self.batch = batch
        self.stall_warn_seconds = stall_warn_seconds
        self.backoff_cap = backoff_cap
        self.connected = False
        self.reconnects = 0
        self.stall_seconds = 0.0
        self._wake = asyncio.Event()
        self._held_back = False
        self._retry = RETRY_FIRST
        self._lost = False
        self._last_stall_warning = -1e9
        self._next_horizon_check = 0.0
        self._ever_connected = asyncio.Event()

    def poke(self) -> None:
        """Read now (a NOTIFY arrived, or this instance just committed events)."""
        self._wake.set()

    def _on_lost(self) -> None:
        self._lost = True
        self._wake.set()

    async def wait_connected(self, within: float) -> bool:
        try:
            async with asyncio.timeout(within):
                await self._ever_connected.wait()
        except TimeoutError:
            return False
        return True

    async def run(self) -> None:
        """Until cancelled: connect, serve, and on any failure reconnect with backoff."""
        failures = 0
        while True:
            try:
                conn = await self.source.connect_listener(
                    on_wakeup=self.poke, on_lost=self._on_lost
                )
            except Exception as e:  # the database may be down: retry, never die
                failures += 1
                log.warning("outbox listener cannot connect (attempt %d): %s", failures, e)
                await asyncio.sleep(self._backoff(failures))
                continue
            failures = 0
            await self._serve_until_lost(conn)
            self.reconnects += 1
            metrics.LISTENER_RECONNECTS.inc()
            await asyncio.sleep(self._backoff(1))

    def _backoff(self, failures: int) -> float:
        # Capped exponential with jitter, so instances do not reconnect in lockstep.
        ceiling = min(self.backoff_cap, 0.1 * 2 ** min(failures, 16))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 -- jitter, not secrecy

    async def _serve_until_lost(self, conn: ListenConnection) -> None:
        try:
            await self._serve(conn)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # any failure of the connection: reconnect and catch up
            log.warning(
                "outbox listener lost its connection at %s: %s; reconnecting", self.cursor, e
            )
        finally:
            self._set_connected(False)
            await conn.close()

    async def _serve(self, conn: ListenConnection) -> None:
        self._lost = False
        if self.cursor is None:
            self.cursor = await conn.head()
        while True:
            self._wake.clear()
            await self._drain(conn)
            # Ready once the first read is delivered: the hub then knows where "now" is.
            self._set_connected(True)
            await self._watch_horizon(conn)
            if self._lost or conn.is_closed():
                raise ConnectionLost("the server closed the listener's connection")
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._next_wait()):
                    await self._wake.wait()

    def _next_wait(self) -> float:
        """The poll interval; but while events are held back behind a running transaction,
        soon (5 ms, doubling): if it wrote no events, its end wakes nobody."""
        if not self._held_back:
            self._retry = RETRY_FIRST
            return self.poll_interval
        wait, self._retry = self._retry, min(self._retry * 2, self.poll_interval)
        return min(wait, self.poll_interval)

    async def _drain(self, conn: ListenConnection) -> None:
        assert self.cursor is not None
        for _ in range(50):  # bounded: a large backlog is read over several turns
            scan = await conn.scan(self.cursor, limit=self.batch)
            self._held_back = scan.held_back
            if scan.state is CursorState.EXPIRED:
                log.error(
                    "outbox listener fell behind retention at %s: events were pruned", self.cursor
                )
            self._deliver(scan)
            self.cursor = scan.end
            if scan.exhausted:
                return
        self._wake.set()

    def _deliver(self, scan: Scan) -> None:
        metrics.OUTBOX_EVENTS_READ.inc(len(scan.rows))
        try:
            self.deliver(scan)
        except Exception:  # a bug in one delivery must not stop the stream
            log.exception("delivering outbox events up to %s failed; skipped", scan.end)

    async def _watch_horizon(self, conn: ListenConnection) -> None:
        now = time.monotonic()
        if now < self._next_horizon_check:
            return  # once per poll interval, however often wake-ups come
        self._next_horizon_check = now + self.poll_interval
        # The last read already said whether anything is held back; only then ask how long.
        self.stall_seconds = await conn.held_back_seconds() if self._held_back else 0.0
        metrics.HORIZON_STALL.set(self.stall_seconds)
        if self.stall_seconds < self.stall_warn_seconds or now - self._last_stall_warning < 30.0:
            return
        self._last_stall_warning = now
        await self._warn_stall(conn)

    async def _warn_stall(self, conn: ListenConnection) -> None:
        holder = await conn.horizon_holder()
        if holder is None:
            log.warning(
                "outbox delivery held back %.1f s by a transaction this role cannot see "
                "(grant pg_read_all_stats to name it)",
                self.stall_seconds,
            )
            return
        log.warning(
            "outbox delivery held back %.1f s by pid %s (%s, application %r, database %r), "
            "transaction open %.1f s; events wait until it ends",
            self.stall_seconds,
            holder.pid,
            holder.state,
            holder.application_name,
            holder.database,
            holder.transaction_age,
        )

    def _set_connected(self, connected: bool) -> None:
        self.connected = connected
        metrics.LISTENER_CONNECTED.set(1 if connected else 0)
        if connected:
            self._ever_connected.set()
