"""A real `godkend demo` process on a free port: the acceptance flow over real HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from godkend.store.embedded_process import free_port
from tests.integration.clients import API, assert_problem, decide, get, history, login, submit

GODKEND = str(Path(sys.executable).with_name("godkend"))
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


@dataclass
class DemoServer:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path
    data_dir: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=30)


async def _wait_until_healthy(server: DemoServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with server.client() as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                pytest.fail(f"godkend demo exited {server.process.returncode}:\n{server.output()}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    pytest.fail(f"godkend demo did not answer /healthz in {START_TIMEOUT} s:\n{server.output()}")


def _stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
    return process.returncode


@pytest.fixture
def demo_process(db_url: str, tmp_path: Path) -> Iterator[DemoServer]:
    port = free_port()
    log = tmp_path / "godkend.log"
    env = {
        **os.environ,
        "GODKEND_DATABASE_URL": db_url,
        "GODKEND_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("GODKEND_SECRET_KEY", None)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [GODKEND, "demo", "--port", str(port)], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    server = DemoServer(process, f"http://127.0.0.1:{port}", log, tmp_path / "data")
    try:
        yield server
    finally:
        _stop(process)


@pytest.fixture
async def demo(demo_process: DemoServer) -> DemoServer:
    await _wait_until_healthy(demo_process)
    return demo_process


async def test_demo_process_serves_the_acceptance_flow(demo: DemoServer) -> None:
    clients: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        clients.append(demo.client())
        return clients[-1]

    try:
        anna = await login(make, "anna")
        bo = await login(make, "bo")
        eva = await login(make, "eva")
        rid = (await submit(anna, title="Sommerferie"))["id"]
        assert [r["id"] for r in (await bo.get(f"{API}/inbox")).json()["data"]] == [rid]
        assert_problem(await eva.get(f"{API}/requests/{rid}"), 404)
        assert_problem(await decide(anna, rid, "approve"), 403)
        assert (await decide(bo, rid, "approve")).status_code == 200
        assert (await get(anna, rid))["status"] == "approved"
        entries = await history(anna, rid)
        assert [e["action"] for e in entries] == ["request.submit", "request.approve"]
        assert all(e["verified"] for e in entries)

        public = make()
        assert (await public.get("/healthz")).status_code == 200
        docs = await public.get("/docs")
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
        paths = (await public.get(f"{API}/openapi.json")).json()["paths"]
        for path in (
            "/auth/login",
            "/auth/logout",
            "/auth/csrf",
            "/auth/tokens",
            "/me",
            "/workflows",
            "/workflows/{key}",
            "/requests",
            "/inbox",
            "/requests/{request_id}",
            "/requests/{request_id}/decisions",
            "/requests/{request_id}/withdraw",
            "/requests/{request_id}/resubmit",
            "/requests/{request_id}/comments",
            "/requests/{request_id}/history",
        ):
            assert API + path in paths, path
    finally:
        for client in clients:
            await client.aclose()

    # GODKEND_DATA_DIR is where the generated secret key is kept.
    assert (demo.data_dir / "secret_key").stat().st_mode & 0o077 == 0
    output = demo.output()
    for username in ("anna", "bo", "carl", "dorte", "eva", "admin"):
        assert f"  {username} " in output, output
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal to die by it.
    assert _stop(demo.process) in (0, -signal.SIGTERM), demo.output()
    assert "Application shutdown complete" in demo.output()
