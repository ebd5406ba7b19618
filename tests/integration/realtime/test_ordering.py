"""Ordering under concurrency: the outbox reader skips nothing a naive `id > last` reader does."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from godkend.realtime.cursor import Cursor
from godkend.realtime.listener import Listener
from godkend.realtime.ports import OutboxRow, Scan
from godkend.store.outbox import PgEventSource
from tests.integration.realtime.streams import wait_until
from tests.integration.realtime.writers import WriteLog, count_problems, marker_of, write_events

TOTAL = 5000
WRITERS = 16


async def naive_reader(url: str, stop: asyncio.Event, into: list[str]) -> None:
    """What the seed did: remember the highest id seen, ask for larger ones."""
    conn = await asyncpg.connect(url)
    try:
        last = 0
        while True:
            stopping = stop.is_set()
            rows = await conn.fetch(
                "SELECT id, payload::text AS p FROM events WHERE id > $1 ORDER BY id LIMIT 1000",
                last,
            )
            for row in rows:
                into.append(row["p"].split('"marker": "')[1].split('"')[0])
                last = row["id"]
            if stopping and not rows:
                return
            await asyncio.sleep(0.005)
    finally:
        await conn.close()


def check_commit_order(log: WriteLog, delivered: list[str]) -> int:
    """Violations of: a transaction whose commit returned before another began comes first."""
    position = {m: i for i, m in enumerate(delivered)}
    order = sorted(log.transactions, key=lambda t: position[t.markers[0]])
    violations = 0
    earliest_later_commit = float("inf")
    for t in reversed(order):
        if earliest_later_commit < t.began:
            violations += 1
        earliest_later_commit = min(earliest_later_commit, t.committed)
    return violations


async def test_reader_delivers_each_event_once_in_commit_order_where_naive_reader_skips(
    db_url: str, source: PgEventSource, capsys: pytest.CaptureFixture[str]
) -> None:
    rows: list[OutboxRow] = []

    def deliver(scan: Scan) -> None:
        rows.extend(scan.rows)

    listener = Listener(source, deliver, start=Cursor(0, 0), poll_interval=0.2)
    listening = asyncio.create_task(listener.run())
    naive: list[str] = []
    stop_naive = asyncio.Event()
    naive_task = asyncio.create_task(naive_reader(db_url, stop_naive, naive))
    started = time.monotonic()
    log = await write_events(
        db_url, total=TOTAL, writers=WRITERS, max_delay=0.05, after_commit=listener.poke
    )
    written = time.monotonic() - started
    stop_naive.set()
    await naive_task
    await wait_until(lambda: len(rows) >= TOTAL, within=10)
    await asyncio.sleep(0.3)  # anything extra would show up now
    listening.cancel()
    await asyncio.gather(listening, return_exceptions=True)

    delivered = [marker_of(r.payload) for r in rows]
    lost, duplicated = count_problems(log.markers, delivered)
    naive_lost, naive_duplicated = count_problems(log.markers, naive)
    cursors = [r.cursor for r in rows]
    violations = check_commit_order(log, delivered)
    with capsys.disabled():
        print(
            f"\n[ordering] {len(log.transactions)} transactions, {TOTAL} events by {WRITERS} "
            f"writers in {written:.1f}s | outbox reader: received {len(delivered)}, lost {lost}, "
            f"duplicated {duplicated}, order violations {violations} | naive id>last reader: "
            f"received {len(naive)}, lost {naive_lost}, duplicated {naive_duplicated}"
        )
    assert (lost, duplicated, len(delivered)) == (0, 0, TOTAL)
    assert cursors == sorted(cursors)
    assert len(set(cursors)) == TOTAL
    assert violations == 0
    for w in range(WRITERS):  # each writer's events arrive in the order it wrote them
        mine = [int(m.split(".")[1]) for m in delivered if m.startswith(f"{w}.")]
        assert mine == sorted(mine)
    # The test has teeth: the same run makes the naive reader skip committed rows.
    assert naive_lost > 0
