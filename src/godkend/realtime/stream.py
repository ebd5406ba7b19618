"""One client's event stream: subscribe, replay from the outbox, then live; no gap, no repeat."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from types import TracebackType

from godkend.domain.errors import DatabaseUnavailable
from godkend.realtime import metrics
from godkend.realtime.cursor import Cursor
from godkend.realtime.frames import Frame, encode, reset_frame
from godkend.realtime.hub import Hub, Subscription
from godkend.realtime.ports import Audience, CursorState, EventSource

# Scans per `next()` call while replaying past events the reader may not see: bounds the time
# one call can take, the caller comes back (as after a timeout) and the replay continues.
_SCANS_PER_CALL = 20
_NEVER_FILLED: deque[Frame] = deque(maxlen=0)


class EventStream:
    """Async context manager; `next(wait)` gives the next frame, or None after `wait` seconds.

    Seam: the subscription is made before the replay's first read, so every event the hub
    routes after that is queued; the replay ends at a horizon mark taken after subscribing,
    so everything the hub routed before is behind it. Live frames at or before `position`
    are the overlap and are dropped.
    """

    def __init__(
        self,
        *,
        source: EventSource,
        hub: Hub,
        audience: Audience,
        after: Cursor | None,
        transport: str,
        batch: int = 500,
    ) -> None:
        self._source = source
        self._hub = hub
        self.audience = audience
        self.transport = transport
        self._after = after
        self._batch = batch
        self._sub: Subscription | None = None
        # Replayed frames not yet handed out; a stream that starts from now never replays and
        # shares one empty, never-filled deque (an idle connection should cost little).
        self._pending: deque[Frame] = deque() if after is not None else _NEVER_FILLED
        self._replaying = after is not None
        self._replay_end = after
        self._first_scan = True
        self._position = after or Cursor(0, 0)
        # True while the delivery loop holds frames it took from the queue and has not yet
        # written: nothing may overtake them.
        self.sending = False
        self.session_ended = False
        self.closed = False
        self._delivered = metrics.EVENTS_DELIVERED.labels(transport)

    async def __aenter__(self) -> EventStream:
        if self._hub.position is None:
            raise DatabaseUnavailable("the event listener has not connected to the database yet")
        self._sub = self._hub.subscribe(self.audience, transport=self.transport)
        if self._after is None:
            # From now: everything the hub routed so far is the past; all later events are queued.
            self._position = self._hub.position
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def deliver_directly(self, write: Callable[[Frame], bool]) -> None:
        """Let the hub hand live frames straight to `write` (the transport's non-blocking
        write, False when it cannot take the frame now) while nothing is ahead of them:
        no replay left, nothing pending or queued, nothing in the delivery loop's hands.
        Otherwise, and whenever `write` refuses, frames queue as before, in order."""
        sub = self._sub
        if sub is None:
            raise RuntimeError("deliver_directly() before the stream is entered")

        def sink(frame: Frame) -> bool:
            if self._replaying or self._pending or self.sending or len(sub):
                return False
            if frame.cursor <= self._position:
                return True  # the seam's overlap: the replay handed it out already
            if frame.terminal or not write(frame):
                return False
            self._position = frame.cursor
            return True

        sub.sink = sink

    def end_session(self) -> None:
        """Its credential is no longer valid: no more frames; the delivery loop ends it."""
        self.session_ended = True
        self.close()

    def close(self) -> None:
        self.closed = True
        if self._sub is not None:
            self._sub.close()

    @property
    def position(self) -> Cursor:
        """Every event up to here that this reader may see has been handed out."""
        sub = self._sub
        if self._replaying or self._pending or sub is None or len(sub):
            return self._position
        hub_position = self._hub.position
        return max(self._position, hub_position) if hub_position else self._position

    async def next(self, wait: float) -> Frame | None:
        if self.closed or self._sub is None:
            return None
        if self._sub.overflowed:
            reset = self._sub.pop()
            return None if reset is None else self._hand(reset, live=True)
        if not self._pending and self._replaying:
            await self._replay()
        if self._pending:
            return self._hand(self._pending.popleft(), live=False)
        if self._replaying:
            return None  # a long stretch of events for others; come back for more
        return await self._live(wait)

    async def _replay(self) -> None:
        for _ in range(_SCANS_PER_CALL):
            assert self._replay_end is not None
            scan = await self._source.scan_for(
                self._replay_end, audience=self.audience, limit=self._batch
            )
            if self._first_scan and scan.state is not CursorState.VALID:
                self._restart_from_now(scan.state)
                return
            self._first_scan = False
            self._pending.extend(encode(row) for row in scan.rows)
            self._replay_end = scan.end
            if scan.exhausted:
                self._replaying = False
            if self._pending or not self._replaying:
                break
        if not self._pending and self._replay_end is not None:
            self._position = max(self._position, self._replay_end)

    def _restart_from_now(self, state: CursorState) -> None:
        """An expired or foreign cursor: one reset, then live from where the hub stands."""
        assert self._hub.position is not None
        self._replaying = False
        self._position = self._replay_end = self._hub.position
        reason = "expired" if state is CursorState.EXPIRED else "unknown"
        self._pending.append(reset_frame(self._position, reason=reason, terminal=False))
        metrics.RESETS_SENT.labels(reason).inc()

    async def _live(self, wait: float) -> Frame | None:
        assert self._sub is not None
        sub = self._sub
        deadline = time.monotonic() + wait
        while True:
            frame = sub.pop()  # the common case under load: one is already queued
            if frame is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or sub.closed:
                    return None
                await sub.wait(remaining)
                continue
            if frame.terminal or frame.cursor > self._position:
                return self._hand(frame, live=True)

    def _hand(self, frame: Frame, *, live: bool) -> Frame:
        if frame.terminal:
            self.close()
            return frame
        self._position = max(self._position, frame.cursor)
        if not self._pending and not self._replaying and self._replay_end is not None:
            self._position = max(self._position, self._replay_end)
        self._delivered.inc()
        if live and frame.created_at:
            metrics.DELIVERY_LATENCY.observe(max(0.0, time.time() - frame.created_at))
        return frame
