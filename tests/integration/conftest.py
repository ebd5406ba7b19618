"""Fixtures for the core service's integration tests: the app on a demo database, and clients.

The demo database per test (`demo_db_url`) comes from tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from godkend.api.app import create_app
from godkend.config import Settings
from tests.integration.clients import BASE_URL, ClientFactory


@asynccontextmanager
async def running_app(database_url: str, data_dir: Path) -> AsyncIterator[FastAPI]:
    """The app on `database_url`, with its lifespan (pool, realtime) running."""
    settings = Settings(data_dir=data_dir, secret_key="test")
    application = create_app(settings, database_url=database_url)
    async with application.router.lifespan_context(application):
        yield application


def asgi_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL, timeout=30)


@pytest.fixture
async def db(demo_db_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A raw connection to the test's database, to check what was (not) written."""
    conn = await asyncpg.connect(demo_db_url)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def app(demo_db_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    """The app on the test's database, with its lifespan (pool, realtime) running."""
    async with running_app(demo_db_url, tmp_path) as application:
        yield application


@pytest.fixture
async def client_factory(app: FastAPI) -> AsyncIterator[ClientFactory]:
    """Makes clients of the app, each with its own cookie jar (one per user)."""
    made: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        made.append(asgi_client(app))
        return made[-1]

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def app_client(client_factory: ClientFactory) -> httpx.AsyncClient:
    """An anonymous client."""
    return client_factory()
