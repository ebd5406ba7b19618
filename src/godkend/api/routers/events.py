"""The event transports (CONTRACT §4): head, long-poll, SSE and WebSocket, one cursor semantics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, Header, Query, Request, WebSocket
from fastapi.responses import Response, StreamingResponse
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketState

from godkend.api.deps import CurrentPrincipal, Principal, authenticate, credential_of
from godkend.domain.errors import DatabaseUnavailable, GodkendError
from godkend.realtime import sse
from godkend.realtime.cursor import Cursor, parse_cursor
from godkend.realtime.delivery import Ended, pump
from godkend.realtime.frames import Frame
from godkend.realtime.ports import Audience
from godkend.realtime.runtime import Realtime
from godkend.realtime.stream import EventStream

log = logging.getLogger(__name__)
T = TypeVar("T")
router = APIRouter(tags=["events"])

# WebSocket close codes after the handshake (4xxx: application-defined).
WS_SESSION_ENDED = 4401  # logged out or expired: do not reconnect without logging in
WS_RESYNC = 4409  # fell behind: system.reset was sent; reload, then reconnect
WS_TRY_AGAIN = 1013  # the database is unavailable right now: reconnect with the cursor
WS_POLICY = 1008  # refused at the handshake (cross-site, unauthenticated, bad cursor)
MAX_WAIT = 60.0
# An ASGI extension the server may offer in a WebSocket scope (godkend's own uvicorn protocol,
# api/server.py does): {"write": (frame_bytes) -> bool}, a non-blocking write of a whole frame.
WRITE_FRAME = "godkend.websocket.write_frame"


def realtime_of(conn: HTTPConnection) -> Realtime:
    rt: Realtime | None = getattr(conn.app.state, "realtime", None)
    if rt is None:
        raise DatabaseUnavailable("real-time delivery is not running")
    return rt


def audience_of(principal: Principal) -> Audience:
    return Audience(principal.user_id, frozenset(principal.roles))


def parse_after(after: str | None, *, field: str = "after") -> Cursor | None:
    return None if after is None or after == "" else parse_cursor(after, field=field)


@router.get("/events/head")
async def events_head(request: Request, principal: CurrentPrincipal) -> dict[str, str]:
    """The current end of the stream: pass it as `after` to get only what happens from now."""
    return {"cursor": str(realtime_of(request).head())}


@router.get("/events")
async def events_long_poll(
    request: Request,
    principal: CurrentPrincipal,
    after: str | None = None,
    timeout: Annotated[float, Query(ge=0, le=MAX_WAIT)] = 25.0,  # noqa: ASYNC109 -- CONTRACT §4
) -> Response:
    """Long-poll: the events after `after` at once if there are any, else wait up to `timeout` s."""
    rt = realtime_of(request)
    frames, cursor = await rt.poll(audience_of(principal), parse_after(after), wait=timeout)
    # Each event is already JSON (encoded once, in the hub); splice, do not re-encode.
    body = '{"events":[' + ",".join(f.text for f in frames) + '],"cursor":"' + str(cursor) + '"}'
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get("/events/stream")
async def events_sse(
    request: Request,
    principal: CurrentPrincipal,
    after: str | None = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> Response:
    """SSE: a reconnecting browser's Last-Event-ID wins over `after`."""
    rt = realtime_of(request)
    if last_event_id:
        cursor = parse_after(last_event_id, field="Last-Event-ID")
    else:
        cursor = parse_after(after)
    stream = rt.stream(audience_of(principal), cursor, transport="sse")
    await stream.__aenter__()  # before the 200: a listener that is not up yet gives a 503

    async def run(write: Callable[[bytes], Awaitable[None]]) -> None:
        try:
            await write(sse.preamble(stream.position))
            with rt.sessions.watching(credential_of(principal), stream):
                await pump(
                    rt,
                    stream,
                    send=lambda frames: write(b"".join(sse.event(f) for f in frames)),
                    heartbeat=lambda: write(sse.heartbeat(stream.position)),
                )
        except GodkendError as e:
            log.warning("SSE stream ended: %s", e)  # the browser reconnects with Last-Event-ID

    return EventStreamResponse(run, on_close=stream.close)


