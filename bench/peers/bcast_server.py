"""The broadcaster peer: encode's broadcaster (postgres backend), one subscription per instance
forwarding to a local set of sockets (its 0.3.x crashes when many sockets subscribe at once on a
fresh instance: encode/broadcaster#22)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

import uvicorn
from broadcaster import Broadcast
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

CHANNEL = "bench"
broadcast = Broadcast(sys.argv[2] if len(sys.argv) > 2 else "postgres://localhost/postgres")
SOCKETS: set[WebSocket] = set()


async def forward() -> None:
    async with broadcast.subscribe(channel=CHANNEL) as subscriber:
        async for event in subscriber:  # type: ignore[union-attr]
            for sock in list(SOCKETS):
                try:
                    await sock.send_text(event.message)
                except Exception:
                    SOCKETS.discard(sock)


async def ws(websocket: WebSocket) -> None:
    await websocket.accept()
    SOCKETS.add(websocket)
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        SOCKETS.discard(websocket)


@contextlib.asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    await broadcast.connect()
    task = asyncio.create_task(forward())
    yield
    task.cancel()
    await broadcast.disconnect()


app = Starlette(routes=[WebSocketRoute("/ws", ws)], lifespan=lifespan)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
