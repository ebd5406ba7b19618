"""SessionWatch on its own (no database): one check per round for all open streams' credentials."""

from __future__ import annotations

from collections.abc import Collection, Hashable

from godkend.realtime.cursor import Cursor
from godkend.realtime.hub import Hub
from godkend.realtime.ports import Audience
from godkend.realtime.sessions import SessionWatch
from godkend.realtime.stream import EventStream


async def opened(hub: Hub, user: int) -> EventStream:
    audience = Audience(user, frozenset({"employee"}))
    stream = EventStream(source=None, hub=hub, audience=audience, after=None, transport="ws")  # type: ignore[arg-type]
    await stream.__aenter__()
    return stream


class Directory:
    """Which credentials are valid now, and how often it was asked."""

    def __init__(self, *valid: Hashable) -> None:
        self.valid = set(valid)
        self.asked: list[list[Hashable]] = []
        self.down = False

    async def check(self, credentials: Collection[Hashable]) -> Collection[Hashable]:
        self.asked.append(sorted(credentials, key=str))
        if self.down:
            raise ConnectionError("the database is away")
        return [c for c in credentials if c in self.valid]


async def test_a_round_asks_once_for_all_credentials_and_ends_only_the_invalid_ones() -> None:
    hub = Hub()
    hub.position = Cursor(1, 0)
    watch = SessionWatch()
    directory = Directory("anna", "bo")
    watch.check = directory.check
    tabs = [await opened(hub, 1) for _ in range(3)]  # anna's three tabs share one session
    bos = await opened(hub, 2)
    evas = await opened(hub, 3)
    for tab in tabs:
        watch.watch("anna", tab)
    watch.watch("bo", bos)
    watch.watch("eva", evas)
    assert await watch.sweep() == 1
    assert directory.asked == [["anna", "bo", "eva"]]  # three credentials, five streams, one ask
    assert evas.session_ended
    assert evas.closed
    assert not any(tab.session_ended or tab.closed for tab in tabs)
    assert len(hub) == 4

    directory.down = True  # a round that cannot ask keeps every stream
    assert await watch.sweep() == 0
    assert not any(tab.closed for tab in tabs)

    assert watch.end("anna") == 3  # logged out here: at once, no round needed
    assert all(tab.session_ended for tab in tabs)
    directory.down = False
    assert await watch.sweep() == 0
    assert directory.asked[-1] == ["bo"]


async def test_a_stream_that_ends_is_forgotten() -> None:
    hub = Hub()
    hub.position = Cursor(1, 0)
    watch = SessionWatch()
    directory = Directory()
    watch.check = directory.check
    stream = await opened(hub, 1)
    with watch.watching("anna", stream):
        pass
    assert await watch.sweep() == 0
    assert directory.asked == []  # nothing open: nothing to ask
