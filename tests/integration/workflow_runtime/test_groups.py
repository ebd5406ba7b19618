"""Named groups and k-of-N committees against real PostgreSQL."""

from __future__ import annotations

import asyncpg
import pytest

from godkend.domain.errors import InvalidInput
from godkend.services.context import Services
from godkend.services.groups import do_save_group, list_groups
from godkend.services.workflows import do_publish_workflow
from tests.integration.clients import API, ClientFactory, assert_problem, decide, login, submit
from tests.integration.workflow_runtime.support import Clock, events_of

COMMITTEE = """
key: udvalg
title: {da: Udvalgsbeslutning, en: Committee decision}
description: {da: To af tre direktører, en: Two of three directors}
fields:
  - key: note
    type: text
    label: {da: Note, en: Note}
steps:
  - key: committee
    name: {da: Direktionen, en: Executive board}
    approvers: {group: direktionen}
    mode: k_of_n
    k: 2
"""


async def _committee(svc: Services) -> None:
    await do_save_group(
        svc,
        key="direktionen",
        name_da="Direktionen",
        name_en="Executive board",
        members=["carl", "hanne", "ib"],
    )
    await do_publish_workflow(svc, COMMITTEE, source="udvalg.yaml")


def names(request: dict[str, object]) -> set[str]:
    people = request["pending_approvers"]
    assert isinstance(people, list)
    return {p["name"].split()[0].lower() for p in people}


async def test_two_of_three_complete_the_step_and_the_third_is_too_late(
    client_factory: ClientFactory, svc: Services, db: asyncpg.Connection
) -> None:
    await _committee(svc)
    anna = await login(client_factory, "anna")
    carl, hanne, ib = [await login(client_factory, u) for u in ("carl", "hanne", "ib")]
    request = await submit(anna, workflow="udvalg", fields={"note": "Ny strategi"})
    assert names(request) == {"carl", "hanne", "ib"}
    assert request["steps"][0]["needed"] == 2

    first = await decide(carl, request["id"], "approve")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "pending"
    assert names(first.json()) == {"hanne", "ib"}
    assert_problem(await decide(carl, request["id"], "approve"), 409)

    second = await decide(hanne, request["id"], "approve")
    assert second.json()["status"] == "approved"
    assert_problem(await decide(ib, request["id"], "approve"), 409)
    kinds = [e["type"] for e in await events_of(db, request["id"])]
    assert kinds == [
        "request.submitted",
        "request.assigned",
        "request.step_approved",
        "request.step_approved",
        "request.approved",
    ]


async def test_a_committee_member_away_is_replaced_by_their_substitute(
    client_factory: ClientFactory, svc: Services, clock: Clock
) -> None:
    await _committee(svc)
    carl = await login(client_factory, "carl")
    created = await carl.post(
        f"{API}/delegations",
        json={
            "substitute": "jonas",
            "starts_at": clock.now.isoformat(),
            "ends_at": clock.now.replace(year=clock.now.year + 1).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    anna, jonas, ib = [await login(client_factory, u) for u in ("anna", "jonas", "ib")]
    request = await submit(anna, workflow="udvalg", fields={"note": "Ny strategi"})
    assert names(request) == {"jonas", "hanne", "ib"}
    assert (await decide(jonas, request["id"], "approve")).json()["status"] == "pending"
    assert (await decide(ib, request["id"], "approve")).json()["status"] == "approved"


async def test_groups_are_saved_with_their_members(svc: Services) -> None:
    await do_save_group(
        svc, key="it_raad", name_da="IT-rådet", name_en="IT board", members=["karl", "lise"]
    )
    await do_save_group(
        svc, key="it_raad", name_da="IT-rådet", name_en="IT board", members=["lise", "mads"]
    )
    assert [g for g in await list_groups(svc) if g["key"] == "it_raad"] == [
        {
            "key": "it_raad",
            "name": {"da": "IT-rådet", "en": "IT board"},
            "members": ["lise", "mads"],
        }
    ]
    with pytest.raises(InvalidInput) as unknown:
        await do_save_group(svc, key="x", name_da="X", name_en="X", members=["nobody"])
    assert unknown.value.field == "members"
    with pytest.raises(InvalidInput):
        await do_save_group(svc, key="Bad Key", name_da="X", name_en="X", members=[])
