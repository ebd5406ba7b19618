"""Pages update live, without a reload: over WebSocket, over SSE when WebSocket is blocked, over
long-polling when both are, and across a server restart (what happened meanwhile is shown)."""

from __future__ import annotations

import asyncio
import time

import pytest
from playwright.async_api import Browser, Page, Route, WebSocketRoute, expect

from godkend.domain.engine import Verdict
from godkend.domain.model import Actor
from godkend.services import requests as actions
from godkend.services.context import Services
from godkend.store.db import PgDatabase
from tests.e2e.web.conftest import Person, Server, open_person, submit_ferie, wait_live

APPEAR_WITHIN = 1.0  # seconds, from the submission's commit to the row in bo's open inbox


async def _refuse_websocket(ws: WebSocketRoute) -> None:
    # Like a proxy that does not let the upgrade through: closed before it ever opens.
    await ws.close(code=1011, reason="upgrade refused")


async def _refuse(route: Route) -> None:
    await route.abort("connectionrefused")


async def block(page: Page, *, websocket: bool, sse: bool) -> None:
    if websocket:
        await page.route_web_socket("**/api/v1/events/ws*", _refuse_websocket)
    if sse:
        await page.route("**/api/v1/events/stream*", _refuse)


async def mark_page(page: Page) -> None:
    """A marker that a reload would wipe out: its presence later proves there was none."""
    await page.evaluate("window.__noReload = 'still here'")


async def not_reloaded(page: Page) -> bool:
    return bool(await page.evaluate("window.__noReload === 'still here'"))


async def _approve_live(anna: Person, bo: Person, server: Server, transport: str) -> None:
    """The scenario of the issue, over the transport the pages were left with."""
    await bo.goto(server.base, "/inbox")
    assert await wait_live(bo.page) == transport
    await mark_page(bo.page)
    title = f"Ferie over {transport}"
    started = time.monotonic()
    request_id = await submit_ferie(
        anna.page, server.base, title=title, start="2026-07-06", end="2026-07-17"
    )
    submitted = time.monotonic()
    row = bo.page.locator(f"tr[data-live-key='{request_id}']")
    await expect(row).to_be_visible(timeout=5000)
    appeared = time.monotonic()
    assert appeared - submitted <= APPEAR_WITHIN, (
        f"row appeared {appeared - submitted:.2f} s after the submission "
        f"({submitted - started:.2f} s to submit)"
    )
    await expect(row.locator("td.title-cell")).to_have_text(title)
    assert await not_reloaded(bo.page)

    # anna stays on her request's page; bo approves from his.
    assert await wait_live(anna.page) == transport
    await mark_page(anna.page)
    await expect(anna.page.locator(".status-badge")).to_have_text("Afventer")
    await bo.page.click(f"tr[data-live-key='{request_id}'] a")
    async with bo.page.expect_navigation():
        await bo.page.click("#approve-button")
    await expect(anna.page.locator(".status-badge")).to_have_text("Godkendt", timeout=5000)
    toast = anna.page.locator("#gk-toasts .toast", has_text="er godkendt")
    await expect(toast).to_be_visible()
    await expect(anna.page.locator("#gk-unread")).to_be_visible()
    assert int(await anna.page.locator("#gk-unread").get_attribute("data-count") or 0) >= 1
    await expect(anna.page.locator("#request-history tbody tr")).to_have_count(2)
    assert await not_reloaded(anna.page)
    assert not [e for e in anna.console_errors if "Content Security Policy" in e]


@pytest.mark.parametrize(
    ("blocked", "transport"),
    [((), "ws"), (("websocket",), "sse"), (("websocket", "sse"), "poll")],
    ids=["websocket", "sse-when-websocket-is-blocked", "long-poll-when-both-are-blocked"],
)
async def test_submission_and_approval_show_up_live(
    browser: Browser, server: Server, blocked: tuple[str, ...], transport: str
) -> None:
    anna = await open_person(browser, server, "anna")
    bo = await open_person(browser, server, "bo")
    for person in (anna, bo):
        await block(person.page, websocket="websocket" in blocked, sse="sse" in blocked)
    try:
        await _approve_live(anna, bo, server, transport)
    finally:
        await anna.context.close()
        await bo.context.close()


async def test_pages_catch_up_after_a_server_restart(browser: Browser, server: Server) -> None:
    anna = await open_person(browser, server, "anna")
    bo = await open_person(browser, server, "bo")
    first = await submit_ferie(
        anna.page, server.base, title="Før genstarten", start="2026-09-07", end="2026-09-11"
    )
    await bo.goto(server.base, "/inbox")
    await wait_live(anna.page)
    await wait_live(bo.page)
    await expect(bo.page.locator(f"tr[data-live-key='{first}']")).to_be_visible()
    for person in (anna, bo):
        await mark_page(person.page)

    await asyncio.to_thread(server.stop)
    # While no server runs, bo approves the first request and anna submits a second one,
    # straight through the services (as another instance of godkend would).
    second = await _meanwhile(server.database_url, approve=first)
    await expect(bo.page.locator("#gk-live-status")).to_have_attribute("data-state", "retry")
    await asyncio.to_thread(server.start)

    await expect(anna.page.locator(".status-badge")).to_have_text("Godkendt", timeout=20000)
    await expect(bo.page.locator(f"tr[data-live-key='{second}']")).to_be_visible(timeout=20000)
    await expect(bo.page.locator(f"tr[data-live-key='{first}']")).to_have_count(0)
    await expect(anna.page.locator("#gk-toasts .toast").first).to_be_visible()
    for person in (anna, bo):
        assert await not_reloaded(person.page)
        assert await wait_live(person.page) == "ws"
    await anna.context.close()
    await bo.context.close()


async def _meanwhile(database_url: str, *, approve: int) -> int:
    db = await PgDatabase.connect(database_url, min_size=1, max_size=1)
    try:
        svc = Services(db=db)
        async with db.connection() as s:
            rows = await s.fetch("list_users")
        ids = {r["username"]: (r["id"], r["name"], frozenset(r["roles"])) for r in rows}
        bo = Actor(ids["bo"][0], "bo", ids["bo"][1], ids["bo"][2])
        anna = Actor(ids["anna"][0], "anna", ids["anna"][1], ids["anna"][2])
        await actions.do_decide_request(
            svc, approve, verdict=Verdict.APPROVE, comment="", version=None, actor=bo
        )
        return await actions.do_submit_request(
            svc,
            workflow="ferie",
            title="Under genstarten",
            fields={"from": "2026-10-12", "to": "2026-10-16"},
            actor=anna,
        )
    finally:
        await db.close()
