"""The "direct" peer: one process keeps a set of sockets and sends every message to each."""

from __future__ import annotations

import json
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

SOCKETS: set[WebSocket] = set()


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


async def publish(request: Request) -> PlainTextResponse:
    """A JSON list of messages; each is encoded once and sent to every socket."""
    for message in json.loads(await request.body()):
        text = json.dumps(message, separators=(",", ":"))
        for sock in list(SOCKETS):
            try:
                await sock.send_text(text)
            except Exception:
                SOCKETS.discard(sock)
    return PlainTextResponse("ok")


app = Starlette(routes=[WebSocketRoute("/ws", ws), Route("/publish", publish, methods=["POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
