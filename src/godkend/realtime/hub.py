"""The hub: routes each event read by the listener to the local connections allowed to see it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TypeVar

from godkend.realtime import metrics
from godkend.realtime.cursor import Cursor
from godkend.realtime.frames import Frame, encode, reset_frame
from godkend.realtime.ports import Audience, OutboxRow, Scan

log = logging.getLogger(__name__)
K = TypeVar("K")


class Subscription:
    """One live connection's bounded queue; it never blocks the hub.

    `sink`, when the connection has one, is tried first: it writes the frame to the client
    right away (in the hub's routing loop, no task switch) and returns True, or returns False
    when the frame must wait its turn in the queue (see `EventStream.deliver_directly`).
    The queue is a deque made on first use and one waiter future: an idle connection (most
    are) holds no queue at all, where an asyncio.Queue costs about 3 KB.
    """

    __slots__ = (
        "_frames",
        "_waiter",
        "audience",
        "closed",
        "hub",
        "maxsize",
        "overflowed",
        "sink",
        "transport",
    )

    def __init__(self, hub: Hub, audience: Audience, *, transport: str, maxsize: int) -> None:
        self.hub = hub
        self.audience = audience
        self.transport = transport
        self.maxsize = maxsize
        self.sink: Callable[[Frame], bool] | None = None
        self.closed = False
        self.overflowed = False
        self._frames: deque[Frame] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._frames) if self._frames else 0

    def offer(self, frame: Frame) -> None:
        if self.closed:
            return
        if self._frames is None:
            self._frames = deque()
        elif len(self._frames) >= self.maxsize:
            self._overflow()
            return
        self._frames.append(frame)
        self._wake()

    def pop(self) -> Frame | None:
        """The oldest queued frame, or None."""
        return self._frames.popleft() if self._frames else None

    async def wait(self, seconds: float) -> None:
        """Until a frame is queued, the subscription closes, or `seconds` pass."""
        if self._frames or self.closed:
            return
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        timer = loop.call_later(seconds, _resolve, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def _wake(self) -> None:
        if self._waiter is not None:
            _resolve(self._waiter)

    def _overflow(self) -> None:
        # Drop what it has not read: it reloads anyway, and resumes from where the hub stood.
        resume = self.hub.position or Cursor(0, 0)
        self._frames = deque([reset_frame(resume, reason="overflow", terminal=True)])
        self.overflowed = True
        metrics.RESETS_SENT.labels("overflow").inc()
        self.close()
        self._wake()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.hub.unsubscribe(self)
            self._wake()


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class Hub:
    """Live connections indexed by user and by role: routing costs O(recipients)."""

    def __init__(self, *, queue_size: int = 1000) -> None:
        self.queue_size = queue_size
        # How far the listener has routed; None until it has read its first horizon.
        self.position: Cursor | None = None
        self._by_user: dict[int, set[Subscription]] = {}
        self._by_role: dict[str, set[Subscription]] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def subscribe(self, audience: Audience, *, transport: str) -> Subscription:
        sub = Subscription(self, audience, transport=transport, maxsize=self.queue_size)
        self._by_user.setdefault(audience.user_id, set()).add(sub)
        for role in audience.roles:
            self._by_role.setdefault(role, set()).add(sub)
        self._count += 1
        metrics.STREAMS_OPEN.labels(transport).inc()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if _discard(self._by_user, sub.audience.user_id, sub):
            for role in sub.audience.roles:
                _discard(self._by_role, role, sub)
            self._count -= 1
            metrics.STREAMS_OPEN.labels(sub.transport).dec()
            sub.closed = True

    def publish(self, scan: Scan) -> None:
        """Route a scan's rows in order, then note how far the hub has got (no await between)."""
        for row in scan.rows:
            self.route(row)
        if self.position is None or scan.end > self.position:
            self.position = scan.end

    def route(self, row: OutboxRow) -> int:
        recipients = self._recipients(row)
        if not recipients:
            return 0
        try:
            frame = encode(row)
        except (TypeError, ValueError):
            # A bad event must not stop the stream for everybody else: log it and move on.
            log.exception("outbox event %s (%s) cannot be encoded; skipped", row.cursor, row.type)
            metrics.BAD_EVENTS.inc()
            return 0
        written: dict[str, int] = {}
        for sub in recipients:
            sink = sub.sink
            if sink is not None and sink(frame):
                written[sub.transport] = written.get(sub.transport, 0) + 1
            else:
                sub.offer(frame)
        if written:
            # Counted once per event, not per recipient: the written frames left together.
            latency = max(0.0, time.time() - frame.created_at) if frame.created_at else None
            for transport, count in written.items():
                metrics.EVENTS_DELIVERED.labels(transport).inc(count)
                if latency is not None:
                    metrics.DELIVERY_LATENCY.observe(latency)
        return len(recipients)

    def _recipients(self, row: OutboxRow) -> set[Subscription]:
        found: set[Subscription] = set()
        _gather(found, self._by_user, row.audience_users)
        _gather(found, self._by_role, row.audience_roles)
        return found


def _gather(into: set[Subscription], index: dict[K, set[Subscription]], keys: Iterable[K]) -> None:
    for key in keys:
        subs = index.get(key)
        if subs:
            into |= subs


def _discard(index: dict[K, set[Subscription]], key: K, sub: Subscription) -> bool:
    subs = index.get(key)
    if subs is None or sub not in subs:
        return False
    subs.discard(sub)
    if not subs:
        del index[key]
    return True
