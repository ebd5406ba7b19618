"""Who sees a request (CONTRACT §4): everyone else gets 404, as if it did not exist."""

from __future__ import annotations

from typing import Any

import httpx

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

UDLAEG_SMALL: dict[str, Any] = {
    "amount": 450,
    "date": "2026-03-02",
    "category": "transport",
    "purpose": "Togbillet til møde i Aarhus",
}


async def _listed_ids(client: httpx.AsyncClient, **params: str) -> list[int]:
    response = await client.get(f"{API}/requests", params=params)
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["data"]]


async def test_eva_never_sees_annas_request(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    eva = await login(client_factory, "eva")
    rid = (await submit(anna))["id"]
    version = (await get(anna, rid))["version"]

    assert_problem(await eva.get(f"{API}/requests/{rid}"), 404)
    assert_problem(await eva.get(f"{API}/requests/{rid}/history"), 404)
    assert_problem(await decide(eva, rid, "approve", version=version), 404)
    assert_problem(await decide(eva, rid, "reject", comment="nej"), 404)
    assert_problem(await eva.post(f"{API}/requests/{rid}/comments", json={"body": "hej"}), 404)
    assert_problem(await eva.post(f"{API}/requests/{rid}/withdraw", json={}), 404)
    assert_problem(await eva.post(f"{API}/requests/{rid}/resubmit", json={}), 404)
    # Indistinguishable from a request that does not exist.
    missing = await eva.get(f"{API}/requests/{rid + 1000}")
    assert_problem(missing, 404)
    assert (await eva.get(f"{API}/requests/{rid}")).json()["detail"] == missing.json()["detail"]

    assert rid not in await _listed_ids(eva)
    assert rid not in await _listed_ids(eva, status="pending")
    assert await _listed_ids(eva, mine="true") == []
    assert (await eva.get(f"{API}/inbox")).json()["data"] == []
    assert await _listed_ids(anna, mine="true") == [rid]


async def test_auditor_sees_everything_but_decides_nothing(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    eva = await login(client_factory, "eva")
    dorte = await login(client_factory, "dorte")
    annas = (await submit(anna))["id"]
    evas = (await submit(eva, title="Efterårsferie"))["id"]

    assert set(await _listed_ids(dorte)) == {annas, evas}
    assert (await get(dorte, annas))["requester"]["name"] == "Anna Jensen"
    assert len(await history(dorte, evas)) == 1
    version = (await get(dorte, annas))["version"]
    for verdict, comment in (("approve", ""), ("reject", "nej"), ("return", "ret")):
        assert_problem(await decide(dorte, annas, verdict, comment=comment, version=version), 403)
    assert (await get(anna, annas))["status"] == "pending"
    assert (await dorte.get(f"{API}/inbox")).json()["data"] == []


async def test_a_role_the_workflow_names_sees_its_requests_only(
    client_factory: ClientFactory,
) -> None:
    anna = await login(client_factory, "anna")
    helle = await login(client_factory, "helle")  # hr: ferie grants hr visibility
    frida = await login(client_factory, "frida")  # finance: udlaeg grants finance visibility
    leave = (await submit(anna))["id"]
    expense = (await submit(anna, workflow="udlaeg", title="Tog", fields=UDLAEG_SMALL))["id"]

    assert (await get(helle, leave))["status"] == "pending"
    assert_problem(await helle.get(f"{API}/requests/{expense}"), 404)
    assert await _listed_ids(helle) == [leave]

    assert (await get(frida, expense))["status"] == "pending"
    assert_problem(await frida.get(f"{API}/requests/{leave}"), 404)
    assert await _listed_ids(frida) == [expense]
    # Seeing is not deciding.
    assert_problem(await decide(helle, leave, "approve"), 403)


async def test_past_approvers_keep_seeing_what_they_decided(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    carl = await login(client_factory, "carl")
    rid = (await submit(anna))["id"]
    assert_problem(await carl.get(f"{API}/requests/{rid}"), 404)

    response = await decide(bo, rid, "approve")
    assert response.status_code == 200, response.text
    assert (await get(bo, rid))["status"] == "approved"
    assert [e["action"] for e in await history(bo, rid)] == ["request.submit", "request.approve"]
    assert rid in await _listed_ids(bo)
    assert rid in await _listed_ids(bo, status="approved")
    assert await _listed_ids(bo, mine="true") == []
    # bo's own manager gains nothing from bo having decided it.
    assert_problem(await carl.get(f"{API}/requests/{rid}"), 404)


async def test_listing_is_paginated_newest_first(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    ids = [(await submit(anna, title=f"Ferie {n}"))["id"] for n in range(5)]
    first = await anna.get(f"{API}/requests", params={"limit": "2"})
    assert [r["id"] for r in first.json()["data"]] == ids[::-1][:2]
    cursor = first.json()["next_cursor"]
    assert cursor is not None
    second = await anna.get(f"{API}/requests", params={"limit": "2", "cursor": cursor})
    assert [r["id"] for r in second.json()["data"]] == ids[::-1][2:4]
    rest = await anna.get(
        f"{API}/requests", params={"limit": "2", "cursor": second.json()["next_cursor"]}
    )
    assert [r["id"] for r in rest.json()["data"]] == ids[:1]
    assert rest.json()["next_cursor"] is None
