"""Faults: the listener's connection killed, PostgreSQL restarted; nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from godkend.realtime.ports import Audience
from godkend.realtime.runtime import Realtime
from godkend.store import embedded
from godkend.store.db import PgDatabase
from godkend.store.migrations import migrate_async
from godkend.store.outbox import PgEventSource
from tests.integration.realtime.conftest import MakeRealtime
from tests.integration.realtime.streams import Client, connect, disconnect, wait_until
from tests.integration.realtime.writers import WriteLog, count_problems, write_events


def alternate(n: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Half the transactions concern user 1, half user 2; the auditor sees all."""
    return ((1,) if n % 2 else (2,)), ("auditor",)


def clients() -> list[Client]:
    return [
        Client("auditor", Audience(99, frozenset({"auditor"}))),
        Client("user1", Audience(1, frozenset({"employee"}))),
        Client("user2", Audience(2, frozenset({"employee"}))),
    ]


def report(
    capsys: pytest.CaptureFixture[str], title: str, log: WriteLog, readers: list[Client]
) -> list[tuple[int, int]]:
    problems = []
    lines = [f"\n[{title}] sent {len(log.markers)} events"]
    for c in readers:
        expected = log.visible_to(c.audience.user_id, c.audience.roles)
        lost, duplicated = count_problems(expected, c.markers)
        problems.append((lost, duplicated))
        lines.append(
            f"  {c.name}: expected {len(expected)}, received {len(c.markers)}, "
            f"lost {lost}, duplicated {duplicated}"
        )
    with capsys.disabled():
        print("\n".join(lines))
    return problems


async def kill_listener(url: str, times: int, every: float) -> int:
    killed = 0
    conn = await asyncpg.connect(url)
    try:
        for _ in range(times):
            await asyncio.sleep(every)
            killed += await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'godkend-listener' AND datname = current_database()"
            )
    finally:
        await conn.close()
    return killed


def expected_all(readers: list[Client], log: WriteLog) -> bool:
    return all(
        len(c.markers) >= len(log.visible_to(c.audience.user_id, c.audience.roles)) for c in readers
    )


async def test_killing_the_listener_connection_loses_and_repeats_nothing(
    db_url: str, make_realtime: MakeRealtime, capsys: pytest.CaptureFixture[str]
) -> None:
    rt = await make_realtime()
    readers = [await connect(rt, c) for c in clients()]
    killer = asyncio.create_task(kill_listener(db_url, times=6, every=0.25))
    log = await write_events(db_url, total=1500, writers=4, max_delay=0.01, audience=alternate)
    killed = await killer
    await wait_until(lambda: expected_all(readers, log), within=15)
    await asyncio.sleep(0.3)
    problems = report(capsys, f"listener killed {killed}x", log, readers)
    for c in readers:
        await disconnect(c)
    reconnects = rt.listener.reconnects
    assert killed >= 5
    assert reconnects >= 5
    assert problems == [(0, 0)] * len(readers)


@pytest.fixture
def child_server_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="gk-rt-"))
    try:
        yield folder / "data"
    finally:
        embedded.destroy(folder / "data")


async def test_postgres_restart_loses_and_repeats_nothing(
    child_server_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Entered on this (the main) thread: the server dies with the thread that started it.
    server = embedded.ChildServer(child_server_dir).__enter__()
    url = server.info.url
    await migrate_async(url)
    pg = await PgDatabase.connect(url, min_size=1, max_size=4)
    rt = Realtime(PgEventSource(pg), poll_interval=0.2)
    try:
        await rt.start()
        readers = [await connect(rt, c) for c in clients()]
        before = await write_events(url, total=400, writers=4, max_delay=0.01, audience=alternate)
        server.close()  # fast shutdown: every connection, the listener's too, is cut
        await asyncio.sleep(0.5)
        assert not rt.ready
        server = embedded.ChildServer(child_server_dir).__enter__()
        assert server.info.url == url  # the same port again
        after = await write_events(
            url, total=400, writers=4, max_delay=0.01, audience=alternate, tag="b", seed=8
        )
        log = WriteLog(before.transactions + after.transactions)
        await wait_until(lambda: expected_all(readers, log), within=20)
        await asyncio.sleep(0.3)
        problems = report(capsys, "PostgreSQL restarted", log, readers)
        assert rt.ready
        assert rt.listener.reconnects >= 1
        for c in readers:
            await disconnect(c)
        assert problems == [(0, 0)] * len(readers)
    finally:
        await rt.stop()
        await pg.close()
        server.close()
