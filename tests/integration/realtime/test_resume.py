"""Resume: reconnecting with a cursor while events are written gives each exactly once, in order."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime

import asyncpg
import pytest

from godkend.realtime.cursor import Cursor
from godkend.realtime.ports import Audience
from godkend.realtime.runtime import Realtime
from tests.integration.realtime.conftest import MakeRealtime
from tests.integration.realtime.streams import Client, connect, disconnect, wait_until
from tests.integration.realtime.writers import count_problems, write_events

AUDIENCES = {
    "auditor": Audience(99, frozenset({"auditor"})),
    "user1": Audience(1, frozenset({"employee"})),
    "user2": Audience(2, frozenset({"employee"})),
    "hr": Audience(50, frozenset({"hr"})),
}


def mixed(n: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Events of user 1 or user 2, a quarter also visible to role hr; the auditor sees all."""
    users = (1,) if n % 2 else (2,)
    return users, ("auditor", "hr") if n % 4 == 0 else ("auditor",)


async def flapping(rt: Realtime, name: str, stop: asyncio.Event, into: Client) -> int:
    """Connects, reads a little, drops, reconnects with its last cursor: over and over."""
    rng = random.Random(name)
    after: Cursor | None = rt.head()
    reconnects = 0
    while True:
        client = Client(name, AUDIENCES[name])
        await connect(rt, client, after)
        done = stop.is_set()
        await asyncio.sleep(1.5 if done else rng.uniform(0.02, 0.2))
        await disconnect(client)
        into.frames.extend(client.frames)
        after = client.last_cursor or after
        reconnects += 1
        if done:
            return reconnects


async def test_clients_that_keep_reconnecting_miss_nothing_and_get_nothing_twice(
    db_url: str, make_realtime: MakeRealtime, capsys: pytest.CaptureFixture[str]
) -> None:
    rt = await make_realtime(replay_batch=50)
    stop = asyncio.Event()
    results = {name: Client(name, audience) for name, audience in AUDIENCES.items()}
    tasks = [asyncio.create_task(flapping(rt, n, stop, c)) for n, c in results.items()]
    log = await write_events(
        db_url, total=2000, writers=4, max_delay=0.02, audience=mixed, after_commit=rt.wake
    )
    stop.set()
    reconnects = await asyncio.gather(*tasks)
    lines = [f"\n[resume] sent {len(log.markers)} events"]
    outcome = {}
    for (name, client), count in zip(results.items(), reconnects, strict=True):
        expected = log.visible_to(client.audience.user_id, client.audience.roles)
        lost, duplicated = count_problems(expected, client.markers)
        cursors = [f.cursor for f in client.frames]
        in_order = cursors == sorted(cursors)
        outcome[name] = (lost, duplicated, len(client.markers) - len(expected), in_order)
        lines.append(
            f"  {name}: {count} connections, expected {len(expected)}, received "
            f"{len(client.markers)}, lost {lost}, duplicated {duplicated}, in order {in_order}"
        )
    with capsys.disabled():
        print("\n".join(lines))
    assert outcome == dict.fromkeys(AUDIENCES, (0, 0, 0, True))


async def insert(
    conn: asyncpg.Connection, marker: str, *, users: list[int], days_ago: int = 0
) -> None:
    await conn.execute(
        "INSERT INTO events (type, audience_users, audience_roles, payload, created_at) "
        "VALUES ('test.event', $1, '{auditor}', $2::jsonb, now() - make_interval(days => $3))",
        users,
        json.dumps({"type": "test.event", "marker": marker}),
        days_ago,
    )


async def test_replay_rechecks_authorization(
    raw: asyncpg.Connection, make_realtime: MakeRealtime
) -> None:
    rt = await make_realtime()
    start = rt.head()
    for n in range(30):
        await insert(raw, f"m{n}", users=[1] if n % 3 else [2])
    eva = await connect(rt, Client("eva", Audience(2, frozenset({"employee"}))), start)
    anna = await connect(rt, Client("anna", Audience(1, frozenset({"employee"}))), start)
    dorte = await connect(rt, Client("dorte", Audience(3, frozenset({"auditor"}))), start)
    await wait_until(lambda: len(dorte.markers) == 30, within=5)
    for c in (eva, anna, dorte):
        await disconnect(c)
    assert eva.markers == [f"m{n}" for n in range(0, 30, 3)]
    assert anna.markers == [f"m{n}" for n in range(30) if n % 3]
    assert dorte.markers == [f"m{n}" for n in range(30)]


