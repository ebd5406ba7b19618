"""`make screenshots`: the pictures in docs/screenshots/, taken from a real server and browser.

Skipped in `make test` (they would rewrite tracked files); GODKEND_SCREENSHOTS=1 takes them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.web.conftest import ROOT, Server, open_person, submit_ferie, wait_live

SHOTS = ROOT / "docs" / "screenshots"

pytestmark = pytest.mark.skipif(
    not os.environ.get("GODKEND_SCREENSHOTS"), reason="set GODKEND_SCREENSHOTS=1 to take them"
)


async def test_take_screenshots(browser: Browser, server: Server) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    anna = await open_person(browser, server, "anna")
    bo = await open_person(browser, server, "bo")
    for title, start, end in (
        ("Sommerferie med familien", "2026-07-06", "2026-07-24"),
        ("Efterårsferie", "2026-10-12", "2026-10-16"),
    ):
        await submit_ferie(anna.page, server.base, title=title, start=start, end=end)
    await bo.goto(server.base, "/inbox")
    await bo.page.check("tbody tr:first-child input[type=checkbox]")
    await shot(bo.page, "inbox.png")

    await anna.goto(server.base, "/requests/new/udlaeg")
    await anna.page.fill("#f-title", "Togbillet til konference i Aarhus")
    await anna.page.fill("#f-amount", "12.345,5")
    await anna.page.select_option("#f-category", "course")
    await anna.page.click("form.request-form button[type=submit]")
    await expect(anna.page.locator("#error-summary")).to_be_focused()
    await shot(anna.page, "new-request-form.png")

    request_id = await submit_ferie(
        anna.page, server.base, title="Juleferie", start="2026-12-21", end="2027-01-01"
    )
    await wait_live(anna.page)
    await bo.goto(server.base, f"/requests/{request_id}")
    async with bo.page.expect_navigation():
        await bo.page.click("#approve-button")
    await expect(anna.page.locator("#gk-toasts .toast", has_text="er godkendt")).to_be_visible()
    await anna.page.evaluate("window.scrollTo(0, 0)")
    await shot(anna.page, "request-detail-with-toast.png", full_page=False)

    await anna.goto(server.base, "/workflows/udlaeg")
    await shot(anna.page, "workflow-diagram.png")
    await anna.context.close()
    await bo.context.close()


async def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    path: Path = SHOTS / name
    await page.screenshot(path=str(path), full_page=full_page)
