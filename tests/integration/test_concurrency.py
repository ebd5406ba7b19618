"""Concurrent decisions on one step (DESIGN §4.1): exactly one wins, the rest get 409."""

from __future__ import annotations

import asyncio
from collections import Counter

import asyncpg
import httpx
from fastapi import FastAPI

from godkend.services.context import Services
from godkend.services.workflows import do_publish_workflow
from tests.integration.clients import ClientFactory, decide, get, login, submit

RACERS = 50

# A one-step workflow any employee of Kontor for Digitalisering may decide: for eva's request
# that is anna and bo, so two eligible approvers race.
TWO_APPROVERS = """
key: kaploeb
title: {da: Kapløb, en: Race}
description: {da: To kan godkende, en: Two can approve}
fields:
  - key: note
    type: text
    label: {da: Note, en: Note}
steps:
  - key: anyone
    name: {da: En af to, en: One of two}
    approvers: {role: employee, org_unit: digitalisering}
"""


async def _race(clients: list[httpx.AsyncClient], request_id: int) -> Counter[int]:
    versions = [(await get(c, request_id))["version"] for c in clients]
    responses = await asyncio.gather(
        *(
            decide(c, request_id, "approve", version=v)
            for c, v in zip(clients, versions, strict=True)
        )
    )
    for response in responses:
        if response.status_code != 200:
            assert response.headers["content-type"].startswith("application/problem+json")
    return Counter(r.status_code for r in responses)


async def _effects(db: asyncpg.Connection, request_id: int) -> tuple[int, int, int]:
    decisions = await db.fetchval(
        "SELECT count(*) FROM decisions WHERE request_id = $1", request_id
    )
    audits = await db.fetchval(
        "SELECT count(*) FROM audit_log WHERE request_id = $1 AND action = 'request.approve'",
        request_id,
    )
    approved = await db.fetchval(
        "SELECT count(*) FROM events WHERE request_id = $1 AND type = 'request.approved'",
        request_id,
    )
    return decisions, audits, approved


async def test_fifty_concurrent_approvals_by_bo_make_one_decision(
    client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    rid = (await submit(anna))["id"]
    statuses = await _race([bo] * RACERS, rid)
    assert statuses == {200: 1, 409: RACERS - 1}
    assert await _effects(db, rid) == (1, 1, 1)
    assert (await get(anna, rid))["status"] == "approved"


async def test_two_eligible_approvers_race_and_only_one_decides(
    app: FastAPI, client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    services: Services = app.state.services
    await do_publish_workflow(services, TWO_APPROVERS, source="kaploeb.yaml")
    eva = await login(client_factory, "eva")
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    request = await submit(eva, workflow="kaploeb", title="Kapløb", fields={"note": "x"})
    assert {p["name"] for p in request["pending_approvers"]} == {"Anna Jensen", "Bo Kristensen"}
    statuses = await _race([anna, bo] * (RACERS // 2), request["id"])
    assert statuses == {200: 1, 409: RACERS - 1}
    assert await _effects(db, request["id"]) == (1, 1, 1)
    decided_by = await db.fetchval(
        "SELECT u.username FROM decisions d JOIN users u ON u.id = d.decided_by"
    )
    assert decided_by in {"anna", "bo"}
    # Without a version the losers are refused all the same: the request no longer awaits them.
    late = await asyncio.gather(*(decide(c, request["id"], "approve") for c in (anna, bo)))
    assert [r.status_code for r in late] == [409, 409]
