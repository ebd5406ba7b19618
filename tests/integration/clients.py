"""What the integration tests do over and over: log in, submit, decide, count rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import httpx

BASE_URL = "http://127.0.0.1:8000"
API = "/api/v1"
PASSWORD = "demo"
PROBLEM_JSON = "application/problem+json"

ClientFactory = Callable[[], httpx.AsyncClient]

# The tables an action writes to; a refused action must leave every count as it was.
WRITTEN_TABLES = ("requests", "assignments", "decisions", "comments", "audit_log", "events")

FERIE_FIELDS: dict[str, Any] = {"from": "2026-07-06", "to": "2026-07-17"}


async def login(client_factory: ClientFactory, username: str) -> httpx.AsyncClient:
    """A new client logged in as `username`, sending the session's CSRF token on every call."""
    client = client_factory()
    response = await client.post(
        f"{API}/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


async def submit(
    client: httpx.AsyncClient,
    *,
    workflow: str = "ferie",
    title: str = "Sommerferie",
    fields: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Submit a request and return it (asserting 201)."""
    response = await client.post(
        f"{API}/requests",
        json={"workflow": workflow, "title": title, "fields": fields or FERIE_FIELDS},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def get(client: httpx.AsyncClient, request_id: int) -> dict[str, Any]:
    response = await client.get(f"{API}/requests/{request_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def decide(
    client: httpx.AsyncClient,
    request_id: int,
    decision: str,
    *,
    comment: str = "",
    version: int | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"decision": decision, "comment": comment}
    if version is not None:
        body["version"] = version
    return await client.post(f"{API}/requests/{request_id}/decisions", json=body)


async def history(client: httpx.AsyncClient, request_id: int) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/requests/{request_id}/history")
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


def assert_problem(response: httpx.Response, status: int, *, field: str | None = None) -> None:
    """The response is problem JSON with `status` and, if given, names `field`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    if field is not None:
        named = {body.get("field")} | {e.get("field") for e in body.get("errors", [])}
        assert field in named, body


async def counts(db: asyncpg.Connection) -> dict[str, int]:
    """Row counts of every table an action writes to."""
    result: dict[str, int] = {}
    for table in WRITTEN_TABLES:
        result[table] = await db.fetchval(f"SELECT count(*) FROM {table}")
    return result
