"""Lean WebSocket load driver: C connections on the websockets sans-I/O protocol, one process.

Reads a JSON job on argv[1], opens every connection, prints `ready`, records each message's
(seq, arrival time) until it reads `stop` on stdin (or its time limit), then writes a JSON result
and the arrivals (array of doubles: seq, time, ...) next to it. No per-message compression is
offered, so none is used. Speaks plain JSON frames (godkend, direct, broadcaster) and the
Engine.IO/Socket.IO v4 framing over WebSocket (socket.io).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import sys
import time
from array import array
from pathlib import Path
from typing import Any

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri


class Conn(asyncio.Protocol):
    """One client connection; reconnects (storm mode) to the next URL with its cursor."""

    def __init__(self, drv: Driver, idx: int, urls: list[str], headers: dict[str, str]) -> None:
        self.drv = drv
        self.idx = idx
        self.urls = urls
        self.url_i = idx % len(urls)
        self.headers = headers
        self.transport: asyncio.Transport | None = None
        self.proto: ClientProtocol | None = None
        self.opened = asyncio.get_running_loop().create_future()
        self.cursor: str | None = drv.job.get("cursor")
        self.seen: set[int] = set()
        self.dups = 0
        self.resets = 0
        self.connects = 0
        self.last_open = 0.0

    def url(self) -> str:
        base = self.urls[self.url_i]
        if self.cursor:
            return base + ("&" if "?" in base else "?") + "after=" + self.cursor
        return base

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        uri = parse_uri(self.url())
        self.proto = ClientProtocol(uri, max_size=2**20)
        await loop.create_connection(lambda: self, uri.host, uri.port)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        assert self.proto is not None
        request = self.proto.connect()
        for k, v in self.headers.items():
            request.headers[k] = v
        self.proto.send_request(request)
        self.flush()

    def flush(self) -> None:
        assert self.proto is not None
        assert self.transport is not None
        for data in self.proto.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()

    def data_received(self, data: bytes) -> None:
        proto = self.proto
        assert proto is not None
        proto.receive_data(data)
        now = time.time()
        for ev in proto.events_received():
            if isinstance(ev, Frame) and ev.opcode is Opcode.TEXT:
                self.on_text(bytes(ev.data).decode(), now)
            elif isinstance(ev, Response) and ev.status_code == 101:
                self.connects += 1
                self.last_open = now
                if not self.opened.done():
                    self.opened.set_result(True)
                if self.drv.mode == "sio":
                    proto.send_text(b"40")  # join the default namespace
        self.flush()

    def parse(self, text: str) -> dict[str, Any] | None:
        if self.drv.mode != "sio":
            body: dict[str, Any] = json.loads(text)
            return body
        if text == "2":
            assert self.proto is not None
            self.proto.send_text(b"3")  # Engine.IO pong
            return None
        if not text.startswith("42"):
            return None
        event: dict[str, Any] = json.loads(text[2:])[1]
        return event

    def on_text(self, text: str, now: float) -> None:
        drv = self.drv
        body = self.parse(text)
        if body is None:
            return
        if drv.mode == "decisions":
            if body.get("type") != "request.approved":
                return
            seq = body["request"]["id"]
        elif drv.mode == "godkend":
            if body.get("type") == "system.reset":
                self.resets += 1
                self.cursor = body.get("id")
                return
            self.cursor = body.get("id")
            seq = body.get("data", {}).get("s")
        else:
            seq = body.get("s")
        if seq is None:
            return
        drv.arrivals.append(float(seq))
        drv.arrivals.append(now)
        drv.count += 1
        if drv.track:
            if seq in self.seen:
                self.dups += 1
            else:
                self.seen.add(seq)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_result(False)
        if self.drv.reconnect and not self.drv.stopping:
            self.drv.lost_at.setdefault(self.idx, time.time())
            self.url_i = (self.url_i + 1) % len(self.urls)
            asyncio.get_running_loop().create_task(self.drv.redial(self))


class Driver:
    def __init__(self, job: dict[str, Any]) -> None:
        self.job = job
        self.mode: str = job["mode"]
        self.reconnect: bool = job.get("reconnect", False)
        self.track: bool = job.get("track", False)
        self.arrivals: array[float] = array("d")
        self.count = 0
        self.stopping = False
        self.lost_at: dict[int, float] = {}
        self.conns: list[Conn] = []

    async def redial(self, conn: Conn) -> None:
        for _ in range(100):  # bounded: 100 attempts, at most ~30 s
            await asyncio.sleep(random.uniform(0.05, 0.3))
            if self.stopping:
                return
            conn.opened = asyncio.get_running_loop().create_future()
            try:
                await conn.connect()
                if await asyncio.wait_for(conn.opened, 10):
                    return
            except (OSError, TimeoutError):
                pass
            conn.url_i = (conn.url_i + 1) % len(conn.urls)

    async def open_all(self) -> None:
        job = self.job
        urls: list[str] = job["urls"]
        headers: list[dict[str, str]] = job.get("headers") or [{}]
        self.conns = [Conn(self, i, urls, headers[i % len(headers)]) for i in range(job["clients"])]
        sem = asyncio.Semaphore(50)  # bounded handshake concurrency

        async def one(c: Conn) -> None:
            async with sem:
                for _ in range(20):
                    c.opened = asyncio.get_running_loop().create_future()
                    try:
                        await c.connect()
                        if await asyncio.wait_for(c.opened, 20):
                            return
                    except (OSError, TimeoutError):
                        pass
                    await asyncio.sleep(0.2)
                raise SystemExit(f"connection {c.idx} could not open")

        await asyncio.gather(*(one(c) for c in self.conns))

    async def run(self) -> dict[str, Any]:
        await self.open_all()
        print("ready", flush=True)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        limit = float(self.job.get("limit", 600))
        try:
            while True:
                line = await asyncio.wait_for(reader.readline(), limit)
                cmd = line.decode().strip()
                if cmd in ("stop", ""):
                    break
                if cmd == "count":
                    print(f"count {self.count}", flush=True)
                elif cmd.startswith("expect "):
                    self.job["expect"] = [int(x) for x in cmd.split()[1:3]]
                    print("ok", flush=True)
                elif cmd == "reset":
                    self.count = 0
                    self.arrivals = array("d")
                    print("ok", flush=True)
        except TimeoutError:
            pass
        self.stopping = True
        return self.result()

    def result(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        out: dict[str, Any] = {
            "count": self.count,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "resets": sum(c.resets for c in self.conns),
        }
        if self.track:
            lo, hi = self.job["expect"]
            expected = set(range(lo, hi + 1))
            out["lost"] = sum(len(expected - c.seen) for c in self.conns)
            out["dups"] = sum(c.dups for c in self.conns)
            out["reconnected"] = sum(1 for c in self.conns if c.connects > 1)
            out["resume_s"] = [
                c.last_open - self.lost_at[c.idx] for c in self.conns if c.idx in self.lost_at
            ]
        return out


async def main() -> None:
    job = json.loads(sys.argv[1])
    drv = Driver(job)
    result = await drv.run()
    path = job["out"]
    await asyncio.to_thread(Path(path + ".bin").write_bytes, drv.arrivals.tobytes())
    await asyncio.to_thread(Path(path).write_text, json.dumps(result))
    for c in drv.conns:
        if c.transport is not None:
            c.transport.abort()


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
    os._exit(0)
