"""Authentication: passwords, session cookies, CSRF, logout and API tokens (CONTRACT §4)."""

from __future__ import annotations

import hashlib

import asyncpg
import httpx
from fastapi import FastAPI
from starlette.requests import HTTPConnection

from godkend.api.deps import authenticate, credential_of, credentials_check
from tests.integration.clients import (
    API,
    PASSWORD,
    ClientFactory,
    assert_problem,
    counts,
    login,
    submit,
)

SESSION_COOKIE = "godkend_session"
# Logging in needs no credentials; the definition file format's JSON Schema is documentation.
PUBLIC = (f"{API}/auth/login", f"{API}/workflows/schema")


async def test_wrong_password_is_401_problem_json(app_client: httpx.AsyncClient) -> None:
    for username, password in (("anna", "wrong"), ("nobody", PASSWORD), ("anna", PASSWORD + " ")):
        response = await app_client.post(
            f"{API}/auth/login", json={"username": username, "password": password}
        )
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
        assert SESSION_COOKIE not in response.cookies


def _api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, concrete path) of every endpoint the OpenAPI document lists under /api/v1."""
    found: list[tuple[str, str]] = []
    for template, operations in app.openapi()["paths"].items():
        if not template.startswith(API) or template in PUBLIC:
            continue
        path = template.replace("{request_id}", "1").replace("{key}", "ferie")
        found.extend((method.upper(), path) for method in sorted(operations))
    return found


async def test_every_endpoint_but_login_needs_credentials(
    app: FastAPI, app_client: httpx.AsyncClient
) -> None:
    routes = _api_routes(app)
    assert (("GET", f"{API}/me")) in routes
    assert (("POST", f"{API}/requests/1/decisions")) in routes
    for method, path in routes:
        response = await app_client.request(method, path, json={})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer", (method, path)
    for header in ("Bearer", "Bearer ", "Basic YW5uYTpkZW1v", "Bearer not-a-token"):
        response = await app_client.get(f"{API}/me", headers={"Authorization": header})
        assert_problem(response, 401)


async def test_login_sets_an_httponly_samesite_lax_cookie(
    app_client: httpx.AsyncClient,
) -> None:
    response = await app_client.post(
        f"{API}/auth/login", json={"username": "Anna", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    set_cookie = response.headers["set-cookie"]
    attributes = {part.strip().lower() for part in set_cookie.split(";")}
    assert set_cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    body = response.json()
    assert body["user"]["username"] == "anna"
    assert body["user"]["org_unit"] == "digitalisering"
    me = await app_client.get(f"{API}/me")
    assert me.status_code == 200
    assert me.json()["name"] == "Anna Jensen"


async def test_cookie_post_without_the_right_csrf_token_is_403_and_changes_nothing(
    client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    anna = await login(client_factory, "anna")
    right = anna.headers.pop("X-CSRF-Token")
    before = await counts(db)
    body = {
        "workflow": "ferie",
        "title": "Ferie",
        "fields": {"from": "2026-07-06", "to": "2026-07-10"},
    }
    for headers in ({}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": ""}):
        response = await anna.post(f"{API}/requests", json=body, headers=headers)
        assert_problem(response, 403)
    # A token from another session of the same user does not fit this one either.
    other = await login(client_factory, "anna")
    response = await anna.post(
        f"{API}/requests", json=body, headers={"X-CSRF-Token": other.headers["X-CSRF-Token"]}
    )
    assert_problem(response, 403)
    assert await counts(db) == before

    csrf = await anna.get(f"{API}/auth/csrf")
    assert csrf.status_code == 200
    assert csrf.json() == {"csrf_token": right}
    response = await anna.post(f"{API}/requests", json=body, headers={"X-CSRF-Token": right})
    assert response.status_code == 201, response.text


async def test_logout_revokes_the_session(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    cookie = anna.cookies[SESSION_COOKIE]
    response = await anna.post(f"{API}/auth/logout")
    assert response.status_code == 204
    replay = client_factory()
    replay.cookies.set(SESSION_COOKIE, cookie)
    assert_problem(await replay.get(f"{API}/me"), 401)
    assert_problem(await replay.get(f"{API}/auth/csrf"), 401)
    assert_problem(await anna.get(f"{API}/me"), 401)


async def test_api_token_is_shown_once_stored_hashed_and_works_without_csrf(
    client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    anna = await login(client_factory, "anna")
    created = await anna.post(f"{API}/auth/tokens", json={"name": "script", "expires_in_days": 30})
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    rows = await db.fetch("SELECT * FROM api_tokens")
    assert len(rows) == 1
    assert bytes(rows[0]["token_hash"]) == hashlib.sha256(token.encode()).digest()
    assert all(token not in str(value) for value in rows[0].values())

    script = client_factory()
    script.headers["Authorization"] = f"Bearer {token}"
    me = await script.get(f"{API}/me")
    assert me.status_code == 200
    assert me.json()["username"] == "anna"
    request = await submit(script, title="Ferie via script")
    assert request["requester"]["name"] == "Anna Jensen"
    # CSRF tokens belong to cookie sessions.
    assert_problem(await script.get(f"{API}/auth/csrf"), 401)

    await db.execute("UPDATE api_tokens SET revoked_at = now()")
    assert_problem(await script.get(f"{API}/me"), 401)
    assert_problem(await script.post(f"{API}/requests", json={}), 401)


async def test_unknown_bearer_token_is_401_even_with_a_valid_cookie(
    client_factory: ClientFactory,
) -> None:
    anna = await login(client_factory, "anna")
    response = await anna.get(f"{API}/me", headers={"Authorization": "Bearer gk_unknown"})
    assert_problem(response, 401)


async def test_passwords_are_stored_as_argon2_hashes(db: asyncpg.Connection) -> None:
    hashes = await db.fetch("SELECT username, password_hash FROM users")
    assert len(hashes) >= 6
    for row in hashes:
        assert row["password_hash"].startswith("$argon2id$"), row["username"]
        assert PASSWORD not in row["password_hash"].split("$")[-1]


async def test_expired_sessions_and_tokens_are_401(
    client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    anna = await login(client_factory, "anna")
    created = await anna.post(f"{API}/auth/tokens", json={"name": "kort", "expires_in_days": 1})
    script = client_factory()
    script.headers["Authorization"] = f"Bearer {created.json()['token']}"
    assert (await script.get(f"{API}/me")).status_code == 200

    await db.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
    await db.execute("UPDATE api_tokens SET expires_at = now() - interval '1 second'")
    assert_problem(await anna.get(f"{API}/me"), 401)
    assert_problem(await script.get(f"{API}/me"), 401)


async def test_a_deactivated_user_loses_access_at_once(
    client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    anna = await login(client_factory, "anna")
    await db.execute("UPDATE users SET is_active = false WHERE username = 'anna'")
    assert_problem(await anna.get(f"{API}/me"), 401)
    response = await client_factory().post(
        f"{API}/auth/login", json={"username": "anna", "password": PASSWORD}
    )
    assert_problem(response, 401)


async def test_login_from_another_site_is_refused(app_client: httpx.AsyncClient) -> None:
    body = {"username": "anna", "password": PASSWORD}
    response = await app_client.post(
        f"{API}/auth/login", json=body, headers={"Origin": "https://evil.example"}
    )
    assert_problem(response, 403)
    assert SESSION_COOKIE not in response.cookies
    same_site = await app_client.post(
        f"{API}/auth/login", json=body, headers={"Origin": "http://127.0.0.1:8000"}
    )
    assert same_site.status_code == 200


async def test_a_tokens_last_use_is_written_at_most_once_a_minute(
    client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    anna = await login(client_factory, "anna")
    created = await anna.post(f"{API}/auth/tokens", json={"name": "script"})
    script = client_factory()
    script.headers["Authorization"] = f"Bearer {created.json()['token']}"
    assert (await script.get(f"{API}/me")).status_code == 200
    first = await db.fetchrow("SELECT last_used_at, xmin::text AS version FROM api_tokens")
    assert first["last_used_at"] is not None
    for _ in range(3):
        assert (await script.get(f"{API}/me")).status_code == 200
    again = await db.fetchrow("SELECT last_used_at, xmin::text AS version FROM api_tokens")
    assert again == first  # read, not rewritten
    await db.execute("UPDATE api_tokens SET last_used_at = now() - interval '2 minutes'")
    assert (await script.get(f"{API}/me")).status_code == 200
    assert await db.fetchval("SELECT last_used_at > now() - interval '1 minute' FROM api_tokens")


async def test_open_streams_credentials_are_re_checked_in_one_lookup(
    app: FastAPI, client_factory: ClientFactory, db: asyncpg.Connection
) -> None:
    """SessionWatch's check: every open stream's session or token, valid or not, at once."""
    anna = await login(client_factory, "anna")
    bo = await login(client_factory, "bo")
    created = await anna.post(f"{API}/auth/tokens", json={"name": "script"})
    script = client_factory()
    script.headers["Authorization"] = f"Bearer {created.json()['token']}"
    anna_c, bo_c, token_c = [
        credential_of(await authenticate(_connection(app, client))) for client in (anna, bo, script)
    ]
    stranger = ("session", b"x" * 32, anna_c[2])
    bo_as_anna = (bo_c[0], bo_c[1], anna_c[2])  # bo's session, but not anna's
    check = credentials_check(app.state.services)
    valid = await check([anna_c, bo_c, token_c, stranger, bo_as_anna])
    assert set(valid) == {anna_c, bo_c, token_c}
    assert (await anna.post(f"{API}/auth/logout")).status_code == 204
    await db.execute("UPDATE api_tokens SET revoked_at = now()")
    assert await check([anna_c, bo_c, token_c]) == [bo_c]


def _connection(app: FastAPI, client: httpx.AsyncClient) -> HTTPConnection:
    headers = [(b"authorization", v.encode()) for v in [client.headers.get("authorization")] if v]
    if SESSION_COOKIE in client.cookies:
        cookie = f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}"
        headers.append((b"cookie", cookie.encode()))
    return HTTPConnection({"type": "http", "app": app, "headers": headers})
