"""The transports over a real server: the same scenario over WebSocket, SSE and long-poll."""

from __future__ import annotations

import asyncio
import hashlib
import json

import asyncpg
import httpx
import pytest
import websockets
from fastapi import FastAPI

from godkend.realtime.hub import Subscription
from godkend.realtime.runtime import Realtime
from tests.integration.realtime.actions import decide, expected_ids, head, requests_of, submit
from tests.integration.realtime.live import API, login, serving
from tests.integration.realtime.streams import wait_until
from tests.integration.realtime.transports import KINDS, EventClient


def report(capsys: pytest.CaptureFixture[str], title: str, lines: list[str]) -> None:
    with capsys.disabled():
        print(f"\n[{title}]\n  " + "\n  ".join(lines))


@pytest.mark.parametrize("kind", KINDS)
async def test_each_user_gets_exactly_their_events_live_on_resume_and_on_replay(
    kind: str, base_url: str, db: asyncpg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    await each_user_gets_exactly_their_events(kind, base_url, db, capsys)


async def test_websocket_without_direct_frame_writes_delivers_the_same(
    live_app: FastAPI, db: asyncpg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under an ASGI server without godkend's frame-writing extension, every frame goes
    through the ASGI send: same events, same order, same authorization."""
    rt: Realtime = live_app.state.realtime
    async with serving(live_app, plain=True) as plain_url:
        anna = await login(plain_url, "anna")
        client = await EventClient("ws", plain_url, headers=anna.headers, name="anna").start(None)
        await wait_until(lambda: len(rt.hub) == 1, within=5)
        assert [sub.sink for sub in _subscriptions(rt)] == [None]
        await client.stop()
        await each_user_gets_exactly_their_events("ws", plain_url, db, capsys, "plain uvicorn")


async def test_websocket_streams_under_godkend_serve_write_frames_directly(
    live_app: FastAPI, base_url: str
) -> None:
    rt: Realtime = live_app.state.realtime
    anna = await login(base_url, "anna")
    client = await EventClient("ws", base_url, headers=anna.headers, name="anna").start(None)
    await wait_until(lambda: len(rt.hub) == 1, within=5)
    sinks = [sub.sink for sub in _subscriptions(rt)]
    assert len(sinks) == 1
    assert sinks[0] is not None
    await client.stop()


def _subscriptions(rt: Realtime) -> set[Subscription]:
    return {sub for subs in rt.hub._by_user.values() for sub in subs}


async def each_user_gets_exactly_their_events(
    kind: str,
    base_url: str,
    db: asyncpg.Connection,
    capsys: pytest.CaptureFixture[str],
    server: str = "godkend serve",
) -> None:
    users = {name: await login(base_url, name) for name in ("anna", "bo", "eva", "dorte")}
    start = await head(users["anna"])
    streams = {
        name: await EventClient(kind, base_url, headers=u.headers, name=name).start(start)
        for name, u in users.items()
    }
    first = await submit(users["anna"], "Sommerferie")
    second = await submit(users["anna"], "Efterårsferie")
    await submit(users["eva"], "Evas ferie")
    await decide(users["bo"], first, "approve")
    # anna drops off; what happens meanwhile reaches her when she resumes with her cursor
    await streams["anna"].stop()
    await decide(users["bo"], second, "reject")
    await submit(users["anna"], "Juleferie")
    await streams["anna"].start(streams["anna"].cursor)
    expected = {name: await expected_ids(db, u, start) for name, u in users.items()}
    await wait_until(lambda: all(streams[n].ids == expected[n] for n in users) or False, within=15)
    # Late joiners replay everything since `start`, authorization re-checked.
    late = {
        name: await EventClient(kind, base_url, headers=users[name].headers, name=name).start(start)
        for name in ("eva", "dorte")
    }
    await wait_until(lambda: all(late[n].ids == expected[n] for n in late), within=15)
    for client in (*streams.values(), *late.values()):
        await client.stop()

    annas = await requests_of(db, "anna")
    lines = []
    for name, client in [*streams.items(), *((f"{n} (replay)", c) for n, c in late.items())]:
        want = expected[name.split()[0]]
        got = client.ids
        lost = len(set(want) - set(got))
        lines.append(
            f"{name}: expected {len(want)}, received {len(got)}, lost {lost}, "
            f"duplicated {len(got) - len(set(got))}"
        )
    report(capsys, f"{kind}: 4 users, 4 requests, anna resumed once ({server})", lines)
    for name, client in streams.items():
        assert client.ids == expected[name], name
    for name, client in late.items():
        assert client.ids == expected[name], f"{name} on replay"
    eva_sees = {e["request"]["id"] for e in streams["eva"].events + late["eva"].events}
    assert not eva_sees & annas  # eva never sees anna's requests, live or on replay
    assert {e["request"]["id"] for e in streams["dorte"].events} >= annas  # the auditor sees all
    assert len(expected["dorte"]) >= len(expected["anna"]) > 0


@pytest.mark.parametrize(("kind", "where"), [("ws", "api"), ("sse", "api"), ("ws", "web")])
async def test_logout_ends_the_sessions_streams_on_this_instance_at_once(
    kind: str, where: str, live_app: FastAPI, base_url: str
) -> None:
    rt: Realtime = live_app.state.realtime
    rt.sessions.seconds = 600  # no session round can be what ends it:
    rt.sessions.sweep_soon()  # one now, then none for ten minutes
    await asyncio.sleep(0.1)
    anna = await login(base_url, "anna")
    client = await EventClient(kind, base_url, headers=anna.headers, name="anna").start(None)
    async with anna.client() as http:
        if where == "api":
            assert (await http.post(f"{API}/auth/logout")).status_code == 204
        else:  # the web page's form
            form = {"csrf_token": anna.csrf}
            assert (await http.post("/logout", data=form)).status_code == 303
    async with asyncio.timeout(2):
        await client.ended.wait()
    await client.stop()
    if kind == "ws":
        assert client.closed_with == 4401


@pytest.mark.parametrize("kind", ["ws", "sse"])
async def test_a_session_ended_elsewhere_ends_the_stream_at_the_next_round(
    kind: str, base_url: str, db: asyncpg.Connection
) -> None:
    """As when another instance logs the session out, or it expires: the instance's session
    round (every 0.5 s here) finds it gone and ends the stream."""
    anna = await login(base_url, "anna")
    bo = await login(base_url, "bo")
    annas = await EventClient(kind, base_url, headers=anna.headers, name="anna").start(None)
    bos = await EventClient(kind, base_url, headers=bo.headers, name="bo").start(None)
    digest = hashlib.sha256(anna.session.encode()).digest()
    await db.execute("UPDATE sessions SET revoked_at = now() WHERE token_hash = $1", digest)
    async with asyncio.timeout(5):
        await annas.ended.wait()
    await asyncio.sleep(1.2)  # two more rounds: bo's stream, on a valid session, stays
    assert not bos.ended.is_set()
    await annas.stop()
    await bos.stop()
    if kind == "ws":
        assert annas.closed_with == 4401


async def test_websocket_refuses_cross_site_and_anonymous_handshakes(base_url: str) -> None:
    anna = await login(base_url, "anna")
    url = base_url.replace("http://", "ws://") + f"{API}/events/ws"
    for headers in (
        {**anna.headers, "Origin": "https://evil.example"},
        {"Origin": base_url},
    ):
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(url, additional_headers=headers):
                pass
        assert refused.value.response.status_code == 403
    async with websockets.connect(url, additional_headers={**anna.headers, "Origin": base_url}):
        pass


async def test_bad_cursors_and_anonymous_callers_are_refused(base_url: str) -> None:
    anna = await login(base_url, "anna")
    async with httpx.AsyncClient(base_url=base_url) as anonymous:
        for path in ("/events", "/events/head", "/events/stream"):
            assert (await anonymous.get(API + path)).status_code == 401
    async with anna.client() as client:
        response = await client.get(f"{API}/events", params={"after": "nonsense"})
        assert response.status_code == 422
        assert response.json()["field"] == "after"
        response = await client.get(f"{API}/events/stream", headers={"Last-Event-ID": "x"})
        assert response.status_code == 422
        response = await client.get(f"{API}/events", params={"after": "1:1", "timeout": 0})
        assert response.status_code == 200
        assert response.json()["events"] == []


async def test_sse_frames_carry_retry_id_and_type_and_heartbeats(base_url: str) -> None:
    anna = await login(base_url, "anna")
    start = await head(anna)
    lines: list[str] = []
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=None) as client,
        client.stream(
            "GET", f"{API}/events/stream", params={"after": start}, headers=anna.headers
        ) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        await submit(anna, "Sommerferie")
        async with asyncio.timeout(10):
            async for line in response.aiter_lines():
                lines.append(line)
                if ": heartbeat" in lines[:-2] and any(
                    x.startswith("data: ") and '"request.submitted"' in x for x in lines
                ):
                    break
    assert lines[:3] == ["retry: 2000", f"id: {start}", ""]  # resumable before any event
    messages = [m.splitlines() for m in "\n".join(lines).split("\n\n")]
    events = [m for m in messages if any(x.startswith("data: ") for x in m)]
    assert events
    for message in events:
        fields = dict(x.split(": ", 1) for x in message)
        assert fields["id"] == json.loads(fields["data"])["id"]
        assert fields["event"] == json.loads(fields["data"])["type"]
    heartbeats = [m for m in messages if m and m[0] == ": heartbeat"]
    assert heartbeats
    assert all(m[1].startswith("id: ") for m in heartbeats)


async def test_a_websocket_client_that_never_reads_is_cut_off_and_delays_nobody(
    live_app: FastAPI, base_url: str, db: asyncpg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    rt: Realtime = live_app.state.realtime
    dorte = await login(base_url, "dorte")
    start = await head(dorte)
    reader = await EventClient("ws", base_url, headers=dorte.headers, name="reader").start(start)
    # A raw WebSocket handshake, then never a read: the server's sends back up.
    stuck_r, stuck_w = await asyncio.open_connection("127.0.0.1", int(base_url.rsplit(":", 1)[1]))
    stuck_w.write(
        (
            f"GET {API}/events/ws?after={start} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            f"Cookie: godkend_session={dorte.session}\r\n\r\n"
        ).encode()
    )
    assert b"101" in await stuck_r.readline()
    await wait_until(lambda: len(rt.hub) == 2, within=5)
    big = json.dumps({"data": {"padding": "x" * 60_000}})
    for n in range(120):  # about 7 MB: more than the socket buffers hold
        await db.execute("SELECT godkend_publish('request.reminder', NULL, $1::jsonb)", big)
        if n % 10 == 9:
            await asyncio.sleep(0.05)  # bursts a reading client's queue (50 here) absorbs
    cut_off = await wait_until(lambda: len(rt.hub) == 1, within=10)
    got_all = await wait_until(lambda: len(reader.events) == 120, within=10)
    await reader.stop()
    stuck_w.close()
    report(
        capsys,
        "never reads (WebSocket)",
        [
            f"sent 120 events of 60 kB; the reading client received {len(reader.events)}, "
            f"duplicated {len(reader.ids) - len(set(reader.ids))}; "
            f"the stuck client was cut off: {cut_off}"
        ],
    )
    assert got_all
    assert cut_off
    assert len(set(reader.ids)) == 120
