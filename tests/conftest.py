"""Real PostgreSQL for the tests: one migrated template database, a fresh clone per test."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from godkend.store.migrations import migrate


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


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
    import asyncio

    name = f"godkend_tmpl_{os.getpid()}_{secrets.token_hex(3)}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(pg_admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    migrate(_with_database(pg_admin_url, name))
    yield name
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def db_url(pg_admin_url: str, template_db: str) -> AsyncIterator[str]:
    """A fresh, migrated database for one test."""
    name = f"godkend_t_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(pg_admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    finally:
        await conn.close()
    yield _with_database(pg_admin_url, name)
    conn = await asyncpg.connect(pg_admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