class EventStreamResponse(StreamingResponse):
    """text/event-stream whose writes can time out and which stops when the client goes."""

    def __init__(
        self,
        run: Callable[[Callable[[bytes], Awaitable[None]]], Awaitable[None]],
        *,
        on_close: Callable[[], None],
    ) -> None:
        super().__init__(
            iter(()),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
        self._run = run
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def write(chunk: bytes) -> None:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

        async def until_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await until_gone(self._run(write), until_disconnect())
            with contextlib.suppress(Exception):  # the client may already be gone
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self._on_close()  # the hub must forget this client however the response ended


class EventSocket:
    """ASGI middleware serving the event WebSocket (`path`) ahead of the HTTP middleware and
    FastAPI's routing. An open stream keeps its whole call stack for as long as it is open
    (hours, for a browser tab), and that stack of middleware and routing frames was a fifth
    of an idle stream's memory; none of it applies to this endpoint (no body, no HTML, its own
    authentication and error handling). Everything else passes through."""

    def __init__(self, app: ASGIApp, *, path: str) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and _route_path(scope) == self.path:
            websocket = WebSocket(scope, receive, send)
            await events_ws(websocket, websocket.query_params.get("after"))
            return
        await self.app(scope, receive, send)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def events_ws(websocket: WebSocket, after: str | None = None) -> None:
    """One JSON event per text frame. Refused (403) when cross-site or unauthenticated."""
    if not same_origin(websocket):
        await websocket.close(WS_POLICY, "cross-site WebSocket refused")
        return
    try:
        principal = await authenticate(websocket)
        cursor = parse_after(after)
    except GodkendError as e:
        await websocket.close(WS_POLICY, e.message[:120])
        return
    code, reason = WS_TRY_AGAIN, "the event stream is unavailable; reconnect"
    try:
        # Subscribed before the handshake completes: "from now" means from the 101.
        async with realtime_of(websocket).stream(
            audience_of(principal), cursor, transport="ws"
        ) as stream:
            await websocket.accept()
            fast = (websocket.scope.get("extensions") or {}).get(WRITE_FRAME)
            if fast is not None:
                write: Callable[[bytes], bool] = fast["write"]

                def write_ws(frame: Frame) -> bool:
                    return write(frame.ws_wire or frame.ws())  # the hub's hot loop: no call

                stream.deliver_directly(write_ws)
            code, reason = await _serve_ws(realtime_of(websocket), websocket, stream, principal)
    except GodkendError as e:
        log.warning("WebSocket stream ended: %s", e)
        if websocket.client_state is WebSocketState.CONNECTING:
            await websocket.accept()  # so the client sees 1013 and retries, not a bare 403
    with contextlib.suppress(Exception):  # the client may already be gone
        await websocket.close(code, reason)


async def _serve_ws(
    rt: Realtime, websocket: WebSocket, stream: EventStream, principal: Principal
) -> tuple[int, str]:
    async def send(frames: Sequence[Frame]) -> None:
        for frame in frames:
            await websocket.send_text(frame.text)

    # No heartbeat frames: the server (uvicorn) pings at the protocol level.
    with rt.sessions.watching(credential_of(principal), stream):
        ended = await until_gone(
            pump(rt, stream, send=send, heartbeat=None), _until_ws_disconnect(websocket)
        )
    if ended is Ended.SESSION:
        return WS_SESSION_ENDED, "the session has ended"
    if ended is Ended.RESET:
        return WS_RESYNC, "fell behind: reload, then reconnect"
    if ended is Ended.SEND_TIMEOUT:
        return WS_TRY_AGAIN, "not reading fast enough"
    return WS_TRY_AGAIN, "the stream was closed; reconnect with the cursor"


async def _until_ws_disconnect(websocket: WebSocket) -> None:
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass  # the stream is one-way; whatever the client sends is ignored


async def until_gone(work: Awaitable[T], gone: Awaitable[None]) -> T | None:
    """Run `work` in this task while one more task waits for the client to go (`gone`);
    the client going first cancels `work` and gives None. One task per stream, not two:
    idle streams are most of an instance's memory."""
    current = asyncio.current_task()
    assert current is not None
    watcher = asyncio.ensure_future(gone)
    watching = True

    def on_gone(_: object) -> None:
        if watching:  # runs soon after `gone` ends; `work` may have ended meanwhile
            current.cancel()

    watcher.add_done_callback(on_gone)
    try:
        return await work
    except asyncio.CancelledError:
        if not watcher.done() or current.uncancel() > 0:
            raise  # cancelled from outside (shutdown), not by the client going
        return None
    finally:
        watching = False
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await watcher


def same_origin(conn: HTTPConnection) -> bool:
    """A browser always sends Origin on a WebSocket: it must be godkend's public URL, or the
    host the browser itself connected to (a cross-site page cannot forge either)."""
    origin = conn.headers.get("origin")
    if origin is None:
        return True  # not a browser (a script with a bearer token): nothing to hijack
    scheme = {"ws": "http", "wss": "https"}.get(conn.url.scheme, conn.url.scheme)
    own = f"{scheme}://{conn.url.netloc}"
    allowed = {_normal_origin(conn.app.state.settings.public_base_url), _normal_origin(own)}
    return _normal_origin(origin) in allowed


def _normal_origin(url: str) -> str:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return "invalid"
    default = {"http": 80, "https": 443}.get(scheme)
    host = (parts.hostname or "").lower()
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")
