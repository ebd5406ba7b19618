"""PostgreSQL restarted under a running instance: its streams stay open and miss nothing."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from godkend.services.context import Services
from godkend.services.demo import load_demo
from godkend.store import embedded
from godkend.store.db import PgDatabase
from godkend.store.migrations import migrate_async
from tests.e2e.realtime.conftest import Launcher
from tests.integration.realtime.actions import expected_ids, head, submit
from tests.integration.realtime.live import User, login
from tests.integration.realtime.streams import wait_until
from tests.integration.realtime.transports import EventClient


@pytest.fixture
def server_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="gk-rt-restart-"))
    try:
        yield folder
    finally:
        embedded.destroy(folder / "pg")


async def submit_retrying(user: User, title: str) -> None:
    """The first request after the restart may meet a pooled connection that died with it."""
    for _ in range(20):
        try:
            await submit(user, title)
            return
        except (AssertionError, httpx.HTTPError):
            await asyncio.sleep(0.25)
    await submit(user, title)


async def test_streams_survive_a_postgres_restart_without_loss_or_repeat(
    server_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Entered on this (the main) thread: the server dies with the thread that started it.
    server = embedded.ChildServer(server_dir / "pg").__enter__()
    url = server.info.url
    launcher = Launcher(url, server_dir)
    try:
        await migrate_async(url)
        db = await PgDatabase.connect(url, min_size=1, max_size=2)
        await load_demo(Services(db=db))
        await db.close()
        (instance,) = await launcher.launch(1)
        anna, dorte = (
            await login(instance.base_url, "anna"),
            await login(instance.base_url, "dorte"),
        )
        start = await head(dorte)
        streams = [
            await EventClient(
                kind,
                instance.base_url,
                headers=dorte.headers,
                name=f"dorte/{kind}",
                fallbacks=[instance.base_url],  # retry the same instance
            ).start(start)
            for kind in ("ws", "sse", "longpoll")
        ]
        for n in range(3):
            await submit(anna, f"Før {n}")
        server.close()  # every connection is cut: pool, listener, notifier
        await asyncio.sleep(1.0)
        async with httpx.AsyncClient(base_url=instance.base_url) as client:
            not_ready = (await client.get("/readyz")).status_code
        server = embedded.ChildServer(server_dir / "pg").__enter__()
        for n in range(3):
            await submit_retrying(anna, f"Efter {n}")
        conn = await asyncpg.connect(url)
        try:
            expected = await expected_ids(conn, dorte, start)
        finally:
            await conn.close()
        await wait_until(lambda: all(s.ids == expected for s in streams), within=30)
        for s in streams:
            await s.stop()
        with capsys.disabled():
            print(
                f"\n[PostgreSQL restarted under a godkend serve; /readyz meanwhile {not_ready}]\n  "
                + "\n  ".join(
                    f"{s.name}: expected {len(expected)}, received {len(s.ids)}, lost "
                    f"{len(set(expected) - set(s.ids))}, duplicated "
                    f"{len(s.ids) - len(set(s.ids))}, reconnects {s.reconnects}"
                    for s in streams
                )
            )
        assert not_ready == 503
        for s in streams:
            assert s.ids == expected, s.name
    finally:
        launcher.stop_all()
        server.close()
