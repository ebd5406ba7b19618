"""The read side a user starts from: who am I, which workflows exist, is the service up."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from godkend.services.context import Services
from godkend.services.workflows import do_publish_workflow
from tests.databases import cloned_database
from tests.integration.clients import API, BASE_URL, ClientFactory, login, submit
from tests.integration.conftest import running_app


async def test_me_shows_the_callers_profile(client_factory: ClientFactory) -> None:
    bo = await login(client_factory, "bo")
    me = (await bo.get(f"{API}/me")).json()
    assert me == {
        "id": me["id"],
        "username": "bo",
        "name": "Bo Kristensen",
        "email": "bo@fsg.example.dk",
        "org_unit": "digitalisering",
        "roles": ["employee", "manager"],
    }


async def test_workflows_are_listed_with_their_form(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    listed = (await anna.get(f"{API}/workflows")).json()["data"]
    keys = {w["key"] for w in listed}
    assert {"ferie", "udlaeg", "it-adgang"} <= keys
    ferie = (await anna.get(f"{API}/workflows/ferie")).json()
    assert ferie["version"] == 1
    assert [v["version"] for v in ferie["versions"]] == [1]
    fields = {f["key"]: f for f in ferie["fields"]}
    assert fields["from"]["type"] == "date"
    assert fields["to"]["type"] == "date"
    assert fields["note"]["required"] is False
    assert [s["key"] for s in ferie["steps"]] == ["manager"]


async def test_health_endpoints(app_client: httpx.AsyncClient) -> None:
    assert (await app_client.get("/healthz")).json() == {"status": "ok"}
    ready = await app_client.get("/readyz")
    assert ready.json()["database"] is True
    metrics = await app_client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")


ONE_STEP = """
key: kopi
title: {da: Kopi, en: Copy}
description: {da: Kopi, en: Copy}
fields:
  - key: note
    type: text
    label: {da: Note, en: Note}
steps:
  - key: STEP
    name: {da: Trin, en: Step}
    approvers: {manager: 1}
"""


async def test_two_databases_in_one_process_keep_their_own_definitions(
    app: FastAPI, pg_admin_url: str, demo_template: str, tmp_path: Path
) -> None:
    """Published versions are cached per process; one id in two databases is two definitions."""
    first: Services = app.state.services
    published, _ = await do_publish_workflow(
        first, ONE_STEP.replace("STEP", "first"), source="kopi.yaml"
    )
    async with (
        cloned_database(pg_admin_url, demo_template) as other_url,
        running_app(other_url, tmp_path) as other_app,
    ):
        second: Services = other_app.state.services
        other, _ = await do_publish_workflow(
            second, ONE_STEP.replace("STEP", "second"), source="kopi.yaml"
        )
        assert other.id == published.id
        assert [s.key for s in other.definition.steps] == ["second"]
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=other_app), base_url=BASE_URL)
        async with client:
            anna = await login(lambda: client, "anna")
            request = await submit(anna, workflow="kopi", title="Kopi", fields={"note": "x"})
            assert [s["key"] for s in request["steps"]] == ["second"]
            assert (await anna.get(f"{API}/workflows/kopi")).json()["steps"][0]["key"] == ("second")


async def test_the_inbox_is_paginated_newest_first(client_factory: ClientFactory) -> None:
    anna, bo = await login(client_factory, "anna"), await login(client_factory, "bo")
    ids = [(await submit(anna, title=f"Ferie {n}"))["id"] for n in range(3)]
    first = (await bo.get(f"{API}/inbox", params={"limit": 2})).json()
    assert [r["id"] for r in first["data"]] == ids[:0:-1]
    rest = (
        await bo.get(f"{API}/inbox", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [r["id"] for r in rest["data"]] == ids[:1]
    assert rest["next_cursor"] is None
    assert (await bo.get(f"{API}/inbox", params={"limit": 0})).status_code == 422
