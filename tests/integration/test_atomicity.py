"""Atomic actions (DESIGN §3.1): state, audit entries and outbox events commit together or not."""

from __future__ import annotations

import json

import asyncpg
import httpx
from fastapi import FastAPI

from tests.integration.clients import (
    API,
    BASE_URL,
    ClientFactory,
    counts,
    decide,
    get,
    login,
    submit,
)

FAIL_ON_APPROVED = """
CREATE FUNCTION test_fail_approved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.type = 'request.approved' THEN RAISE EXCEPTION 'the outbox is down'; END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER test_fail_approved BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION test_fail_approved();
"""


async def test_a_failing_event_insert_undoes_the_whole_decision(
    app: FastAPI, client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    anna = await login(client_factory, "anna")
    rid = (await submit(anna))["id"]
    # A client that sees the 500 instead of the app's exception.
    bo = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url=BASE_URL
    )
    async with bo:
        login_response = await bo.post(
            f"{API}/auth/login", json={"username": "bo", "password": "demo"}
        )
        bo.headers["X-CSRF-Token"] = login_response.json()["csrf_token"]
        await db.execute(FAIL_ON_APPROVED)
        before = await counts(db)
        failed = await decide(bo, rid, "approve")
        assert failed.status_code == 500
        assert await counts(db) == before
        assert (await get(anna, rid))["status"] == "pending"
        assert [r["id"] for r in (await bo.get(f"{API}/inbox")).json()["data"]] == [rid]

        await db.execute("DROP TRIGGER test_fail_approved ON events")
        approved = await decide(bo, rid, "approve")
        assert approved.status_code == 200
        assert approved.json()["status"] == "approved"


async def test_events_carry_their_audience_from_the_moment_they_are_written(
    client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    rid = (await submit(anna))["id"]
    await decide(bo, rid, "approve")
    users = dict(await db.fetch("SELECT username, id FROM users"))
    rows = await db.fetch(
        "SELECT type, audience_users, audience_roles, payload FROM events ORDER BY id"
    )
    assert [r["type"] for r in rows] == [
        "request.submitted",
        "request.assigned",
        "request.step_approved",
        "request.approved",
    ]
    for row in rows:
        assert users["anna"] in row["audience_users"]
        assert users["bo"] in row["audience_users"]
        assert users["eva"] not in row["audience_users"]
        assert set(row["audience_roles"]) == {"auditor", "hr"}
    approved = json.loads(rows[-1]["payload"])
    assert set(approved) >= {"type", "occurred_at", "request", "actor", "data", "message"}
    assert approved["type"] == "request.approved"
    assert approved["request"]["id"] == rid
    assert approved["request"]["workflow"] == "ferie"
    assert approved["request"]["status"] == "approved"
    assert approved["actor"]["name"] == "Bo Kristensen"
    assert set(approved["message"]) == {"da", "en"}
