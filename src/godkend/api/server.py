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

from godkend.api.routers.events import WRITE_FRAME


class GodkendWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets sans-I/O protocol, offering `WRITE_FRAME` to the application."""

    paused = False  # the transport's write buffer is above its high-water mark

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # absent when the handshake was refused
        if scope is not None:
            scope["extensions"][WRITE_FRAME] = {"write": self.write_frame}

    def write_frame(self, data: bytes) -> bool:
        """True once the whole frame `data` is on the transport; False when the connection
        cannot take it now (handshake not done, closing or closed, or the client reads so
        slowly that the write buffer is full): the caller queues it instead. Every path by
        which uvicorn ends a connection sets `close_sent` or closes the transport."""
        if self.close_sent or self.paused or not self.handshake_complete:
            return False
        transport = self.transport
        if transport.is_closing():
            return False
        transport.write(data)
        return True

    def pause_writing(self) -> None:
        super().pause_writing()
        self.paused = True

    def resume_writing(self) -> None:
        super().resume_writing()
        self.paused = False


def uvicorn_config(app: Any, **options: Any) -> uvicorn.Config:
    """uvicorn's Config for godkend: its WebSocket protocol, and no per-message deflate (event
    frames are small; compressing each for each recipient costs more CPU than it saves)."""
    return uvicorn.Config(app, ws=GodkendWebSocketProtocol, ws_per_message_deflate=False, **options)
