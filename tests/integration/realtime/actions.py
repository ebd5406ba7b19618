"""Actions over the HTTP API as demo users, and the events each user should get for them."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.integration.realtime.live import API, User

FERIE = {"from": "2026-07-06", "to": "2026-07-17"}


async def submit(user: User, title: str) -> dict[str, Any]:
    async with user.client() as client:
        response = await client.post(
            f"{API}/requests", json={"workflow": "ferie", "title": title, "fields": FERIE}
        )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def decide(user: User, request: dict[str, Any], decision: str) -> None:
    async with user.client() as client:
        response = await client.post(
            f"{API}/requests/{request['id']}/decisions",
            json={"decision": decision, "comment": "Begrundelse", "version": request["version"]},
        )
    assert response.status_code == 200, response.text


async def head(user: User) -> str:
    async with user.client() as client:
        response = await client.get(f"{API}/events/head")
    assert response.status_code == 200, response.text
    cursor: str = response.json()["cursor"]
    return cursor


async def expected_ids(db: asyncpg.Connection, user: User, after: str) -> list[str]:
    """The events after `after` that `user` may see, in delivery order, from the outbox itself."""
    async with user.client() as client:
        me = (await client.get(f"{API}/me")).json()
    tx, _, id_ = after.partition(":")
    rows = await db.fetch(
        "SELECT tx::text || ':' || id AS cursor FROM events "
        "WHERE (tx, id) > ($1::text::xid8, $2::bigint) "
        "AND (audience_users @> ARRAY[$3::bigint] OR audience_roles && $4::text[]) "
        "ORDER BY tx, id",
        tx,
        int(id_),
        me["id"],
        me["roles"],
    )
    return [r["cursor"] for r in rows]


async def requests_of(db: asyncpg.Connection, username: str) -> set[int]:
    rows = await db.fetch(
        "SELECT r.id FROM requests r JOIN users u ON u.id = r.requester_id WHERE u.username = $1",
        username,
    )
    return {r["id"] for r in rows}
