"""Fixtures for the core service's integration tests: a demo database per test, the app, clients.

Loading the demo hashes ~15 argon2 passwords (about 2 s), so it happens once per session into a
template database that every test clones (CREATE DATABASE ... TEMPLATE, ~30 ms).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from godkend.api.app import create_app
from godkend.config import Settings
from godkend.services.context import Services
from godkend.services.demo import load_demo
from godkend.store.db import PgDatabase
from tests.integration.clients import BASE_URL, ClientFactory


def with_database(url: str, name: str) -> str:
    head, _, _ = url.rpartition("/")
    query = url.partition("?")[2]
    return f"{head}/{name}" + (f"?{query}" if query else "")


async def _admin(pg_admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(pg_admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def cloned_database(pg_admin_url: str, template: str) -> AsyncIterator[str]:
    """The URL of a new database copied from `template`, dropped on exit."""
    name = f"godkend_it_{secrets.token_hex(6)}"
    await _admin(pg_admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield with_database(pg_admin_url, name)
    finally:
        await _admin(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def running_app(database_url: str, data_dir: Path) -> AsyncIterator[FastAPI]:
    """The app on `database_url`, with its lifespan (pool, realtime) running."""
    settings = Settings(data_dir=data_dir, secret_key="test")
    application = create_app(settings, database_url=database_url)
    async with application.router.lifespan_context(application):
        yield application


def asgi_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL, timeout=30)


@pytest.fixture(scope="session")
async def demo_template(pg_admin_url: str, template_db: str) -> AsyncIterator[str]:
    """A migrated database with the demo organisation and built-in workflows loaded."""
    name = f"godkend_demo_{secrets.token_hex(4)}"
    await _admin(pg_admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    try:
        db = await PgDatabase.connect(with_database(pg_admin_url, name), min_size=1, max_size=2)
        try:
            await load_demo(Services(db=db))
        finally:
            await db.close()
        yield name
    finally:
        await _admin(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def demo_db_url(pg_admin_url: str, demo_template: str) -> AsyncIterator[str]:
    """A fresh database for one test, with the demo loaded."""
    async with cloned_database(pg_admin_url, demo_template) as url:
        yield url


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
