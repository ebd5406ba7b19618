"""Browser-test fixtures: real `godkend serve` processes on the demo data, headless Chromium.

Chromium is Debian's (`make test` installs it); Playwright drives it and never downloads one.
The demo is loaded once per session into a template database (argon2-hashing the demo
passwords takes seconds); each test's server gets a fresh clone of it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from godkend.store.embedded_process import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[3]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
START_TIMEOUT = 30.0


@dataclass
class Server:
    """One `godkend serve` process; `restart()` stops it and starts another on the same port."""

    database_url: str
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [str(Path(sys.executable).parent / "godkend"), "serve", "--no-migrate"]

    def start(self) -> None:
        env = {
            **os.environ,
            "GODKEND_DATABASE_URL": self.database_url,
            "GODKEND_DATA_DIR": str(self.folder / "data"),
            "GODKEND_SECRET_KEY": "web-tests-secret",
            "GODKEND_HOST": "127.0.0.1",
            "GODKEND_PORT": str(self.port),
        }
        self.starts += 1
        log = (self.folder / f"server-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [*self.command(), "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"godkend exited at start:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base}/login", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError(f"godkend did not start in {START_TIMEOUT} s:\n{self.log_tail()}")
        # Live updates need the outbox listener; /readyz says when it is connected (where the
        # events API exists at all: without credentials it answers 401, not 404).
        if httpx.get(f"{self.base}/api/v1/events/head", timeout=2.0).status_code == 404:
            return
        ready_by = time.monotonic() + 10.0
        while time.monotonic() < ready_by:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            # Open streams and long-polls hold a graceful shutdown up; a restart need not wait.
            self.process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        logs = sorted(self.folder.glob("server-*.log"))
        if not logs:
            return ""
        text = logs[-1].read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture
def server(demo_db_url: str, tmp_path: Path) -> Iterator[Server]:
    """A godkend serving the demo on a free port of the loopback interface."""
    srv = Server(database_url=demo_db_url, folder=tmp_path)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _chromium_present() -> bool:
    return os.access(CHROMIUM, os.X_OK)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not _chromium_present():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing: run `make chromium` (Debian's chromium package)")
    async with async_playwright() as p:
        launched = await p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Person:
    """One demo user in their own browser context, with what went wrong on their pages."""

    username: str
    context: BrowserContext
    page: Page
    console_errors: list[str] = field(default_factory=list)

    async def goto(self, base: str, path: str) -> None:
        await self.page.goto(base + path)


async def open_person(
    browser: Browser, server: Server, username: str, *, language: str = "da"
) -> Person:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="da-DK" if language == "da" else "en-GB",
        timezone_id="Europe/Copenhagen",
    )
    page = await context.new_page()
    person = Person(username, context, page)
    page.on(
        "console",
        lambda m: person.console_errors.append(m.text) if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: person.console_errors.append(str(e)))
    if language != "da":
        await page.goto(f"{server.base}/language?lang={language}&next=/login")
    await login(page, server.base, username)
    return person


async def login(page: Page, base: str, username: str, password: str = "demo") -> None:
    await page.goto(f"{base}/login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    async with page.expect_navigation():
        await page.click("form.login-form button[type=submit]")


async def wait_live(page: Page, seconds: float = 10.0) -> str:
    """Until the page's live client is connected; returns its transport (ws, sse or poll)."""
    # A function, not an expression: the page's CSP forbids eval, which an expression needs.
    await page.wait_for_function(
        "() => document.documentElement.dataset.liveState === 'live'", timeout=seconds * 1000
    )
    transport: str = await page.evaluate("document.documentElement.dataset.liveTransport")
    return transport


async def submit_ferie(page: Page, base: str, *, title: str, start: str, end: str) -> int:
    """Fill in and submit the ferie form; returns the new request's id."""
    await page.goto(f"{base}/requests/new/ferie")
    await page.fill("#f-title", title)
    await fill_date(page, "f-from", start)
    await fill_date(page, "f-to", end)
    async with page.expect_navigation():
        await page.click("form.request-form button[type=submit]")
    path = page.url.split("?")[0]
    assert "/requests/" in path, page.url
    return int(path.rsplit("/", 1)[1])


async def fill_date(page: Page, field_id: str, iso: str) -> None:
    """Type an ISO date into a date field's day, month and year boxes."""
    year, month, day = iso.split("-")
    for part, value in (("day", day), ("month", month), ("year", year)):
        await page.fill(f"#{field_id}-{part}", value)


async def run_axe(page: Page) -> list[dict[str, object]]:
    """axe-core (the npm package's file) on the page: its WCAG 2.1 A/AA violations."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, so the page's CSP does not block it.
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                                'best-practice']},
            });
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5)
                    .map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
        }"""
    )
    violations: list[dict[str, object]] = result
    return violations