async def test_a_cursor_older_than_retention_gets_exactly_one_reset_then_live_events(
    raw: asyncpg.Connection, make_realtime: MakeRealtime
) -> None:
    for n in range(20):
        await insert(raw, f"old{n}", users=[1], days_ago=40)
    await insert(raw, "recent", users=[1], days_ago=1)
    rt = await make_realtime(retention_days=30)
    assert await rt.pruner.prune_once() == 20
    expired = await connect(rt, Client("expired", Audience(1, frozenset())), Cursor(0, 0))
    kept_from = Cursor(int(await raw.fetchval("SELECT tx::text FROM events LIMIT 1")), 0)
    valid = await connect(rt, Client("valid", Audience(1, frozenset())), kept_from)
    foreign = await connect(rt, Client("foreign", Audience(1, frozenset())), Cursor(10**15, 1))
    await wait_until(lambda: bool(expired.frames and foreign.frames and valid.frames), within=5)
    await insert(raw, "live", users=[1])
    rt.wake()
    await wait_until(lambda: all("live" in c.markers for c in (expired, valid, foreign)), within=5)
    for c in (expired, valid, foreign):
        await disconnect(c)
    reset = json.loads(expired.frames[0].text)
    assert reset["type"] == "system.reset"
    assert reset["data"] == {"reason": "expired"}
    assert [f.type for f in expired.frames].count("system.reset") == 1
    assert expired.markers == ["live"]  # from now on, not the retained "recent" one
    assert json.loads(foreign.frames[0].text)["data"] == {"reason": "unknown"}
    assert foreign.markers == ["live"]
    assert valid.markers == ["recent", "live"]
    assert all(f.type != "system.reset" for f in valid.frames)


async def test_one_pruner_at_a_time(
    db_url: str, raw: asyncpg.Connection, make_realtime: MakeRealtime
) -> None:
    await insert(raw, "old", users=[1], days_ago=40)
    rt = await make_realtime(retention_days=30)
    other = await asyncpg.connect(db_url)
    try:
        await other.execute("SELECT pg_advisory_lock(1735091307, 1)")
        assert await rt.pruner.prune_once() is None  # another instance is pruning
        await other.execute("SELECT pg_advisory_unlock(1735091307, 1)")
        assert await rt.pruner.prune_once() == 1
        assert await rt.pruner.prune_once() == 0
    finally:
        await other.close()


async def test_a_client_that_never_reads_delays_nobody(
    db_url: str, make_realtime: MakeRealtime, capsys: pytest.CaptureFixture[str]
) -> None:
    rt = await make_realtime(queue_size=100)
    stuck = rt.stream(Audience(7, frozenset({"auditor"})), None, transport="test")
    await stuck.__aenter__()  # subscribed, and never reads
    readers = [
        await connect(rt, Client(f"reader{i}", Audience(100 + i, frozenset({"auditor"}))))
        for i in range(3)
    ]
    started = datetime.now(UTC)
    log = await write_events(db_url, total=1000, writers=4, max_delay=0.0, after_commit=rt.wake)
    await wait_until(lambda: all(len(c.markers) == 1000 for c in readers), within=10)
    took = (datetime.now(UTC) - started).total_seconds()
    reset = await stuck.next(0)
    for c in readers:
        await disconnect(c)
    problems = [count_problems(log.markers, c.markers) for c in readers]
    with capsys.disabled():
        print(
            f"\n[never reads] sent 1000 events; 3 readers got them all in {took:.1f}s, "
            f"lost/duplicated {problems}; the stuck client got "
            f"{reset.type if reset else None} and was closed"
        )
    assert problems == [(0, 0)] * 3
    assert reset is not None
    assert reset.type == "system.reset"
    assert reset.terminal
    assert stuck.closed
    assert len(rt.hub) == 0
