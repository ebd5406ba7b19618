"""Test databases on the superuser URL: URLs for a database name, clones of templates, the demo."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from godkend.services.context import Services
from godkend.services.demo import load_demo
from godkend.store.db import PgDatabase


def with_database(url: str, name: str) -> str:
    """`url` pointing at database `name` (keeping any query string)."""
    head, _, _ = url.rpartition("/")
    query = url.partition("?")[2]
    return f"{head}/{name}" + (f"?{query}" if query else "")


async def admin_execute(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def cloned_database(
    admin_url: str, template: str, *, prefix: str = "godkend_t"
) -> AsyncIterator[str]:
    """The URL of a new database copied from `template` (~30 ms), dropped on exit.

    `template0` gives an empty database, without even the migrated schema.
    """
    name = f"{prefix}_{secrets.token_hex(6)}"
    await admin_execute(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield with_database(admin_url, name)
    finally:
        await admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def demo_database(admin_url: str, template: str) -> AsyncIterator[str]:
    """A clone of the migrated `template` with the demo organisation and workflows loaded.

    Loading hashes ~15 argon2 passwords (about 2 s), so sessions load it once into a template
    that each test clones.
    """
    async with cloned_database(admin_url, template, prefix="godkend_demo") as url:
        db = await PgDatabase.connect(url, min_size=1, max_size=2)
        try:
            await load_demo(Services(db=db))
        finally:
            await db.close()
        yield url
