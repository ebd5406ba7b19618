"""Direct frame writes (no database): the hub writes a live frame straight to a connection
while nothing is ahead of it, and queues it, in order, whenever something is."""

from __future__ import annotations

import json

import pytest

from godkend.realtime.cursor import Cursor
from godkend.realtime.frames import Frame
from godkend.realtime.hub import Hub
from godkend.realtime.ports import Audience
from godkend.realtime.stream import EventStream
from tests.integration.realtime.test_hub import row, scan

AUDITOR = Audience(3, frozenset({"auditor"}))


class Connection:
    """A transport's non-blocking write that can be told to refuse (a full write buffer)."""

    def __init__(self) -> None:
        self.written: list[int] = []
        self.accepting = True

    def write(self, frame: Frame) -> bool:
        if not self.accepting:
            return False
        self.written.append(json.loads(frame.text)["n"])
        return True


async def open_stream(hub: Hub, connection: Connection) -> EventStream:
    stream = EventStream(source=None, hub=hub, audience=AUDITOR, after=None, transport="ws")  # type: ignore[arg-type]
    await stream.__aenter__()
    stream.deliver_directly(connection.write)
    return stream


async def queued(stream: EventStream) -> list[int]:
    got = []
    while (frame := await stream.next(0.0)) is not None:
        got.append(json.loads(frame.text)["n"])
    return got


@pytest.fixture
def hub() -> Hub:
    hub = Hub()
    hub.position = Cursor(100, 0)
    return hub


async def test_live_frames_are_written_directly_and_never_queued(hub: Hub) -> None:
    connection = Connection()
    stream = await open_stream(hub, connection)
    queuing = hub.subscribe(AUDITOR, transport="sse")  # no sink: queued as always
    for n in range(1, 6):
        hub.publish(scan(row(n)))
    assert connection.written == [1, 2, 3, 4, 5]
    assert await queued(stream) == []
    assert len(queuing) == 5
    assert stream.position == Cursor(100, 5)


async def test_a_refused_write_queues_and_later_frames_wait_behind_it(hub: Hub) -> None:
    connection = Connection()
    stream = await open_stream(hub, connection)
    hub.publish(scan(row(1)))
    connection.accepting = False  # the client reads slowly: its buffer is full
    hub.publish(scan(row(2)))
    connection.accepting = True
    hub.publish(scan(row(3), row(4)))  # writable again, but 2 is still queued: no overtaking
    assert connection.written == [1]
    assert await queued(stream) == [2, 3, 4]
    hub.publish(scan(row(5)))  # nothing ahead any more: direct again
    assert connection.written == [1, 5]
    assert stream.position == Cursor(100, 5)


async def test_frames_the_delivery_loop_holds_are_not_overtaken(hub: Hub) -> None:
    connection = Connection()
    stream = await open_stream(hub, connection)
    stream.sending = True  # the loop took frames from the queue and is writing them
    hub.publish(scan(row(1)))
    stream.sending = False
    assert connection.written == []
    assert await queued(stream) == [1]


async def test_a_frame_at_or_before_the_streams_position_is_not_written_twice(hub: Hub) -> None:
    connection = Connection()
    stream = await open_stream(hub, connection)
    hub.publish(scan(row(1), row(2)))
    hub.route(row(2))  # the seam's overlap, as after a replay that read ahead of the hub
    assert connection.written == [1, 2]
    assert await queued(stream) == []


async def test_a_closed_stream_gets_nothing_more(hub: Hub) -> None:
    connection = Connection()
    stream = await open_stream(hub, connection)
    hub.publish(scan(row(1)))
    stream.close()
    hub.publish(scan(row(2)))
    assert connection.written == [1]
    assert len(hub) == 0


def test_the_websocket_frame_is_serialised_once_and_shared() -> None:
    frame = Frame(Cursor(1, 2), "request.submitted", '{"id":"1:2","title":"Sommerferie æøå"}')
    wire = frame.ws()
    assert frame.ws() is wire
    payload = frame.text.encode()
    assert wire == bytes([0x81, len(payload)]) + payload  # FIN + text, unmasked, 7-bit length
    long = Frame(Cursor(1, 3), "x", "y" * 300).ws()
    assert long[:4] == bytes([0x81, 126, 1, 44])  # 16-bit length
