"""Substitutes against real PostgreSQL: an absent approver's requests go to their substitute, who
decides on their behalf; the period's start and end move open requests; four-eyes still holds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx

from godkend.services.context import Services
from godkend.services.groups import do_save_group
from godkend.services.scheduler import Scheduler
from godkend.services.workflows import do_publish_workflow
from tests.integration.clients import (
    API,
    ClientFactory,
    assert_problem,
    decide,
    get,
    history,
    login,
    submit,
)
from tests.integration.workflow_runtime.support import Clock, events_of, user_id

HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)


async def delegate(
    client: httpx.AsyncClient,
    substitute: str,
    *,
    starts: datetime,
    ends: datetime,
    workflows: list[str] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {
        "substitute": substitute,
        "starts_at": starts.isoformat(),
        "ends_at": ends.isoformat(),
    }
    if workflows is not None:
        body["workflows"] = workflows
    return await client.post(f"{API}/delegations", json=body)


def pending(request: dict[str, Any]) -> list[str]:
    return [p["name"].split()[0].lower() for p in request["pending_approvers"]]


async def inbox_ids(client: httpx.AsyncClient) -> list[int]:
    response = await client.get(f"{API}/inbox")
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["data"]]


async def test_the_substitute_decides_on_behalf_of_the_absent_approver(
    client_factory: ClientFactory, db: asyncpg.Connection, clock: Clock
) -> None:
    anna, bo = await login(client_factory, "anna"), await login(client_factory, "bo")
    gustav = await login(client_factory, "gustav")
    created = await delegate(
        bo, "gustav", starts=clock.now - HOUR, ends=clock.now + WEEK, workflows=["ferie"]
    )
    assert created.status_code == 201, created.text
    delegation = created.json()
    assert (delegation["user"]["username"], delegation["substitute"]["username"]) == (
        "bo",
        "gustav",
    )
    assert delegation["active"] is True
    assert delegation["workflows"] == ["ferie"]

    request = await submit(anna)
    assert pending(request) == ["gustav"]
    assert request["id"] in await inbox_ids(gustav)
    assert request["id"] not in await inbox_ids(bo)
    assert (await get(bo, request["id"]))["status"] == "pending"  # bo still sees it

    approved = await decide(gustav, request["id"], "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    last = (await history(bo, request["id"]))[-1]
    assert last["action"] == "request.approve"
    assert last["actor"]["name"] == "Gustav Larsen"
    assert last["data"]["on_behalf_of"] == {
        "id": await user_id(db, "bo"),
        "name": "Bo Kristensen",
    }
    row = await db.fetchrow(
        "SELECT decided_by, on_behalf_of FROM decisions WHERE request_id = $1", request["id"]
    )
    assert row is not None
    assert (row["decided_by"], row["on_behalf_of"]) == (
        await user_id(db, "gustav"),
        await user_id(db, "bo"),
    )
    assigned = [e for e in await events_of(db, request["id"]) if e["type"] == "request.assigned"]
    gustav_id, bo_id = await user_id(db, "gustav"), await user_id(db, "bo")
    assert {gustav_id, bo_id} <= set(assigned[0]["audience"])
    assert assigned[0]["payload"]["data"]["substitutes"] == [
        {"user": gustav_id, "on_behalf_of": bo_id}
    ]
    assert (await get(bo, request["id"]))["status"] == "approved"

    mine = (await gustav.get(f"{API}/delegations")).json()["data"]
    assert [d["id"] for d in mine] == [delegation["id"]]


async def test_after_the_period_new_requests_go_to_the_approver_again(
    client_factory: ClientFactory, clock: Clock
) -> None:
    anna, bo = await login(client_factory, "anna"), await login(client_factory, "bo")
    created = await delegate(bo, "gustav", starts=clock.now - HOUR, ends=clock.now + HOUR)
    assert created.status_code == 201, created.text
    assert pending(await submit(anna)) == ["gustav"]
    clock.advance(2 * HOUR)
    assert pending(await submit(anna)) == ["bo"]
    listed = (await bo.get(f"{API}/delegations")).json()["data"]
    assert [d["active"] for d in listed] == [False]


async def test_open_requests_move_when_the_period_starts_and_back_when_it_ends(
    client_factory: ClientFactory, clock: Clock, svc: Services, db: asyncpg.Connection
) -> None:
    anna, bo = await login(client_factory, "anna"), await login(client_factory, "bo")
    created = await delegate(bo, "gustav", starts=clock.now + HOUR, ends=clock.now + 3 * HOUR)
    assert created.status_code == 201, created.text
    request = await submit(anna)
    assert pending(request) == ["bo"]
    scheduler = Scheduler(svc)

    await scheduler.run_once()
    assert pending(await get(anna, request["id"])) == ["bo"]  # not yet
    clock.advance(2 * HOUR)
    await scheduler.run_once()
    moved = await get(anna, request["id"])
    assert pending(moved) == ["gustav"]
    assert moved["version"] == request["version"] + 1
    clock.advance(2 * HOUR)
    await scheduler.run_once()
    assert pending(await get(anna, request["id"])) == ["bo"]
    await scheduler.run_once()  # applied once: nothing moves again
    assert (await get(anna, request["id"]))["version"] == request["version"] + 2
    kinds = [e["type"] for e in await events_of(db, request["id"])]
    assert kinds == ["request.submitted", *["request.assigned"] * 3]
    actions = [e["action"] for e in await history(anna, request["id"])]
    assert actions == ["request.submit", "request.reroute", "request.reroute"]


async def test_revoking_hands_open_requests_back(
    client_factory: ClientFactory, clock: Clock
) -> None:
    anna, bo = await login(client_factory, "anna"), await login(client_factory, "bo")
    eva = await login(client_factory, "eva")
    created = (await delegate(bo, "gustav", starts=clock.now, ends=clock.now + WEEK)).json()
    request = await submit(anna)
    assert pending(request) == ["gustav"]
    url = f"{API}/delegations/{created['id']}"
    assert_problem(await eva.delete(url), 404)
    revoked = await bo.delete(url)
    assert revoked.status_code == 204, revoked.text
    assert pending(await get(anna, request["id"])) == ["bo"]
    assert_problem(await bo.delete(url), 409)
    assert (await bo.get(url)).json()["revoked_at"] is not None


async def test_a_delegation_for_some_workflows_leaves_the_others_alone(
    client_factory: ClientFactory, clock: Clock
) -> None:
    anna, bo = await login(client_factory, "anna"), await login(client_factory, "bo")
    created = await delegate(
        bo, "gustav", starts=clock.now, ends=clock.now + WEEK, workflows=["udlaeg"]
    )
    assert created.status_code == 201, created.text
    assert pending(await submit(anna)) == ["bo"]


async def test_a_substitute_who_is_the_requester_is_refused(
    client_factory: ClientFactory, clock: Clock
) -> None:
    anna, bo = await login(client_factory, "anna"), await login(client_factory, "bo")
    assert (await delegate(bo, "anna", starts=clock.now, ends=clock.now + WEEK)).status_code == 201
    request = await submit(anna)
    assert pending(request) == ["bo"]  # the step stays with bo rather than go to anna
    assert_problem(await decide(anna, request["id"], "approve"), 403)
    assert (await get(anna, request["id"]))["status"] == "pending"


TWO_STEPS = """
key: to-trin
title: {da: To trin, en: Two steps}
description: {da: Leder og jura, en: Manager and legal}
fields:
  - key: note
    type: text
    label: {da: Note, en: Note}
