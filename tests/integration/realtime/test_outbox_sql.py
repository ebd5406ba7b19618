"""The outbox in SQL: godkend_publish(), wake-ups, the horizon stall, the idle-transaction bound."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import asyncpg
import pytest

from godkend.realtime import metrics
from godkend.realtime.cursor import Cursor, parse_cursor
from godkend.realtime.listener import Listener
from godkend.realtime.notifier import Notifier
from godkend.realtime.ports import CHANNEL, OutboxRow, Scan
from godkend.store.outbox import PgEventSource
from tests.integration.realtime.streams import wait_until

SEED = """
INSERT INTO org_units (key, name) VALUES ('kontor', 'Kontor');
INSERT INTO users (username, name, email, org_unit_id)
SELECT u, initcap(u), u || '@example.org', 1 FROM unnest(ARRAY['anna', 'bo', 'carl', 'eva']) u;
INSERT INTO workflow_versions (key, version, definition, source, digest)
VALUES ('ferie', 1, '{"key": "ferie", "visible_to_roles": ["hr"]}', '', 'x');
INSERT INTO requests (reference_number, workflow_version_id, title, fields, status, requester_id,
                      org_unit_id, state)
VALUES ('GK-2026-000001', 1, 'Sommerferie', '{}', 'pending', 1, 1, '{}');
-- bo is a substitute deciding on behalf of carl
INSERT INTO assignments (request_id, step, user_id, on_behalf_of) VALUES (1, 0, 2, 3);
"""


async def test_godkend_publish_computes_the_audience_and_wakes_listeners(
    raw: asyncpg.Connection, db_url: str
) -> None:
    await raw.execute(SEED)
    woken: list[str] = []
    listening = await asyncpg.connect(db_url)
    await listening.add_listener(CHANNEL, lambda *args: woken.append(args[3]))
    try:
        cursor = await raw.fetchval(
            "SELECT godkend_publish('request.reminder', 1, $1::jsonb)",
            json.dumps({"data": {"days": 2}, "request": {"id": 666}, "type": "x.y"}),
        )
        await wait_until(lambda: bool(woken), within=5)
    finally:
        await listening.close()
    row = await raw.fetchrow("SELECT * FROM events")
    assert parse_cursor(cursor) == Cursor(int(row["tx"]), row["id"])
    assert sorted(row["audience_users"]) == [1, 2, 3]  # requester, substitute, the one replaced
    assert sorted(row["audience_roles"]) == ["auditor", "hr"]
    payload: dict[str, Any] = json.loads(row["payload"])
    assert payload["type"] == "request.reminder"
    assert payload["data"] == {"days": 2}
    assert payload["request"] == {
        "id": 1,
        "reference_number": "GK-2026-000001",
        "title": "Sommerferie",
        "workflow": "ferie",
        "status": "pending",
    }
    assert woken == [""]  # the payload is not the event


@pytest.mark.parametrize(
    ("type_", "request_id", "payload", "error"),
    [
        ("system.reset", None, "{}", "reserved"),
        ("Not A Type", None, "{}", "not an event type"),
        ("request.reminder", 12345, "{}", "no request"),
        ("request.reminder", None, "[1]", "JSON object"),
    ],
)
async def test_godkend_publish_refuses_what_it_cannot_vouch_for(
    raw: asyncpg.Connection, type_: str, request_id: int | None, payload: str, error: str
) -> None:
    with pytest.raises(asyncpg.PostgresError, match=error):
        await raw.fetchval("SELECT godkend_publish($1, $2, $3::jsonb)", type_, request_id, payload)
    assert await raw.fetchval("SELECT count(*) FROM events") == 0


async def test_wakeups_are_coalesced_and_never_raise(db_url: str, source: PgEventSource) -> None:
    woken: list[int] = []
    listening = await asyncpg.connect(db_url)
    await listening.add_listener(CHANNEL, lambda *args: woken.append(1))
    notifier = Notifier(source)
    try:
        for _ in range(500):
            notifier.wake()  # a burst of commits
        await wait_until(lambda: notifier.sent >= 1 and not notifier._pending, within=5)
        await asyncio.sleep(0.2)
    finally:
        await notifier.close()
        await listening.close()
    assert 1 <= notifier.sent <= 3
    assert len(woken) == notifier.sent


async def test_a_long_transaction_holding_the_horizon_is_logged_with_its_pid_and_age(
    raw: asyncpg.Connection,
    db_url: str,
    source: PgEventSource,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rows: list[OutboxRow] = []

    def deliver(scan: Scan) -> None:
        rows.extend(scan.rows)

    listener = Listener(source, deliver, poll_interval=0.1, stall_warn_seconds=0.5)
    task = asyncio.create_task(listener.run())
    await listener.wait_connected(5)
    holder = await asyncpg.connect(db_url)
    insert = "INSERT INTO events (type, payload) VALUES ('test.event', '{}')"
    try:
        holder_tx = holder.transaction()
        await holder_tx.start()
        await holder.execute(insert)  # takes a transaction id and keeps it, idle
        pid = holder.get_server_pid()
        await raw.execute(insert)  # committed, but behind the open transaction
        with caplog.at_level(logging.WARNING, logger="godkend.realtime.listener"):
            await wait_until(lambda: "held back" in caplog.text, within=5)
        assert rows == []  # nothing delivered past the horizon
        assert metrics.HORIZON_STALL._value.get() >= 0.5
        assert f"by pid {pid}" in caplog.text
        assert "transaction open" in caplog.text
        await holder_tx.commit()
        await wait_until(lambda: len(rows) == 2, within=5)
        # The horizon is re-checked once per poll interval: the stall clears at the next check.
        cleared = await wait_until(lambda: listener.stall_seconds < 0.5, within=5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await holder.close()
    assert rows[0].cursor < rows[1].cursor
    assert cleared


async def test_the_migration_bounds_idle_transactions_for_the_application_role(
    pg_admin_url: str, template_db: str
) -> None:
    conn = await asyncpg.connect(pg_admin_url)
    try:
        settings = await conn.fetchval(
            "SELECT s.setconfig FROM pg_db_role_setting s "
            "JOIN pg_database d ON d.oid = s.setdatabase "
            "WHERE d.datname = $1 "
            "AND s.setrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)",
            template_db,
        )
    finally:
        await conn.close()
    assert "idle_in_transaction_session_timeout=30s" in settings


async def test_events_held_back_by_a_transaction_without_events_arrive_soon_after_it_ends(
    raw: asyncpg.Connection, db_url: str, source: PgEventSource
) -> None:
    """A transaction that wrote no events (a login, say) sends no wake-up when it ends; the
    listener, which saw committed events held back behind it, looks again within
    milliseconds instead of waiting for its next poll."""
    rows: list[OutboxRow] = []
    listener = Listener(source, lambda scan: rows.extend(scan.rows), poll_interval=10.0)
    task = asyncio.create_task(listener.run())
    await listener.wait_connected(5)
    blocker = await asyncpg.connect(db_url)
    try:
        block = blocker.transaction()
        await block.start()
        await blocker.execute("SELECT pg_current_xact_id()")  # holds an id: the horizon waits
        await raw.execute("INSERT INTO events (type, payload) VALUES ('test.event', '{}')")
        listener.poke()  # the event's wake-up: read, but it is held back
        await asyncio.sleep(0.2)
        assert rows == []
        await block.commit()  # no events, no wake-up
        started = time.monotonic()
        arrived = await wait_until(lambda: len(rows) == 1, within=5)
        waited = time.monotonic() - started
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await blocker.close()
    assert arrived
    assert waited < 1.0  # the retries back off from 5 ms; the poll would have taken 10 s
