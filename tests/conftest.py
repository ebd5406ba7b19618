"""Real PostgreSQL for the tests: one migrated template database, a fresh clone per test."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from godkend.store.migrations import migrate
from tests.databases import admin_execute, cloned_database, demo_database, with_database


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A superuser URL: GODKEND_TEST_DATABASE_URL, else an embedded server for this session."""
    external = os.environ.get("GODKEND_TEST_DATABASE_URL")
    if external:
        yield external
        return
    from godkend.store.embedded import ChildServer

    kept = os.environ.get("GODKEND_TEST_DATA_DIR")
    data_dir = Path(kept or tempfile.mkdtemp(prefix="godkend-test-"))
    with ChildServer(data_dir) as server:
        yield server.info.url
    if not kept:  # a throwaway cluster: remove it, here and under /var/lib/godkend when root
        from godkend.store.embedded import destroy

        destroy(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def template_db(pg_admin_url: str) -> Iterator[str]:
    """A migrated database that tests clone (CREATE DATABASE ... TEMPLATE)."""
    name = f"godkend_tmpl_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(admin_execute(pg_admin_url, f'CREATE DATABASE "{name}"'))
    migrate(with_database(pg_admin_url, name))
    yield name
    asyncio.run(admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def db_url(pg_admin_url: str, template_db: str) -> AsyncIterator[str]:
    """A fresh, migrated database for one test."""
    async with cloned_database(pg_admin_url, template_db) as url:
        yield url


@pytest.fixture
async def empty_db_url(pg_admin_url: str) -> AsyncIterator[str]:
    """A database with nothing in it, not even the migrated schema."""
    async with cloned_database(pg_admin_url, "template0", prefix="godkend_empty") as url:
        yield url


@pytest.fixture(scope="session")
async def demo_template(pg_admin_url: str, template_db: str) -> AsyncIterator[str]:
    """The name of a migrated database with the demo loaded, for tests to clone."""
    async with demo_database(pg_admin_url, template_db) as url:
        yield url.rpartition("/")[2].partition("?")[0]


@pytest.fixture
async def demo_db_url(pg_admin_url: str, demo_template: str) -> AsyncIterator[str]:
    """A fresh database for one test, with the demo loaded."""
    async with cloned_database(pg_admin_url, demo_template) as url:
        yield url