steps:
  - key: manager
    name: {da: Leder, en: Manager}
    approvers: {manager: 1}
  - key: legal
    name: {da: Jura, en: Legal}
    approvers: {user: jonas}
"""


async def test_a_substitute_who_decided_step_one_cannot_decide_step_two_for_someone_else(
    client_factory: ClientFactory, clock: Clock, svc: Services
) -> None:
    await do_publish_workflow(svc, TWO_STEPS, source="to-trin.yaml")
    anna, bo = await login(client_factory, "anna"), await login(client_factory, "bo")
    jonas = await login(client_factory, "jonas")
    assert (await delegate(jonas, "bo", starts=clock.now, ends=clock.now + WEEK)).status_code == 201
    request = await submit(anna, workflow="to-trin", fields={"note": "x"})
    assert pending(request) == ["bo"]
    step_two = (await decide(bo, request["id"], "approve")).json()
    assert step_two["current_step"] == "legal"
    assert pending(step_two) == ["jonas"]  # not jonas's substitute bo, who decided step one
    assert request["id"] not in await inbox_ids(bo)
    assert_problem(await decide(bo, request["id"], "approve"), 403)
    assert (await decide(jonas, request["id"], "approve")).json()["status"] == "approved"


async def test_deciding_for_someone_counts_against_both_in_the_next_step(
    client_factory: ClientFactory, clock: Clock, svc: Services
) -> None:
    # Step two is a group of bo, gustav and jonas: gustav decided step one for bo, so only
    # jonas is left to decide it.
    await do_save_group(
        svc, key="ledere", name_da="Ledere", name_en="Managers", members=["bo", "gustav", "jonas"]
    )
    await do_publish_workflow(
        svc, TWO_STEPS.replace("{user: jonas}", "{group: ledere}"), source="to-trin.yaml"
    )
    anna, bo = await login(client_factory, "anna"), await login(client_factory, "bo")
    gustav = await login(client_factory, "gustav")
    assert (
        await delegate(bo, "gustav", starts=clock.now, ends=clock.now + WEEK)
    ).status_code == 201
    request = await submit(anna, workflow="to-trin", fields={"note": "x"})
    assert pending(request) == ["gustav"]
    step_two = (await decide(gustav, request["id"], "approve")).json()
    assert (step_two["current_step"], pending(step_two)) == ("legal", ["jonas"])
    for who in (bo, gustav):
        assert_problem(await decide(who, request["id"], "approve"), 403)


async def test_bad_delegations_are_refused_with_the_field_named(
    client_factory: ClientFactory, clock: Clock
) -> None:
    bo = await login(client_factory, "bo")
    start, end = clock.now, clock.now + WEEK
    assert_problem(await delegate(bo, "bo", starts=start, ends=end), 422, field="substitute")
    assert_problem(await delegate(bo, "nobody", starts=start, ends=end), 422, field="substitute")
    assert_problem(await delegate(bo, "gustav", starts=end, ends=start), 422, field="ends_at")
    assert_problem(
        await delegate(bo, "gustav", starts=start - WEEK, ends=start - HOUR), 422, field="ends_at"
    )
    assert_problem(
        await delegate(bo, "gustav", starts=start, ends=start + 60 * WEEK), 422, field="ends_at"
    )
    assert_problem(
        await delegate(bo, "gustav", starts=start, ends=end, workflows=["nope"]),
        422,
        field="workflows",
    )
    naive = {"substitute": "gustav", "starts_at": "2026-07-01T08:00:00", "ends_at": "2026-07-02"}
    assert_problem(await bo.post(f"{API}/delegations", json=naive), 422, field="starts_at")
    assert (await bo.get(f"{API}/delegations")).json()["data"] == []
