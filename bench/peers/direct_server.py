"""The "direct" peer: one process keeps a set of sockets and sends every message to each.

With `--floor` it is the "floor" limit instead: the same process, but each message is
serialised once as a WebSocket frame and the same bytes are written straight to every socket's
transport (godkend's own uvicorn protocol and frame writer), so nothing but one loopback write
per delivery is left: what no server that writes each recipient separately can go below.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.frames import Frame, Opcode

from godkend.api.routers.events import WRITE_FRAME
from godkend.api.server import uvicorn_config

SOCKETS: set[WebSocket] = set()
WRITERS: dict[WebSocket, Callable[[bytes], bool]] = {}


async def ws(websocket: WebSocket) -> None:
    await websocket.accept()
    SOCKETS.add(websocket)
    fast = websocket.scope["extensions"].get(WRITE_FRAME)
    if fast is not None:
        WRITERS[websocket] = fast["write"]
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        SOCKETS.discard(websocket)
        WRITERS.pop(websocket, None)


async def publish(request: Request) -> PlainTextResponse:
    """A JSON list of messages; each is encoded once and sent to every socket."""
    for message in json.loads(await request.body()):
        text = json.dumps(message, separators=(",", ":"))
        if WRITERS:
            wire = Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=())
            for write in WRITERS.values():
                write(wire)
            continue
        for sock in list(SOCKETS):
            try:
                await sock.send_text(text)
            except Exception:
                SOCKETS.discard(sock)
    return PlainTextResponse("ok")


app = Starlette(routes=[WebSocketRoute("/ws", ws), Route("/publish", publish, methods=["POST"])])

if __name__ == "__main__":
    options = {"host": "127.0.0.1", "port": int(sys.argv[1]), "log_level": "warning"}
    if "--floor" in sys.argv:
        uvicorn.Server(uvicorn_config(app, **options)).run()
    else:
        uvicorn.run(app, **options)
