"""A real uvicorn server on a free loopback port, in this process, and logged-in users."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from fastapi import FastAPI

from godkend.api.server import uvicorn_config
from tests.integration.realtime.streams import wait_until

API = "/api/v1"


@asynccontextmanager
async def serving(app: FastAPI, *, plain: bool = False) -> AsyncIterator[str]:
    """Serve `app` (its lifespan already entered by the caller) and give its base URL; as
    `godkend serve` does, or with `plain` uvicorn (no direct frame writes, ASGI send only)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    make_config = uvicorn.Config if plain else uvicorn_config
    config = make_config(
        app, lifespan="off", log_level="warning", timeout_graceful_shutdown=1, ws_ping_interval=20
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await wait_until(lambda: server.started, within=10)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class User:
    """A logged-in demo user: their session as headers, ids and roles."""

    username: str
    base_url: str
    session: str
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": f"godkend_session={self.session}"}

    def client(self, base_url: str | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=base_url or self.base_url,
            headers={**self.headers, "X-CSRF-Token": self.csrf},
            timeout=30,
        )


async def login(base_url: str, username: str) -> User:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post(
            f"{API}/auth/login", json={"username": username, "password": "demo"}
        )
        assert response.status_code == 200, response.text
        return User(
            username, base_url, response.cookies["godkend_session"], response.json()["csrf_token"]
        )
