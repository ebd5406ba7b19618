"""Event clients over the three transports with one interface: start after a cursor, collect."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from typing import Any

import httpx
import websockets

API = "/api/v1"
KINDS = ("ws", "sse", "longpoll")


class Refused(Exception):
    """The server answered, but not with a stream (503 while its listener is down, ...)."""


class EventClient:
    """One user's stream over one transport; `cursor` is where it would resume from."""

    def __init__(
        self,
        kind: str,
        base_url: str,
        *,
        headers: dict[str, str],
        name: str,
        fallbacks: Sequence[str] = (),
    ) -> None:
        self.kind = kind
        self.base_url = base_url
        # With fallbacks, a lost connection is resumed (with the cursor) on the next instance.
        self.urls = [base_url, *fallbacks]
        self.reconnects = 0
        self.headers = headers
        self.name = name
        self.events: list[dict[str, Any]] = []
        self.cursor: str | None = None
        self.closed_with: int | None = None  # WebSocket close code, when the server closed it
        self.ended = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def ids(self) -> list[str]:
        return [e["id"] for e in self.events]

    async def start(self, after: str | None) -> EventClient:
        self.cursor = after
        self.ended = asyncio.Event()
        connected = asyncio.Event()
        self._task = asyncio.create_task(self._run(connected))
        async with asyncio.timeout(10):
            await connected.wait()
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, connected: asyncio.Event) -> None:
        try:
            while True:
                try:
                    await self._once(connected)
                except (OSError, httpx.HTTPError, websockets.WebSocketException, Refused):
                    if len(self.urls) == 1:
                        raise
                if len(self.urls) == 1:
                    return
                self.reconnects += 1
                self.base_url = self.urls[self.reconnects % len(self.urls)]
                await asyncio.sleep(0.1)
        finally:
            self.ended.set()

    async def _once(self, connected: asyncio.Event) -> None:
        if self.kind == "ws":
            await self._ws(connected)
        elif self.kind == "sse":
            await self._sse(connected)
        else:
            await self._long_poll(connected)

    def _take(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self.cursor = event["id"]

    async def _ws(self, connected: asyncio.Event) -> None:
        url = self.base_url.replace("http://", "ws://") + f"{API}/events/ws"
        if self.cursor:
            url += f"?after={self.cursor}"
        async with websockets.connect(url, additional_headers=self.headers) as ws:
            connected.set()
            try:
                async for message in ws:
                    self._take(json.loads(message))
            except websockets.ConnectionClosed:
                pass
            self.closed_with = ws.close_code

    async def _sse(self, connected: asyncio.Event) -> None:
        headers = {**self.headers, "Accept": "text/event-stream"}
        if self.cursor:
            headers["Last-Event-ID"] = self.cursor
        async with (
            httpx.AsyncClient(base_url=self.base_url, timeout=None) as client,
            client.stream("GET", f"{API}/events/stream", headers=headers) as response,
        ):
            if response.status_code != 200:
                raise Refused(f"{response.status_code}: {(await response.aread())[:200]!r}")
            connected.set()
            fields: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line:
                    name, _, value = line.partition(":")
                    fields[name] = value[1:] if value.startswith(" ") else value
                    continue
                if "data" in fields:
                    event = json.loads(fields["data"])
                    assert event["id"] == fields["id"]
                    assert event["type"] == fields["event"]
                    self._take(event)
                elif "id" in fields:
                    self.cursor = fields["id"]  # like a browser: Last-Event-ID moves on
                fields = {}

    async def _long_poll(self, connected: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, headers=self.headers) as client:
            if self.cursor is None:
                head = await client.get(f"{API}/events/head")
                if head.status_code != 200:
                    raise Refused(f"{head.status_code}: {head.text[:200]}")
                self.cursor = head.json()["cursor"]
            connected.set()
            while True:
                response = await client.get(
                    f"{API}/events", params={"after": self.cursor, "timeout": 2}, timeout=10
                )
                if response.status_code != 200:
                    raise Refused(f"{response.status_code}: {response.text[:200]}")
                body = response.json()
                for event in body["events"]:
                    self.events.append(event)
                self.cursor = body["cursor"]
