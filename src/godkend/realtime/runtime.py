"""The Realtime runtime: one instance's listener, hub, notifier and pruner, for the transports."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Coroutine
from typing import Any

from godkend.domain.errors import DatabaseUnavailable
from godkend.realtime.cursor import Cursor
from godkend.realtime.frames import Frame
from godkend.realtime.hub import Hub
from godkend.realtime.listener import Listener
from godkend.realtime.notifier import Notifier
from godkend.realtime.ports import Audience, EventSource
from godkend.realtime.pruner import Pruner
from godkend.realtime.sessions import SessionWatch
from godkend.realtime.stream import EventStream

log = logging.getLogger(__name__)


class Realtime:
    """Start it in the app's lifespan; give `wake` to the services as their `Wakeup`."""

    def __init__(
        self,
        source: EventSource,
        *,
        retention_days: int = 30,
        poll_interval: float = 1.0,
        queue_size: int = 1000,
        replay_batch: int = 500,
        heartbeat_seconds: tuple[float, float] = (15.0, 30.0),
        session_check_seconds: float = 5.0,
        send_timeout_seconds: float = 10.0,
        prune_every_seconds: float = 3600.0,
        stall_warn_seconds: float = 5.0,
    ) -> None:
        self.source = source
        self.hub = Hub(queue_size=queue_size)
        self.listener = Listener(
            source,
            self.hub.publish,
            poll_interval=poll_interval,
            stall_warn_seconds=stall_warn_seconds,
        )
        self.notifier = Notifier(source)
        self.pruner = Pruner(
            source, retention_days=retention_days, every_seconds=prune_every_seconds
        )
        self.sessions = SessionWatch(seconds=session_check_seconds)
        self.replay_batch = replay_batch
        self.heartbeat_seconds = heartbeat_seconds
        self.send_timeout_seconds = send_timeout_seconds
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def ready(self) -> bool:
        """True while the listener is connected (`/readyz` is 503 otherwise)."""
        return self.listener.connected

    async def start(self, *, wait_seconds: float = 5.0) -> None:
        """Start the background tasks; wait (a bounded time) for the listener's first connection."""
        self._spawn(self.listener.run(), "godkend-listener")
        self._spawn(self.pruner.run(), "godkend-pruner")
        self._spawn(self.sessions.run(), "godkend-session-watch")
        if not await self.listener.wait_connected(wait_seconds):
            log.warning("outbox listener not connected after %.0f s; it keeps trying", wait_seconds)

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.get_running_loop().create_task(work, name=name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.notifier.close()

    def wake(self) -> None:
        """The services' Wakeup: read now here, and NOTIFY the other instances."""
        self.listener.poke()
        self.notifier.wake()

    def heartbeat_interval(self) -> float:
        low, high = self.heartbeat_seconds
        return random.uniform(low, high)  # noqa: S311 -- jitter, not secrecy

    def stream(self, audience: Audience, after: Cursor | None, *, transport: str) -> EventStream:
        """A client's stream after `after` (None: from now); use with `async with`."""
        return EventStream(
            source=self.source,
            hub=self.hub,
            audience=audience,
            after=after,
            transport=transport,
            batch=self.replay_batch,
        )

    def head(self) -> Cursor:
        """The cursor of "now" on this instance: every later event is after it."""
        if self.hub.position is None:
            raise DatabaseUnavailable("the event listener has not connected to the database yet")
        return self.hub.position

    async def poll(
        self, audience: Audience, after: Cursor | None, *, wait: float, limit: int = 500
    ) -> tuple[list[Frame], Cursor]:
        """Long-poll: what is there after `after` at once, else wait up to `wait` s for some."""
        async with self.stream(audience, after, transport="longpoll") as stream:
            frames: list[Frame] = []
            first = await stream.next(wait)
            while first is not None:
                frames.append(first)
                if first.terminal or len(frames) >= limit:
                    break
                first = await stream.next(0)
            return frames, stream.position
