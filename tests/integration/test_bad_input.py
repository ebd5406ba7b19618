"""Bad input (issue 2 point 9): 422 naming the field, 413 above 1 MiB, and nothing half-written.

Every test here is refused (or writes only what it asserts), so the module shares one database
and one app: each test compares the row counts before and after itself.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from tests.databases import cloned_database
from tests.integration.clients import API, assert_problem, counts, login, submit
from tests.integration.conftest import asgi_client, running_app

GOOD: dict[str, Any] = {
    "workflow": "ferie",
    "title": "Ferie",
    "fields": {"from": "2026-07-06", "to": "2026-07-10"},
}
MIB = 1024 * 1024


@dataclass(frozen=True)
class Shared:
    anna: httpx.AsyncClient
    bo: httpx.AsyncClient
    db: asyncpg.Connection


@pytest.fixture(scope="module")
async def shared(
    pg_admin_url: str, demo_template: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Shared]:
    data_dir = tmp_path_factory.mktemp("bad-input")
    async with (
        cloned_database(pg_admin_url, demo_template) as url,
        running_app(url, data_dir) as app,
    ):
        clients: list[httpx.AsyncClient] = []

        def make() -> httpx.AsyncClient:
            clients.append(asgi_client(app))
            return clients[-1]

        conn = await asyncpg.connect(url)
        try:
            yield Shared(await login(make, "anna"), await login(make, "bo"), conn)
        finally:
            await conn.close()
            for client in clients:
                await client.aclose()


@pytest.fixture
def anna(shared: Shared) -> httpx.AsyncClient:
    return shared.anna


@pytest.fixture
def bo(shared: Shared) -> httpx.AsyncClient:
    return shared.bo


@pytest.fixture
def db(shared: Shared) -> asyncpg.Connection:
    return shared.db


async def _refused(
    anna: httpx.AsyncClient, db: asyncpg.Connection, body: Any, *, status: int, field: str
) -> None:
    before = await counts(db)
    response = await anna.post(f"{API}/requests", json=body)
    assert_problem(response, status, field=field)
    assert await counts(db) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in GOOD.items() if k != "title"}, "title"),
        ({**GOOD, "title": ""}, "title"),
        ({**GOOD, "title": "x" * 201}, "title"),
        ({**GOOD, "title": 5}, "title"),
        ({**GOOD, "fields": "from monday"}, "fields"),
        ({**GOOD, "fields": ["2026-07-06"]}, "fields"),
        ({k: v for k, v in GOOD.items() if k != "fields"}, "fields"),
        ({**GOOD, "workflow": None}, "workflow"),
        ({**GOOD, "priority": "high"}, "priority"),
    ],
    ids=[
        "missing-title",
        "empty-title",
        "long-title",
        "title-not-text",
        "fields-not-object",
        "fields-list",
        "missing-fields",
        "workflow-null",
        "extra-key",
    ],
)
async def test_invalid_body_is_422_naming_the_field(
    anna: httpx.AsyncClient, db: asyncpg.Connection, body: dict[str, Any], field: str
) -> None:
    await _refused(anna, db, body, status=422, field=field)


async def test_blank_title_is_422(anna: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    await _refused(anna, db, {**GOOD, "title": "   "}, status=422, field="title")


async def test_body_that_is_not_json_is_422(
    anna: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    before = await counts(db)
    for content in (b"{not json", b"[]", b"null", b'"text"'):
        response = await anna.post(
            f"{API}/requests", content=content, headers={"Content-Type": "application/json"}
        )
        assert_problem(response, 422)
    assert await counts(db) == before


async def test_unknown_workflow_is_422_naming_workflow(
    anna: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    await _refused(anna, db, {**GOOD, "workflow": "barsel"}, status=422, field="workflow")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"from": "2026-07-06", "to": "2026-07-10", "colour": "red"}, "fields.colour"),
        ({"from": "2026-07-06"}, "fields.to"),
        ({"from": "2026-07-06", "to": ""}, "fields.to"),
        ({"from": "6/7 2026", "to": "2026-07-10"}, "fields.from"),
        ({"from": "2026-02-30", "to": "2026-07-10"}, "fields.from"),
        ({"from": 20260706, "to": "2026-07-10"}, "fields.from"),
        ({"from": "2026-07-10", "to": "2026-07-06"}, "fields.to"),
        ({"from": "2026-07-06", "to": "2026-07-10", "note": "x" * 501}, "fields.note"),
    ],
    ids=[
        "unknown-field",
        "missing-required",
        "blank-required",
        "not-iso-date",
        "impossible-date",
        "date-as-number",
        "to-before-from",
        "note-too-long",
    ],
)
async def test_fields_that_do_not_fit_the_form_are_422_naming_them(
    anna: httpx.AsyncClient, db: asyncpg.Connection, fields: dict[str, Any], field: str
) -> None:
    await _refused(anna, db, {**GOOD, "fields": fields}, status=422, field=field)


async def test_every_bad_field_is_named_at_once(anna: httpx.AsyncClient) -> None:
    response = await anna.post(
        f"{API}/requests", json={**GOOD, "fields": {"from": "x", "colour": "red"}}
    )
    assert_problem(response, 422)
    named = {e["field"] for e in response.json()["errors"]}
    assert {"fields.from", "fields.to", "fields.colour"} <= named


def _oversized() -> bytes:
    return json.dumps({**GOOD, "title": "x" * (MIB + 10)}).encode()


async def test_body_above_one_mib_with_content_length_is_413(
    anna: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    before = await counts(db)
    response = await anna.post(
        f"{API}/requests", content=_oversized(), headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413)
    # A lying Content-Length does not get past either.
    response = await anna.post(
        f"{API}/requests",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": str(2 * MIB)},
    )
    assert response.status_code == 413
    assert await counts(db) == before


async def test_chunked_body_above_one_mib_is_413(
    anna: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = _oversized()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    before = await counts(db)
    response = await anna.post(
        f"{API}/requests", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413)
    assert await counts(db) == before


async def test_chunked_body_below_the_limit_is_accepted(anna: httpx.AsyncClient) -> None:
    body = json.dumps(GOOD).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 7):
            yield body[start : start + 7]

    response = await anna.post(
        f"{API}/requests", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "request_id", ["99999999999999999999999", "9223372036854775808", "0", "-1", "abc", "1.5"]
)
async def test_bad_path_ids_are_422_not_500(
    anna: httpx.AsyncClient, db: asyncpg.Connection, request_id: str
) -> None:
    before = await counts(db)
    base = f"{API}/requests/{request_id}"
    for method, path, body in (
        ("GET", base, None),
        ("GET", f"{base}/history", None),
        ("POST", f"{base}/decisions", {"decision": "approve", "comment": ""}),
        ("POST", f"{base}/comments", {"body": "hej"}),
        ("POST", f"{base}/withdraw", {}),
        ("POST", f"{base}/resubmit", {}),
    ):
        response = await anna.request(method, path, json=body)
        assert_problem(response, 422, field="request_id")
    assert await counts(db) == before


async def test_largest_id_is_404(anna: httpx.AsyncClient) -> None:
    assert_problem(await anna.get(f"{API}/requests/9223372036854775807"), 404)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "99999999999999999999999"}, "cursor"),
        ({"cursor": "9223372036854775808"}, "cursor"),
        ({"cursor": "abc"}, "cursor"),
        ({"cursor": "\u00b2"}, "cursor"),
        ({"cursor": "-5"}, "cursor"),
        ({"status": "done"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "100000"}, "limit"),
        ({"mine": "maybe"}, "mine"),
    ],
)
async def test_bad_list_parameters_are_422(
    anna: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    assert_problem(await anna.get(f"{API}/requests", params=params), 422, field=field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "maybe", "comment": ""}, "decision"),
        ({"comment": "ok"}, "decision"),
        ({"decision": "approve", "version": 0}, "version"),
        ({"decision": "approve", "version": "one"}, "version"),
        ({"decision": "approve", "on_behalf_of": 1}, "on_behalf_of"),
    ],
)
async def test_bad_decision_bodies_are_422(
    anna: httpx.AsyncClient,
    bo: httpx.AsyncClient,
    db: asyncpg.Connection,
    body: dict[str, Any],
    field: str,
) -> None:
    rid = (await submit(anna))["id"]
    before = await counts(db)
    response = await bo.post(f"{API}/requests/{rid}/decisions", json=body)
    assert_problem(response, 422, field=field)
    assert await counts(db) == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/requests", {**GOOD, "title": "Ferie\u0000"}, "title"),
        ("/requests", {**GOOD, "workflow": "fe\u0000rie"}, "workflow"),
        ("/auth/tokens", {"name": "script\u0000"}, "name"),
    ],
)
async def test_nul_characters_are_422_naming_the_field(
    anna: httpx.AsyncClient, db: asyncpg.Connection, path: str, body: dict[str, Any], field: str
) -> None:
    before = await counts(db)
    response = await anna.post(API + path, json=body)
    assert_problem(response, 422, field=field)
    assert "0x00" not in response.text  # not PostgreSQL's complaint, ours
    assert await counts(db) == before


async def test_nul_in_comments_and_decisions_is_422(
    anna: httpx.AsyncClient, bo: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    rid = (await submit(anna))["id"]
    before = await counts(db)
    response = await anna.post(f"{API}/requests/{rid}/comments", json={"body": "a\u0000b"})
    assert_problem(response, 422, field="body")
    response = await bo.post(
        f"{API}/requests/{rid}/decisions", json={"decision": "reject", "comment": "nej\u0000"}
    )
    assert_problem(response, 422, field="comment")
    assert await counts(db) == before


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe",
        b'{"workflow": "ferie",',
        b'{"workflow": "ferie", "title": "x", "fields": {"note": '
        + b"[" * 50_000
        + b"]" * 50_000
        + b"}}",
        b'{"workflow": "udlaeg", "title": "x", "fields": {"amount": ' + b"9" * 5000 + b"}}",
    ],
    ids=["not-utf8", "truncated", "nested-too-deep", "5000-digit-number"],
)
async def test_malformed_json_is_422_naming_the_body(
    anna: httpx.AsyncClient, db: asyncpg.Connection, content: bytes
) -> None:
    before = await counts(db)
    response = await anna.post(
        f"{API}/requests", content=content, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422, field="body")
    assert await counts(db) == before


async def test_workflow_keys_that_cannot_exist_are_404(anna: httpx.AsyncClient) -> None:
    for key in ("fe%00rie", "x" * 5000, "Ferie", "nope"):
        assert_problem(await anna.get(f"{API}/workflows/{key}"), 404)


@pytest.mark.parametrize(
    ("raw_fields", "field"),
    [
        (rb'"note": "x\udc00"', "fields.note"),
        (rb'"note": ["\ud800"]', "fields.note[0]"),
        (rb'"note": "a\u0000"', "fields.note"),
        (rb'"\udc00": "x"', "fields"),
    ],
    ids=["surrogate-value", "surrogate-in-list", "nul-value", "surrogate-key"],
)
async def test_unstorable_text_in_fields_is_422_naming_it(
    anna: httpx.AsyncClient, db: asyncpg.Connection, raw_fields: bytes, field: str
) -> None:
    content = (
        b'{"workflow": "ferie", "title": "Ferie", "fields": {"from": "2026-07-06", '
        b'"to": "2026-07-10", ' + raw_fields + b"}}"
    )
    before = await counts(db)
    response = await anna.post(
        f"{API}/requests", content=content, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422, field=field)
    assert await counts(db) == before


async def test_lone_surrogates_in_text_fields_are_422(
    anna: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    rid = (await submit(anna))["id"]
    before = await counts(db)
    for path, content, field in (
        ("/requests", rb'{"workflow": "ferie", "title": "a\ud800", "fields": {}}', "title"),
        (f"/requests/{rid}/comments", rb'{"body": "a\ud800"}', "body"),
    ):
        response = await anna.post(
            API + path, content=content, headers={"Content-Type": "application/json"}
        )
        assert_problem(response, 422, field=field)
    assert await counts(db) == before
