"""In-process stream clients of a Realtime runtime, and how to wait for what they receive."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from godkend.realtime.cursor import Cursor
from godkend.realtime.frames import Frame
from godkend.realtime.ports import Audience
from godkend.realtime.runtime import Realtime


@dataclass
class Client:
    """One stream's reader: it keeps every frame it gets."""

    name: str
    audience: Audience
    frames: list[Frame] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    @property
    def markers(self) -> list[str]:
        return [m for f in self.frames if (m := json.loads(f.text).get("marker"))]

    @property
    def last_cursor(self) -> Cursor | None:
        return self.frames[-1].cursor if self.frames else None


async def _consume(rt: Realtime, client: Client, after: Cursor | None) -> None:
    async with rt.stream(client.audience, after, transport="test") as stream:
        client.started.set()
        while not stream.closed:
            frame = await stream.next(0.5)
            if frame is not None:
                client.frames.append(frame)


async def connect(rt: Realtime, client: Client, after: Cursor | None = None) -> Client:
    client.started = asyncio.Event()
    client.task = asyncio.create_task(_consume(rt, client, after))
    async with asyncio.timeout(5):
        await client.started.wait()
    return client


async def disconnect(client: Client) -> None:
    if client.task is not None:
        client.task.cancel()
        await asyncio.gather(client.task, return_exceptions=True)


async def wait_until(done: Callable[[], bool], *, within: float) -> bool:
    deadline = time.monotonic() + within
    while not done():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True
