"""The moves on a request: reject, return and resubmit, withdraw, comments, versions, steps."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import FastAPI

from godkend.services.context import Services
from godkend.services.workflows import do_publish_workflow
from tests.integration.clients import (
    API,
    ClientFactory,
    assert_problem,
    counts,
    decide,
    get,
    history,
    login,
    submit,
)


def _udlaeg(amount: float) -> dict[str, Any]:
    return {
        "amount": amount,
        "date": "2026-03-02",
        "category": "equipment",
        "purpose": "Skærm til hjemmearbejdsplads",
    }


def _it_access(level: str) -> dict[str, Any]:
    return {
        "system": "esdh",
        "access_level": level,
        "justification": "Sagsbehandling",
        "needed_from": "2026-04-01",
    }


async def test_reject_and_return_need_a_reason(
    client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    request = await submit(anna)
    before = await counts(db)
    for verdict in ("reject", "return"):
        for comment in ("", "   "):
            response = await decide(bo, request["id"], verdict, comment=comment)
            assert_problem(response, 422, field="comment")
    assert await counts(db) == before
    assert (await get(anna, request["id"]))["version"] == request["version"]

    rejected = await decide(bo, request["id"], "reject", comment="Travlt i juli")
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["pending_approvers"] == []


async def test_return_resubmit_with_changes_then_approve(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    rid = (await submit(anna))["id"]
    returned = await decide(bo, rid, "return", comment="Tag hellere uge 30")
    assert returned.status_code == 200
    assert returned.json()["status"] == "returned"
    assert (await bo.get(f"{API}/inbox")).json()["data"] == []
    assert_problem(await decide(bo, rid, "approve"), 409)
    # Only the requester sends it on again.
    assert_problem(await bo.post(f"{API}/requests/{rid}/resubmit", json={}), 403)

    changed = {"from": "2026-07-20", "to": "2026-07-24", "note": "Uge 30"}
    resubmitted = await anna.post(
        f"{API}/requests/{rid}/resubmit",
        json={"fields": changed, "title": "Ferie uge 30", "version": returned.json()["version"]},
    )
    assert resubmitted.status_code == 200, resubmitted.text
    body = resubmitted.json()
    assert body["status"] == "pending"
    assert body["fields"] == changed
    assert body["title"] == "Ferie uge 30"
    assert [r["id"] for r in (await bo.get(f"{API}/inbox")).json()["data"]] == [rid]

    approved = await decide(bo, rid, "approve", version=body["version"])
    assert approved.json()["status"] == "approved"
    actions = [e["action"] for e in await history(anna, rid)]
    assert actions == ["request.submit", "request.return", "request.resubmit", "request.approve"]


async def test_resubmitted_fields_are_validated(
    client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    rid = (await submit(anna))["id"]
    await decide(bo, rid, "return", comment="Datoerne?")
    before = await counts(db)
    response = await anna.post(
        f"{API}/requests/{rid}/resubmit",
        json={"fields": {"from": "2026-07-20", "to": "2026-07-01"}},
    )
    assert_problem(response, 422, field="fields.to")
    assert await counts(db) == before
    assert (await get(anna, rid))["status"] == "returned"


async def test_requester_withdraws_and_nobody_else_can(
    client_factory: ClientFactory,
) -> None:
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    dorte = await login(client_factory, "dorte")
    request = await submit(anna)
    rid = request["id"]
    assert_problem(await bo.post(f"{API}/requests/{rid}/withdraw", json={}), 403)
    assert_problem(await dorte.post(f"{API}/requests/{rid}/withdraw"), 403)
    withdrawn = await anna.post(
        f"{API}/requests/{rid}/withdraw", json={"version": request["version"]}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert (await bo.get(f"{API}/inbox")).json()["data"] == []
    assert_problem(await decide(bo, rid, "approve"), 409)
    assert_problem(await anna.post(f"{API}/requests/{rid}/withdraw"), 409)


async def test_stale_version_is_409_and_changes_nothing(
    client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    request = await submit(anna)
    rid, version = request["id"], request["version"]
    comment = await anna.post(f"{API}/requests/{rid}/comments", json={"body": "Se venligst"})
    assert comment.status_code == 201
    assert comment.json()["version"] == version + 1
    before = await counts(db)
    stale = await decide(bo, rid, "approve", version=version)
    assert_problem(stale, 409)
    assert stale.json()["type"] != "about:blank"
    stale_withdraw = await anna.post(f"{API}/requests/{rid}/withdraw", json={"version": version})
    assert_problem(stale_withdraw, 409)
    assert await counts(db) == before
    assert (await get(anna, rid))["status"] == "pending"
    fresh = await decide(bo, rid, "approve", version=version + 1)
    assert fresh.status_code == 200


async def test_deciding_a_decided_request_is_409(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    rid = (await submit(anna))["id"]
    first = await decide(bo, rid, "approve")
    assert first.status_code == 200
    again = await decide(bo, rid, "approve", version=first.json()["version"])
    assert_problem(again, 409)
    assert again.json()["state"] == "approved"
    assert_problem(await decide(bo, rid, "reject", comment="alligevel ikke"), 409)


async def test_comments_appear_in_the_history(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    rid = (await submit(anna))["id"]
    for client, text in ((bo, "Er det hele uge 28?"), (anna, "Ja, mandag til fredag")):
        response = await client.post(f"{API}/requests/{rid}/comments", json={"body": text})
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "pending"
    assert_problem(await anna.post(f"{API}/requests/{rid}/comments", json={"body": ""}), 422)
    entries = await history(anna, rid)
    comments = [e for e in entries if e["action"] == "request.comment"]
    assert [c["actor"]["name"] for c in comments] == ["Bo Kristensen", "Anna Jensen"]
    assert "Er det hele uge 28?" in str(comments[0]["data"])
    assert all(e["verified"] for e in entries)


async def test_large_expense_also_needs_finance(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    frida = await login(client_factory, "frida")
    rid = (await submit(anna, workflow="udlaeg", title="Skærm", fields=_udlaeg(12500)))["id"]
    assert (await frida.get(f"{API}/inbox")).json()["data"] == []
    after_bo = (await decide(bo, rid, "approve")).json()
    assert after_bo["status"] == "pending"
    assert after_bo["current_step"] == "finance"
    assert [p["name"] for p in after_bo["pending_approvers"]] == ["Frida Hansen"]
    assert [r["id"] for r in (await frida.get(f"{API}/inbox")).json()["data"]] == [rid]
    # Four-eyes: bo decided the first step, so the finance step is never his.
    assert_problem(await decide(bo, rid, "approve"), 403)
    done = await decide(frida, rid, "approve")
    assert done.json()["status"] == "approved"


async def test_small_expense_needs_only_the_manager(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    for amount in (450, 10000):
        request = await submit(anna, workflow="udlaeg", title="Tog", fields=_udlaeg(amount))
        assert [s["status"] for s in request["steps"]] == ["active", "skipped"]
        approved = await decide(bo, request["id"], "approve")
        assert approved.json()["status"] == "approved", amount


async def test_admin_access_also_needs_it_security(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    bo, karl, lise = [await login(client_factory, u) for u in ("bo", "karl", "lise")]
    admin = await submit(anna, workflow="it-adgang", title="ESDH admin", fields=_it_access("admin"))
    read = await submit(anna, workflow="it-adgang", title="ESDH læs", fields=_it_access("read"))
    assert [s["status"] for s in read["steps"]] == ["active", "waiting", "skipped"]
    assert [s["status"] for s in admin["steps"]] == ["active", "waiting", "waiting"]

    for rid in (admin["id"], read["id"]):
        assert (await decide(bo, rid, "approve")).json()["current_step"] == "system_owner"
    assert (await decide(karl, read["id"], "approve")).json()["status"] == "approved"
    after_karl = (await decide(karl, admin["id"], "approve")).json()
    assert after_karl["current_step"] == "it_security"
    assert [p["name"] for p in after_karl["pending_approvers"]] == ["Lise Rasmussen"]
    assert (await decide(lise, admin["id"], "approve")).json()["status"] == "approved"


VERSIONED = """
key: versioneret
title: {da: Versioneret, en: Versioned}
description: {da: To versioner, en: Two versions}
fields:
  - key: note
    type: text
    label: {da: Note, en: Note}
