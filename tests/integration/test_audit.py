"""The audit log is tamper-evident: editing or deleting an entry shows in the history."""

from __future__ import annotations

import asyncpg

from tests.integration.clients import ClientFactory, decide, history, login, submit


async def _decided_request(client_factory: ClientFactory) -> tuple[int, int]:
    """Anna's request with four entries (submit, comment, return, resubmit), and a second one."""
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    rid = (await submit(anna))["id"]
    await bo.post(f"/api/v1/requests/{rid}/comments", json={"body": "Hvilken uge?"})
    await decide(bo, rid, "return", comment="Angiv uge")
    await anna.post(f"/api/v1/requests/{rid}/resubmit", json={})
    other = (await submit(anna, title="Anden ferie"))["id"]
    return rid, other


async def test_editing_an_entry_unverifies_it_and_everything_after(
    client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    rid, other = await _decided_request(client_factory)
    anna = await login(client_factory, "anna")
    entries = await history(anna, rid)
    assert len(entries) == 4
    assert all(e["verified"] for e in entries)

    await db.execute(
        """UPDATE audit_log SET data = jsonb_set(data, '{status}', '"approved"') WHERE id = $1""",
        entries[1]["id"],
    )
    after = await history(anna, rid)
    assert [e["verified"] for e in after] == [True, False, False, False]
    assert after[1]["data"]["status"] == "approved"  # shown as stored, flagged as unverified
    assert all(e["verified"] for e in await history(anna, other))


async def test_deleting_an_entry_breaks_the_chain(
    client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    rid, _ = await _decided_request(client_factory)
    anna = await login(client_factory, "anna")
    entries = await history(anna, rid)
    # Deleting an entry: the next one no longer links to its predecessor.
    await db.execute("DELETE FROM audit_log WHERE id = $1", entries[2]["id"])
    after = await history(anna, rid)
    assert [e["verified"] for e in after] == [True, True, False]


async def test_changing_the_actor_is_detected(
    client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    rid, _ = await _decided_request(client_factory)
    anna = await login(client_factory, "anna")
    entries = await history(anna, rid)
    carl = await db.fetchval("SELECT id FROM users WHERE username = 'carl'")
    await db.execute("UPDATE audit_log SET actor_id = $1 WHERE id = $2", carl, entries[2]["id"])
    after = await history(anna, rid)
    assert after[2]["actor"]["name"] == "Carl Mortensen"
    assert [e["verified"] for e in after] == [True, True, False, False]


async def test_an_approval_comment_is_in_the_history(client_factory: ClientFactory) -> None:
    anna, bo = await login(client_factory, "anna"), await login(client_factory, "bo")
    request = await submit(anna)
    await decide(bo, request["id"], "approve", comment="God ferie!")
    entries = await history(anna, request["id"])
    assert entries[-1]["action"] == "request.approve"
    assert entries[-1]["data"]["comment"] == "God ferie!"
