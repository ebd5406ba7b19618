"""Real-time delivery benchmark: events/s through one instance, commit-to-client latency at scale.

    .venv/bin/python bench/realtime.py [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

Without --admin-url it runs a private embedded PostgreSQL: the read horizon is cluster-wide, so
other workloads' transactions on a shared server would show up as delivery latency here.
Creates a scratch database, loads the demo, starts `godkend serve` instances, streams over
WebSocket as the auditor (who receives every event: the fan-out worst case), and drops the
database afterwards. Clients, servers and PostgreSQL share the machine, so the figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import websockets

from godkend.services.context import Services
from godkend.services.demo import load_demo
from godkend.store import embedded
from godkend.store.db import PgDatabase
from godkend.store.embedded_process import free_port
from godkend.store.migrations import migrate_async

INSERT = (
    "INSERT INTO events (type, audience_roles, payload) "
    "SELECT 'request.reminder', '{auditor}', jsonb_build_object('type', 'request.reminder', "
    "'data', jsonb_build_object('n', n, 'b', $1::int)) FROM generate_series(1, $2::int) n"
)


AHEAD = 400


def with_database(url: str, name: str) -> str:
    head, _, _ = url.rpartition("/")
    return f"{head}/{name}"


def spawn(godkend: str, url: str, folder: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GODKEND_DATABASE_URL": url, "GODKEND_SECRET_KEY": "bench"}
    env["GODKEND_DATA_DIR"] = str(folder / str(port))
    with (folder / f"{port}.log").open("wb") as log:
        return subprocess.Popen(
            [godkend, "serve", "--no-migrate", "--port", str(port)], env=env, stdout=log, stderr=log
        )


async def start_instance(
    godkend: str, url: str, folder: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = spawn(godkend, url, folder, port)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(600):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return process, base
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"instance on {port} did not get ready")


async def session_cookie(base: str) -> str:
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post(
            "/api/v1/auth/login", json={"username": "dorte", "password": "demo"}
        )
        response.raise_for_status()
        return response.cookies["godkend_session"]


class Stream:
    """One WebSocket stream; records when each event arrived."""

    def __init__(self, base: str, cookie: str) -> None:
        self.url = base.replace("http://", "ws://") + "/api/v1/events/ws"
        self.cookie = cookie
        self.arrivals: dict[tuple[int, int], float] = {}
        self.count = 0
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        opened = asyncio.Event()
        self.task = asyncio.create_task(self._run(opened))
        await opened.wait()

    async def _run(self, opened: asyncio.Event) -> None:
        headers = {"Cookie": f"godkend_session={self.cookie}"}
        async with websockets.connect(self.url, additional_headers=headers, max_queue=None) as ws:
            opened.set()
            async for message in ws:
                now = time.monotonic()
                event = json.loads(message)
                if event["type"] == "system.reset":
                    raise SystemExit(f"a stream was reset: {event['data']}")
                data = event["data"]
                self.arrivals[(data["b"], data["n"])] = now
                self.count += 1

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


async def throughput(url: str, base: str, cookie: str, *, streams: int, events: int) -> float:
    """Sustained events per second through one instance to every one of its streams.

    The writer stays at most `AHEAD` events ahead of the slowest stream: a burst larger than a
    connection's queue would (by design) reset the connection instead of being delivered."""
    clients = [Stream(base, cookie) for _ in range(streams)]
    for c in clients:
        await c.start()
    conn = await asyncpg.connect(url)
    started = time.monotonic()
    batch, written = 100, 0
    while written < events:
        if written - min(c.count for c in clients) > AHEAD:
            await asyncio.sleep(0.001)
            continue
        await conn.execute(INSERT, written // batch, batch)
        await conn.execute("NOTIFY godkend_events_v1")
        written += batch
    while any(c.count < events for c in clients):
        if time.monotonic() - started > 120:
            raise SystemExit(f"throughput: only {[c.count for c in clients][:5]} of {events}")
        await asyncio.sleep(0.01)
    elapsed = time.monotonic() - started
    await conn.close()
    for c in clients:
        await c.stop()
    return events / elapsed


async def latency(
    url: str, bases: list[str], cookie: str, *, streams: int, events: int, rate: float
) -> list[float]:
    """Commit-return to arrival, per (event, stream), with streams spread over the instances."""
    clients = [Stream(bases[i % len(bases)], cookie) for i in range(streams)]
    for c in clients:
        await c.start()
    writer = await asyncpg.connect(url)
    waker = await asyncpg.connect(url)  # like an instance's notifier: NOTIFY after commit
    committed: dict[tuple[int, int], float] = {}
    for n in range(events):
        await writer.execute(INSERT, 10_000 + n, 1)
        committed[(10_000 + n, 1)] = time.monotonic()
        await waker.execute("NOTIFY godkend_events_v1")
        await asyncio.sleep(1 / rate)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(c.count >= events for c in clients):
            break
        await asyncio.sleep(0.05)
    await writer.close()
    await waker.close()
    samples = [
        arrived - committed[key]
        for c in clients
        for key, arrived in c.arrivals.items()
        if key in committed
    ]
    missing = streams * events - len(samples)
    for c in clients:
        await c.stop()
    if missing:
        print(f"  warning: {missing} deliveries missing")
    return samples


async def main(args: argparse.Namespace) -> None:
    name = f"godkend_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(args.admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(args.admin_url, name)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        await migrate_async(url)
        db = await PgDatabase.connect(url, min_size=1, max_size=2)
        await load_demo(Services(db=db))
        await db.close()
        folder = Path(tempfile.mkdtemp(prefix="gk-bench-"))
        started = [await start_instance(args.godkend, url, folder) for _ in range(2)]
        processes = [p for p, _ in started]
        bases = [b for _, b in started]
        cookie = await session_cookie(bases[0])
        for streams in (1, 20):
            rate = await throughput(url, bases[0], cookie, streams=streams, events=args.events)
            print(
                f"throughput, one instance, {streams} stream(s): {rate:,.0f} events/s "
                f"({rate * streams:,.0f} deliveries/s)"
            )
        samples = await latency(
            url, bases, cookie, streams=args.streams, events=args.latency_events, rate=args.rate
        )
        samples.sort()
        q = statistics.quantiles(samples, n=100)
        print(
            f"latency, {args.streams} streams over 2 instances, {args.latency_events} events at "
            f"{args.rate:.0f}/s ({len(samples)} deliveries): p50 {q[49] * 1000:.1f} ms, "
            f"p99 {q[98] * 1000:.1f} ms, max {samples[-1] * 1000:.1f} ms"
        )
    finally:
        for p in processes:
            p.send_signal(signal.SIGTERM)
        for p in processes:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--admin-url", help="a superuser URL (default: a private server)")
    parser.add_argument("--godkend", default=str(Path(sys.executable).with_name("godkend")))
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--latency-events", type=int, default=300)
    parser.add_argument("--rate", type=float, default=30.0)
    return parser.parse_args()


def run(args: argparse.Namespace) -> None:
    if args.admin_url:
        asyncio.run(main(args))
        return
    data_dir = Path(tempfile.mkdtemp(prefix="gk-bench-pg-")) / "data"
    try:
        with embedded.ChildServer(data_dir) as server:
            args.admin_url = server.info.url
            asyncio.run(main(args))
    finally:
        embedded.destroy(data_dir)


if __name__ == "__main__":
    run(parse())
