"""`godkend listen`: a real process printing events as JSON lines, resumable with --after."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import asyncpg

from tests.e2e.realtime.conftest import GODKEND


async def publish(url: str, kinds: list[str]) -> None:
    conn = await asyncpg.connect(url)
    try:
        for n, kind in enumerate(kinds):
            await conn.execute(
                "SELECT godkend_publish($1, NULL, $2::jsonb)", kind, json.dumps({"data": {"n": n}})
            )
    finally:
        await conn.close()


async def listen(url: str, tmp_path: Path, *args: str, count: int) -> list[dict[str, object]]:
    """Run `godkend listen ARGS` until it has printed `count` lines (or 20 s), then stop it."""
    env = {**os.environ, "GODKEND_DATABASE_URL": url, "GODKEND_DATA_DIR": str(tmp_path)}
    process = await asyncio.create_subprocess_exec(
        GODKEND, "listen", *args, env=env, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    lines: list[dict[str, object]] = []
    try:
        async with asyncio.timeout(20):
            while len(lines) < count:
                lines.append(json.loads(await process.stdout.readline()))
    finally:
        process.send_signal(signal.SIGINT)
        await process.wait()
    return lines


async def test_listen_prints_json_lines_and_resumes_from_the_last_id(
    db_url: str, tmp_path: Path
) -> None:
    await publish(db_url, ["request.reminder", "request.escalated"] * 3)
    first = await listen(db_url, tmp_path, "--after", "0:0", count=6)
    assert [e["data"] for e in first] == [{"n": n} for n in range(6)]
    await publish(db_url, ["request.reminder"] * 2)
    rest = await listen(db_url, tmp_path, "--after", str(first[3]["id"]), count=4)
    assert [e["id"] for e in rest[:2]] == [e["id"] for e in first[4:]]
    assert len({e["id"] for e in first + rest}) == 8
    only = await listen(db_url, tmp_path, "--after", "0:0", "--type", "request.escalated", count=3)
    assert {e["type"] for e in only} == {"request.escalated"}
