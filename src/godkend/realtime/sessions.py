"""Session re-checks for every open stream of an instance, in one batched lookup per round.

A stream outlives the request that opened it, so the session or token it was opened with is
checked again every few seconds: a logout, an expiry or a revoked token ends the stream. The
check is the instance's, not each stream's: every round (jittered, so instances do not check
in step) the distinct credentials of all open streams go to the database in one lookup, and
the streams of those no longer valid are ended. No stream keeps a timer or wakes for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Collection, Hashable, Iterator

from godkend.realtime.stream import EventStream

log = logging.getLogger(__name__)

# Given the credentials of the open streams, the ones still valid (a port: the app wires it).
CheckCredentials = Callable[[Collection[Hashable]], Awaitable[Collection[Hashable]]]


class SessionWatch:
    def __init__(self, *, seconds: float = 5.0) -> None:
        self.seconds = seconds
        self.check: CheckCredentials | None = None
        self._streams: dict[Hashable, set[EventStream]] = {}
        self._soon = asyncio.Event()

    def watch(self, credential: Hashable, stream: EventStream) -> None:
        self._streams.setdefault(credential, set()).add(stream)

    @contextlib.contextmanager
    def watching(self, credential: Hashable, stream: EventStream) -> Iterator[None]:
        self.watch(credential, stream)
        try:
            yield
        finally:
            self.forget(credential, stream)

    def forget(self, credential: Hashable, stream: EventStream) -> None:
        streams = self._streams.get(credential)
        if streams is not None:
            streams.discard(stream)
            if not streams:
                del self._streams[credential]

    def end(self, credential: Hashable) -> int:
        """End the streams of a credential at once (its session was just logged out here);
        other instances end theirs at their next round. How many ended."""
        streams = self._streams.pop(credential, ())
        for stream in streams:
            stream.end_session()
        return len(streams)

    def sweep_soon(self) -> None:
        """Start the next round now (and count the interval from there)."""
        self._soon.set()

    async def run(self) -> None:
        """Until cancelled: a round every `seconds` (±25 %), or sooner when asked."""
        while True:
            jittered = self.seconds * random.uniform(0.75, 1.25)  # noqa: S311 -- jitter
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(jittered):
                    await self._soon.wait()
            self._soon.clear()
            await self.sweep()

    async def sweep(self) -> int:
        """One round: end the streams whose credential is no longer valid; how many ended."""
        if not self._streams or self.check is None:
            return 0
        credentials = list(self._streams)
        try:
            valid = set(await self.check(credentials))
        except Exception as e:  # the database is away: keep streaming, ask again next round
            log.debug("session re-check failed, streams kept: %s", e)
            return 0
        return sum(self.end(credential) for credential in credentials if credential not in valid)
