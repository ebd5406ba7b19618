"""Real `godkend serve` processes on one database with the demo loaded, for the real-time tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from godkend.store.embedded_process import free_port

GODKEND = str(Path(sys.executable).with_name("godkend"))
START_TIMEOUT = 60.0


@dataclass
class Instance:
    """One `godkend serve` process."""

    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """kill -9: no shutdown, no goodbye to anybody."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


async def _ready(instance: Instance) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(base_url=instance.base_url, timeout=5) as client:
        while time.monotonic() < deadline:
            if instance.process.poll() is not None:
                pytest.fail(f"{instance.name} exited:\n{instance.output()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    pytest.fail(f"{instance.name} not ready in {START_TIMEOUT} s:\n{instance.output()[-3000:]}")


def _spawn(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [GODKEND, "serve", "--no-migrate", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


Launch = Callable[[int], Coroutine[Any, Any, list[Instance]]]


class Launcher:
    """Starts `godkend serve` processes on one database and stops them all at the end."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder
        self.started: list[Instance] = []

    async def launch(self, n: int) -> list[Instance]:
        batch = [self._start() for _ in range(n)]
        await asyncio.gather(*(_ready(x) for x in batch))
        return batch

    def _start(self) -> Instance:
        port, name = free_port(), f"instance{len(self.started)}"
        env = {
            **os.environ,
            "GODKEND_DATABASE_URL": self.url,
            "GODKEND_DATA_DIR": str(self.folder / name),
            # One secret for all: a session's CSRF token is valid on every instance.
            "GODKEND_SECRET_KEY": "e2e-realtime-secret",
        }
        process = _spawn(port, env, self.folder / f"{name}.log")
        instance = Instance(name, process, f"http://127.0.0.1:{port}", self.folder / f"{name}.log")
        self.started.append(instance)
        return instance

    def stop_all(self) -> None:
        for instance in self.started:
            instance.stop()


@pytest.fixture
async def instances(demo_db_url: str, tmp_path: Path) -> AsyncIterator[Launch]:
    """Start n `godkend serve` processes on the demo database; all stopped after the test."""
    launcher = Launcher(demo_db_url, tmp_path)
    yield launcher.launch
    launcher.stop_all()