steps:
  - key: only
    name: {da: Trin, en: Step}
    approvers: APPROVERS
"""


async def test_running_requests_keep_the_workflow_version_they_started_with(
    app: FastAPI, client_factory: ClientFactory
) -> None:
    services: Services = app.state.services
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    carl = await login(client_factory, "carl")
    fields = {"note": "x"}
    v1, _ = await do_publish_workflow(
        services, VERSIONED.replace("APPROVERS", "{manager: 1}"), source="versioneret.yaml"
    )
    old = await submit(anna, workflow="versioneret", title="Før", fields=fields)
    v2, is_new = await do_publish_workflow(
        services, VERSIONED.replace("APPROVERS", "{user: carl}"), source="versioneret.yaml"
    )
    assert (v1.version, v2.version, is_new) == (1, 2, True)
    new = await submit(anna, workflow="versioneret", title="Efter", fields=fields)
    assert old["workflow"] == {"key": "versioneret", "version": 1}
    assert new["workflow"] == {"key": "versioneret", "version": 2}
    assert [p["name"] for p in new["pending_approvers"]] == ["Carl Mortensen"]
    assert_problem(await decide(bo, new["id"], "approve"), 404)
    assert (await decide(bo, old["id"], "approve")).json()["status"] == "approved"
    assert (await decide(carl, new["id"], "approve")).json()["status"] == "approved"
