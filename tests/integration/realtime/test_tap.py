"""`godkend listen`: JSON lines, resumable from the last line's id, optionally by type."""

from __future__ import annotations

import asyncio
import contextlib
import json

import asyncpg

from godkend.realtime.cursor import parse_cursor
from godkend.realtime.tap import tap
from godkend.store.outbox import PgEventSource
from tests.integration.realtime.streams import wait_until


async def write(conn: asyncpg.Connection, kind: str, n: int) -> None:
    await conn.execute(
        "INSERT INTO events (type, payload) VALUES ($1, $2::jsonb)",
        kind,
        json.dumps({"type": kind, "marker": n}),
    )


async def run_tap(
    source: PgEventSource, after: str | None, types: list[str], lines: list[str]
) -> asyncio.Task[None]:
    cursor = parse_cursor(after) if after else None
    task = asyncio.create_task(tap(source, cursor, types, lines.append, poll_interval=0.1))
    await asyncio.sleep(0.3)  # connected, and past "now"
    return task


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_tap_prints_events_as_json_lines_and_resumes_without_gap_or_repeat(
    raw: asyncpg.Connection, source: PgEventSource
) -> None:
    await write(raw, "request.submitted", -1)  # before the tap: "from now" leaves it out
    first: list[str] = []
    task = await run_tap(source, None, [], first)
    for n in range(10):
        await write(raw, "request.submitted" if n % 2 else "request.approved", n)
    await wait_until(lambda: len(first) == 10, within=5)
    await stop(task)
    resume_from = json.loads(first[4])["id"]
    for n in range(10, 15):
        await write(raw, "request.approved", n)
    second: list[str] = []
    task = await run_tap(source, resume_from, [], second)
    await wait_until(lambda: len(second) == 10, within=5)
    await stop(task)
    markers = [json.loads(line)["marker"] for line in first[:5] + second]
    assert markers == list(range(15))
    only: list[str] = []
    task = await run_tap(source, "0:0", ["request.approved"], only)
    await wait_until(lambda: len(only) == 10, within=5)
    await stop(task)
    assert {json.loads(line)["type"] for line in only} == {"request.approved"}
