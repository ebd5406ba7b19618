"""Bulk decisions from the inbox: each request is decided in its own transaction and the answer
says what happened to each, with the problem it would have had on its own."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from tests.integration.clients import (
    API,
    PROBLEM_JSON,
    ClientFactory,
    assert_problem,
    counts,
    decide,
    get,
    login,
    submit,
)

BULK = f"{API}/inbox/decisions"


async def bulk(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await client.post(BULK, json=body)


async def test_mixed_ids_each_get_their_own_answer(
    client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    anna, bo = await login(client_factory, "anna"), await login(client_factory, "bo")
    eva = await login(client_factory, "eva")
    ok, stale, done = [(await submit(anna, title=f"Ferie {n}"))["id"] for n in range(3)]
    hidden = (await submit(eva))["id"]  # awaits eva's manager; bo may not see it
    own = (await submit(bo))["id"]  # bo's own request: he may see it, never decide it
    assert (await decide(bo, done, "approve")).status_code == 200
    await anna.post(f"{API}/requests/{stale}/comments", json={"body": "Ny dato?"})
    stale_version = (await get(anna, stale))["version"] - 1
    before = await counts(db)

    response = await bulk(
        bo,
        {
            "request_ids": [ok, hidden, stale, done, own, 2**62],
            "decision": "approve",
            "versions": {str(stale): stale_version},
        },
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["request_id"], r["status"]) for r in results] == [
        (ok, "ok"),
        (hidden, "error"),
        (stale, "error"),
        (done, "error"),
        (own, "error"),
        (2**62, "error"),
    ]
    assert results[0]["request"]["status"] == "approved"
    assert "problem" not in results[0]
    statuses = [r["problem"]["status"] for r in results[1:]]
    assert statuses == [404, 409, 409, 403, 404]
    assert all(r["problem"]["title"] and r["problem"]["detail"] for r in results[1:])
    assert "request" not in results[1]
    # Only the one that was decided changed anything.
    after = await counts(db)
    assert after["decisions"] == before["decisions"] + 1
    assert (await get(anna, stale))["status"] == "pending"


async def test_a_refused_reason_is_named_per_request(client_factory: ClientFactory) -> None:
    anna, bo = await login(client_factory, "anna"), await login(client_factory, "bo")
    first, second = [(await submit(anna))["id"] for _ in range(2)]
    refused = await bulk(bo, {"request_ids": [first, second], "decision": "reject"})
    assert refused.status_code == 200, refused.text
    problems = [r["problem"] for r in refused.json()["results"]]
    assert [(p["status"], p["field"]) for p in problems] == [(422, "comment"), (422, "comment")]
    rejected = await bulk(
        bo, {"request_ids": [first, second], "decision": "reject", "comment": "Travlt"}
    )
    assert [r["request"]["status"] for r in rejected.json()["results"]] == ["rejected"] * 2


async def test_the_batch_itself_is_checked(client_factory: ClientFactory) -> None:
    bo = await login(client_factory, "bo")
    assert_problem(await bulk(bo, {"request_ids": [], "decision": "approve"}), 422)
    too_many = {"request_ids": list(range(1, 102)), "decision": "approve"}
    assert_problem(await bulk(bo, too_many), 422, field="request_ids")
    assert_problem(
        await bulk(bo, {"request_ids": [1, 1], "decision": "approve"}), 422, field="request_ids"
    )
    assert_problem(await bulk(bo, {"request_ids": [1], "decision": "maybe"}), 422)
    anonymous = client_factory()
    response = await anonymous.post(BULK, json={"request_ids": [1], "decision": "approve"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
