"""Issue 2's acceptance flow over the API: anna asks for leave, bo approves, eva sees nothing."""

from __future__ import annotations

import re

from tests.integration.clients import (
    API,
    FERIE_FIELDS,
    ClientFactory,
    assert_problem,
    decide,
    get,
    history,
    login,
    submit,
)


async def test_anna_asks_for_leave_and_bo_approves_it(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    eva = await login(client_factory, "eva")

    request = await submit(anna, title="Sommerferie 2026")
    rid = request["id"]
    assert request["status"] == "pending"
    assert request["workflow"]["key"] == "ferie"
    assert request["fields"] == FERIE_FIELDS
    assert re.fullmatch(r"GK-20\d\d-\d{6}", request["reference_number"])
    assert [p["name"] for p in request["pending_approvers"]] == ["Bo Kristensen"]

    inbox = (await bo.get(f"{API}/inbox")).json()["data"]
    assert [r["id"] for r in inbox] == [rid]

    for path in (f"/requests/{rid}", f"/requests/{rid}/history"):
        assert_problem(await eva.get(API + path), 404)
    assert_problem(await decide(eva, rid, "approve"), 404)

    assert_problem(await decide(anna, rid, "approve", version=request["version"]), 403)

    approved = await decide(bo, rid, "approve", version=request["version"])
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert (await bo.get(f"{API}/inbox")).json()["data"] == []

    seen = await get(anna, rid)
    assert seen["status"] == "approved"
    assert seen["pending_approvers"] == []
    entries = await history(anna, rid)
    assert [e["action"] for e in entries] == ["request.submit", "request.approve"]
    assert [e["actor"]["name"] for e in entries] == ["Anna Jensen", "Bo Kristensen"]
    assert all(e["verified"] for e in entries)
