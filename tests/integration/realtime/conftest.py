"""Fixtures for the real-time tests: the test's database as a pool, an event source, writers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI

from godkend.api.app import create_app
from godkend.config import Settings
from godkend.realtime.runtime import Realtime
from godkend.store.db import PgDatabase
from godkend.store.outbox import PgEventSource
from tests.integration.realtime.live import serving


@pytest.fixture
async def pg(db_url: str) -> AsyncIterator[PgDatabase]:
    """godkend's pool on a fresh migrated database."""
    database = await PgDatabase.connect(db_url, min_size=1, max_size=10)
    yield database
    await database.close()


@pytest.fixture
def source(pg: PgDatabase) -> PgEventSource:
    return PgEventSource(pg)


@pytest.fixture
async def raw(db_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection to write events and inspect the database with."""
    conn = await asyncpg.connect(db_url)
    yield conn
    await conn.close()


@pytest.fixture
async def live_app(demo_db_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    """The app with the demo loaded, its lifespan running, and real-time delivery tuned for tests
    (fast polls and session checks, small queues, short send timeouts)."""
    settings = Settings(data_dir=tmp_path, secret_key="test")
    app = create_app(settings, database_url=demo_db_url)
    async with app.router.lifespan_context(app):
        tune(app.state.realtime)
        yield app


def tune(rt: Realtime) -> None:
    rt.listener.poll_interval = 0.2
    rt.sessions.seconds = 0.5
    rt.sessions.sweep_soon()  # so the new interval counts from now
    rt.send_timeout_seconds = 1.0
    rt.hub.queue_size = 50
    rt.heartbeat_seconds = (0.5, 1.0)


@pytest.fixture
async def base_url(live_app: FastAPI) -> AsyncIterator[str]:
    """A real HTTP server (uvicorn, loopback) for the app."""
    async with serving(live_app) as url:
        yield url


MakeRealtime = Callable[..., Awaitable[Realtime]]


@pytest.fixture
async def make_realtime(source: PgEventSource) -> AsyncIterator[MakeRealtime]:
    """Start Realtime runtimes on the test's database; every one is stopped after the test."""
    started: list[Realtime] = []

    async def make(**options: Any) -> Realtime:
        rt = Realtime(source, **{"poll_interval": 0.2, **options})
        await rt.start()
        started.append(rt)
        return rt

    yield make
    for rt in started:
        await rt.stop()
