"""The outbox adapter: realtime's EventSource over asyncpg (reads, LISTEN, NOTIFY, pruning)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from godkend.domain.errors import DatabaseUnavailable
from godkend.realtime.cursor import Cursor
from godkend.realtime.ports import (
    CHANNEL,
    Audience,
    CursorState,
    HorizonHolder,
    OutboxRow,
    Scan,
)
from godkend.store import queries
from godkend.store.db import PgDatabase, connect_raw, translate

# A read that takes longer than this means the connection is dead or the server is stuck.
STATEMENT_TIMEOUT = 10.0
CONNECT_TIMEOUT = 10.0


async def _run(conn: asyncpg.Connection, name: str, **params: Any) -> list[asyncpg.Record]:
    q = queries.get(name)
    try:
        return list(await conn.fetch(q.sql, *q.args(params), timeout=STATEMENT_TIMEOUT))
    except asyncpg.PostgresError as e:
        raise translate(e) from e
    except (OSError, asyncpg.InterfaceError, TimeoutError) as e:
        raise DatabaseUnavailable(f"outbox connection failed: {e!r}") from e


def _scan(records: Sequence[asyncpg.Record], after: Cursor, *, limit: int) -> Scan:
    """Turn one scan statement's rows (always at least one, for the horizon) into a Scan."""
    head = records[0]
    horizon, pruned = int(head["horizon"]), Cursor(int(head["pruned_tx"]), int(head["pruned_id"]))
    state = CursorState.VALID
    if after < pruned:
        state = CursorState.EXPIRED
    elif after > Cursor.mark(horizon):
        # Nothing godkend hands out is ahead of the horizon: not a cursor of this database.
        state = CursorState.UNKNOWN
    scanned = [r for r in records if r["id"] is not None]
    rows = tuple(_row(r) for r in scanned if r["allowed"])
    if len(scanned) >= limit:
        last = scanned[-1]
        return Scan(rows, Cursor(int(last["tx"]), int(last["id"])), False, state, pruned)
    # Every row below the horizon is read: the mark is a safe place to resume from.
    held_back = bool(head.get("held_back"))
    return Scan(rows, max(after, Cursor.mark(horizon)), True, state, pruned, held_back)


def _row(r: asyncpg.Record) -> OutboxRow:
    return OutboxRow(
        cursor=Cursor(int(r["tx"]), int(r["id"])),
        type=r["type"],
        payload=r["payload"],
        audience_users=frozenset(r["audience_users"] or ()),
        audience_roles=frozenset(r["audience_roles"] or ()),
        created_at=r["created_at"],
    )


async def _raw(url: str, application_name: str) -> asyncpg.Connection:
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            conn = await connect_raw(url)
    except TimeoutError as e:
        raise DatabaseUnavailable("timed out connecting to the database") from e
    try:
        await _run(conn, "outbox_session_setup", application_name=application_name)
    except BaseException:
        conn.terminate()
        raise
    return conn


class _RawConnection:
    """An unpooled connection of its own; closing it never hangs (terminated after 2 s)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    def is_closed(self) -> bool:
        closed: bool = self._conn.is_closed()
        return closed

    async def close(self) -> None:
        try:
            async with asyncio.timeout(2.0):
                await self._conn.close()
        except (OSError, asyncpg.InterfaceError, asyncpg.PostgresError, TimeoutError):
            self._conn.terminate()


class PgListenConnection(_RawConnection):
    """The listener's own connection: LISTENs on the channel and reads the outbox."""

    async def scan(self, after: Cursor, *, limit: int) -> Scan:
        records = await _run(self._conn, "outbox_scan", tx=after.tx, id=after.id, limit=limit)
        return _scan(records, after, limit=limit)

    async def head(self) -> Cursor:
        records = await _run(self._conn, "outbox_head")
        return Cursor.mark(int(records[0]["horizon"]))

    async def held_back_seconds(self) -> float:
        records = await _run(self._conn, "outbox_held_back")
        return float(records[0]["age"])

    async def horizon_holder(self) -> HorizonHolder | None:
        records = await _run(self._conn, "outbox_horizon_holder")
        if not records:
            return None
        r = records[0]
        return HorizonHolder(
            pid=r["pid"],
            transaction_age=float(r["transaction_age"] or 0.0),
            state=r["state"],
            application_name=r["application_name"],
            database=r["database"],
        )


class PgNotifyConnection(_RawConnection):
    """The notifier's autocommit connection."""

    async def notify(self) -> None:
        await _run(self._conn, "outbox_wakeup")


class PgEventSource:
    """realtime.ports.EventSource on godkend's pool (replay, head, pruning) and raw connections."""

    def __init__(self, db: PgDatabase, *, application_name: str = "godkend") -> None:
        self._db = db
        self._app = application_name

    async def connect_listener(
        self, *, on_wakeup: Callable[[], None], on_lost: Callable[[], None]
    ) -> PgListenConnection:
        conn = await _raw(self._db.url, f"{self._app}-listener")
        try:
            await conn.add_listener(CHANNEL, lambda *_: on_wakeup())
            conn.add_termination_listener(lambda *_: on_lost())
        except (OSError, asyncpg.InterfaceError, asyncpg.PostgresError) as e:
            conn.terminate()
            raise DatabaseUnavailable(f"cannot LISTEN: {e!r}") from e
        return PgListenConnection(conn)

    async def connect_notifier(self) -> PgNotifyConnection:
        return PgNotifyConnection(await _raw(self._db.url, f"{self._app}-notifier"))

    async def scan_for(self, after: Cursor, *, audience: Audience, limit: int) -> Scan:
        params = {"tx": after.tx, "id": after.id, "limit": limit}
        roles = sorted(audience.roles)
        async with self._pooled() as conn:
            records = await _run(
                conn, "outbox_scan_for", user_id=audience.user_id, roles=roles, **params
            )
        return _scan(records, after, limit=limit)

    async def head(self) -> Cursor:
        async with self._pooled() as conn:
            records = await _run(conn, "outbox_head")
        return Cursor.mark(int(records[0]["horizon"]))

    async def prune(self, *, older_than_days: int, batch: int) -> int | None:
        async with self._pooled() as conn:
            cut = await _run(conn, "outbox_prune_cut", days=older_than_days)
            if not cut:
                return 0
            to = Cursor(int(cut[0]["tx"]), int(cut[0]["id"]))
            total = 0
            while True:
                deleted = await self._prune_batch(conn, to, batch)
                if deleted is None:
                    return None if total == 0 else total
                total += deleted
                if deleted < batch:
                    return total

    async def _prune_batch(self, conn: asyncpg.Connection, to: Cursor, batch: int) -> int | None:
        try:
            async with conn.transaction():
                locked = await _run(conn, "outbox_prune_lock")
                if not locked[0]["locked"]:
                    return None
                done = await _run(conn, "outbox_prune_batch", tx=to.tx, id=to.id, limit=batch)
                return int(done[0]["deleted"])
        except asyncpg.PostgresError as e:
            raise translate(e) from e

    @asynccontextmanager
    async def _pooled(self) -> AsyncIterator[asyncpg.Connection]:
        pool = self._db.pool
        try:
            conn = await pool.acquire(timeout=CONNECT_TIMEOUT)
        except (OSError, asyncpg.InterfaceError, asyncpg.PostgresError, TimeoutError) as e:
            raise DatabaseUnavailable(f"database unavailable: {e!r}") from e
        try:
            yield conn
        finally:
            await pool.release(conn)
