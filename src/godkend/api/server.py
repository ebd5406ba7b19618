"""How godkend runs under uvicorn: its settings, and a WebSocket protocol with one extension.

The extension (`WRITE_FRAME`, in the WebSocket scope's `extensions`) lets the event stream put
an already-serialised WebSocket frame straight on the connection's transport. The hub encodes
an event once and writes the same bytes to every recipient, in its routing loop: no task
switch, no ASGI message and no frame serialisation per recipient. Under any other ASGI server
the extension is absent and every frame goes through the ordinary ASGI `send`.
"""

from __future__ import annotations

from typing import Any

import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

from godkend.api.routers.events import WRITE_FRAME


class FrameWriter:
    """`write(frame_bytes) -> bool`: True once the bytes are on the transport; False when the
    connection cannot take them now (not open, closing, or its write buffer is above the
    high-water mark because the client reads slowly): the caller queues them instead."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol

    def __call__(self, data: bytes) -> bool:
        p = self._protocol
        if (
            p.close_sent
            or p.disconnected
            or p.conn.state is not State.OPEN
            or not p.writable.is_set()
            or p.transport.is_closing()
        ):
            return False
        p.transport.write(data)
        return True


class GodkendWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets sans-I/O protocol, offering `WRITE_FRAME` to the application."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # absent when the handshake was refused
        if scope is not None:
            scope["extensions"][WRITE_FRAME] = {"write": FrameWriter(self)}


def uvicorn_config(app: Any, **options: Any) -> uvicorn.Config:
    """uvicorn's Config for godkend: its WebSocket protocol, and no per-message deflate (event
    frames are small; compressing each for each recipient costs more CPU than it saves)."""
    return uvicorn.Config(app, ws=GodkendWebSocketProtocol, ws_per_message_deflate=False, **options)
