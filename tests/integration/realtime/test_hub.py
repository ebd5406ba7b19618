"""The hub on its own (no database): routing by user and role, one encoding, bounded queues."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

from godkend.realtime.cursor import Cursor, parse_cursor
from godkend.realtime.frames import Frame
from godkend.realtime.hub import Hub, Subscription
from godkend.realtime.ports import Audience, OutboxRow, Scan

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def row(n: int, *, users: tuple[int, ...] = (), roles: tuple[str, ...] = ("auditor",)) -> OutboxRow:
    payload: dict[str, Any] = {"type": "request.submitted", "n": n, "request": {"id": n}}
    return OutboxRow(
        Cursor(100, n), "request.submitted", payload, frozenset(users), frozenset(roles), NOW
    )


def popped(sub: Subscription) -> Frame:
    frame = sub.pop()
    assert frame is not None
    return frame


def scan(*rows: OutboxRow) -> Scan:
    return Scan(rows, rows[-1].cursor if rows else Cursor(100, 0), True)


def test_an_event_reaches_exactly_its_audience_once_each() -> None:
    hub = Hub()
    anna = hub.subscribe(Audience(1, frozenset({"employee"})), transport="ws")
    eva = hub.subscribe(Audience(2, frozenset({"employee"})), transport="ws")
    dorte = hub.subscribe(Audience(3, frozenset({"auditor", "employee"})), transport="sse")
    both = hub.subscribe(Audience(1, frozenset({"auditor"})), transport="sse")
    hub.publish(scan(row(1, users=(1,))))
    assert [len(s) for s in (anna, eva, dorte, both)] == [1, 0, 1, 1]
    frames = [popped(s) for s in (anna, dorte, both)]
    assert frames[0] is frames[1] is frames[2]  # encoded once, shared by every recipient
    body = json.loads(frames[0].text)
    assert body["id"] == "100:1"
    assert parse_cursor(body["id"]) == Cursor(100, 1)
    assert hub.position == Cursor(100, 1)


def test_routing_cost_follows_recipients_not_connections() -> None:
    hub = Hub()
    for user in range(10, 20_010):
        hub.subscribe(Audience(user, frozenset({"employee"})), transport="ws")
    target = hub.subscribe(Audience(1, frozenset({"employee"})), transport="ws")
    rows = [row(n, users=(1,), roles=("hr",)) for n in range(1, 1001)]
    started = time.perf_counter()
    for r in rows:
        assert hub.route(r) == 1
    elapsed = time.perf_counter() - started
    assert len(target) == 1000  # its queue is full
    assert elapsed < 1.0, f"routing 1000 events among 20,000 connections took {elapsed:.2f}s"


def test_a_client_that_falls_behind_gets_one_reset_and_is_dropped_without_slowing_others() -> None:
    hub = Hub(queue_size=10)
    slow = hub.subscribe(Audience(1, frozenset()), transport="ws")
    fast = hub.subscribe(Audience(2, frozenset({"auditor"})), transport="ws")
    got: list[int] = []
    for n in range(1, 31):
        hub.publish(scan(row(n, users=(1,))))
        got.append(json.loads(popped(fast).text)["n"])
    assert got == list(range(1, 31))
    assert slow.closed
    assert slow.overflowed
    assert len(hub) == 1
    reset = popped(slow)
    assert reset.terminal
    assert reset.type == "system.reset"
    assert len(slow) == 0
    assert json.loads(reset.text)["data"] == {"reason": "overflow"}
    assert reset.cursor == Cursor(100, 10)  # where the hub stood: resume from there


def test_a_bad_event_is_logged_and_skipped_and_the_stream_goes_on() -> None:
    hub = Hub()
    sub = hub.subscribe(Audience(1, frozenset({"auditor"})), transport="ws")
    not_an_object: Any = [1, 2]
    bad = OutboxRow(
        Cursor(100, 2), "request.submitted", not_an_object, frozenset(), frozenset({"auditor"}), NOW
    )
    hub.publish(Scan((row(1), bad, row(3)), Cursor(100, 3), True))
    assert [json.loads(popped(sub).text)["n"] for _ in range(2)] == [1, 3]
    assert hub.position == Cursor(100, 3)


def test_unsubscribe_removes_every_index_entry() -> None:
    hub = Hub()
    sub = hub.subscribe(Audience(1, frozenset({"auditor", "hr"})), transport="ws")
    sub.close()
    sub.close()
    assert len(hub) == 0
    assert hub.route(row(1, users=(1,), roles=("auditor", "hr"))) == 0


def test_cursors_parse_round_trip_and_reject_garbage() -> None:
    import pytest

    from godkend.domain.errors import InvalidInput

    assert parse_cursor("12:34") == Cursor(12, 34)
    assert str(Cursor(12, 34)) == "12:34"
    assert Cursor(5, 100) < Cursor.mark(6) < Cursor(6, 1)
    for text in ("", "1", "a:b", "-1:2", "1:2:3", "01:2", "99999999999999999999:1"):
        with pytest.raises(InvalidInput):
            parse_cursor(text)


async def test_a_waiting_reader_wakes_on_a_frame_on_close_and_on_its_timeout() -> None:
    hub = Hub()
    sub = hub.subscribe(Audience(1, frozenset({"auditor"})), transport="ws")
    waiting = asyncio.ensure_future(sub.wait(10))
    await asyncio.sleep(0)
    hub.publish(scan(row(1)))
    await asyncio.wait_for(waiting, 1)
    assert json.loads(popped(sub).text)["n"] == 1
    started = time.monotonic()
    await sub.wait(0.05)  # nothing comes: back after the timeout
    assert 0.04 <= time.monotonic() - started < 1
    waiting = asyncio.ensure_future(sub.wait(10))
    await asyncio.sleep(0)
    sub.close()
    await asyncio.wait_for(waiting, 1)
    assert sub.pop() is None
