"""The asyncpg pool and the sessions that run named SQL; driver errors are translated here."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from godkend.domain.errors import Conflict, DatabaseUnavailable, InvalidInput, NotFound
from godkend.services.ports import Row
from godkend.store import queries


async def _init_connection(conn: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(
            kind, encoder=_dumps, decoder=json.loads, schema="pg_catalog", format="text"
        )


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def translate(error: Exception) -> Exception:
    """Map a driver error to the godkend error a caller can act on."""
    if isinstance(error, asyncpg.UniqueViolationError):
        return Conflict(f"already exists: {error.detail or error.constraint_name}")
    if isinstance(error, asyncpg.ForeignKeyViolationError):
        return NotFound(f"refers to something that does not exist: {error.detail}")
    if isinstance(error, asyncpg.CheckViolationError | asyncpg.DataError):
        return InvalidInput(str(error), field=getattr(error, "column_name", None) or "body")
    if isinstance(error, asyncpg.SerializationError | asyncpg.DeadlockDetectedError):
        return Conflict("a concurrent change won; try again")
    if isinstance(
        error, OSError | asyncpg.CannotConnectNowError | asyncpg.ConnectionDoesNotExistError
    ):
        return DatabaseUnavailable(f"database unavailable: {error}")
    return error


class PgSession:
    """A session over one asyncpg connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def fetch(self, query: str, /, **params: Any) -> list[Row]:
        q = queries.get(query)
        try:
            return list(await self.conn.fetch(q.sql, *q.args(params)))
        except asyncpg.PostgresError as e:
            raise translate(e) from e

    async def fetchrow(self, query: str, /, **params: Any) -> Row | None:
        q = queries.get(query)
        try:
            row: Row | None = await self.conn.fetchrow(q.sql, *q.args(params))
        except asyncpg.PostgresError as e:
            raise translate(e) from e
        return row

    async def fetchval(self, query: str, /, **params: Any) -> Any:
        q = queries.get(query)
        try:
            return await self.conn.fetchval(q.sql, *q.args(params))
        except asyncpg.PostgresError as e:
            raise translate(e) from e

    async def execute(self, query: str, /, **params: Any) -> None:
        q = queries.get(query)
        try:
            await self.conn.execute(q.sql, *q.args(params))
        except asyncpg.PostgresError as e:
            raise translate(e) from e


class PgDatabase:
    """The application's pool; `transaction()` opens one transaction on one connection."""

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self.pool = pool
        self.url = url

    @classmethod
    async def connect(cls, url: str, *, min_size: int = 2, max_size: int = 10) -> PgDatabase:
        try:
            pool = await asyncpg.create_pool(
                url, min_size=min_size, max_size=max_size, init=_init_connection
            )
        except (OSError, asyncpg.PostgresError) as e:
            raise DatabaseUnavailable(f"cannot connect to the database: {e}") from e
        return cls(pool, url)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[PgSession]:
        async with self.pool.acquire() as conn:
            yield PgSession(conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgSession]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield PgSession(conn)


async def connect_raw(url: str) -> asyncpg.Connection:
    """One unpooled connection (the listener's and the notifier's), with godkend's codecs."""
    try:
        conn: asyncpg.Connection = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError) as e:
        raise DatabaseUnavailable(f"cannot connect to the database: {e}") from e
    await _init_connection(conn)
    return conn
