"""Migrating an empty database gives the schema the code expects (issue 2 point 3)."""

from __future__ import annotations

from importlib import resources

import asyncpg
from alembic.script import ScriptDirectory

from godkend.store.migrations import migrate_async
from godkend.store.queries import all_queries

SCHEMA_SNAPSHOT = """
SELECT c.table_name, c.column_name, c.data_type, c.is_nullable, coalesce(c.column_default, '')
FROM information_schema.columns c WHERE c.table_schema = 'public'
UNION ALL
SELECT 'index', indexname, indexdef, '', '' FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'function', p.proname, pg_get_function_identity_arguments(p.oid), '', ''
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
ORDER BY 1, 2, 3
"""


def _head() -> str:
    scripts = ScriptDirectory(str(resources.files("godkend.store.migrations")))
    head = scripts.get_current_head()
    assert head is not None
    return head


async def test_every_named_query_prepares_on_a_freshly_migrated_database(
    empty_db_url: str,
) -> None:
    await migrate_async(empty_db_url)
    conn = await asyncpg.connect(empty_db_url)
    try:
        failures: dict[str, str] = {}
        for name, query in sorted(all_queries().items()):
            try:
                await conn.prepare(query.sql)
            except asyncpg.PostgresError as e:
                failures[name] = f"{type(e).__name__}: {e}"
        assert failures == {}
        assert len(all_queries()) > 40
        assert await conn.fetchval("SELECT version_num FROM alembic_version") == _head()
    finally:
        await conn.close()


async def test_migrating_twice_changes_nothing(empty_db_url: str) -> None:
    await migrate_async(empty_db_url)
    conn = await asyncpg.connect(empty_db_url)
    try:
        schema = await conn.fetch(SCHEMA_SNAPSHOT)
        roles = await conn.fetch("SELECT * FROM roles ORDER BY key")
        await migrate_async(empty_db_url)
        assert await conn.fetch(SCHEMA_SNAPSHOT) == schema
        assert await conn.fetch("SELECT * FROM roles ORDER BY key") == roles
        assert await conn.fetch("SELECT version_num FROM alembic_version") == [(_head(),)]
    finally:
        await conn.close()
