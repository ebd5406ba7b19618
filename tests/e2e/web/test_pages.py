"""Every page in both languages: axe-core finds nothing, the CSP holds, hostile text stays text."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Browser, Dialog, expect

from tests.e2e.web.conftest import (
    Person,
    Server,
    fill_date,
    login,
    open_person,
    run_axe,
    submit_ferie,
)

HOSTILE = "<script>alert(1)</script>"
HOSTILE_NOTE = '"><img src=x onerror=alert(2)>'


async def _axe_clean(person: Person, base: str, path: str) -> None:
    await person.goto(base, path)
    violations = await run_axe(person.page)
    assert violations == [], f"{person.username} {path}: {violations}"


@pytest.mark.parametrize("language", ["da", "en"])
async def test_every_page_passes_axe_in_both_languages(
    browser: Browser, server: Server, language: str
) -> None:
    base = server.base
    anna = await open_person(browser, server, "anna", language=language)
    request_id = await submit_ferie(
        anna.page, base, title="Sommerferie", start="2026-07-06", end="2026-07-24"
    )
    anna_pages = [
        f"/requests/{request_id}",
        "/inbox",
        "/requests",
        "/requests/new",
        "/requests/new/ferie",
        "/requests/new/udlaeg",
        "/requests/new/it-adgang",
        "/workflows",
        "/workflows/ferie",
        "/workflows/udlaeg",
        "/requests/999999",
    ]
    for path in anna_pages:
        await _axe_clean(anna, base, path)
    # A form with every error shown, next to its field.
    await anna.goto(base, "/requests/new/udlaeg")
    await anna.page.evaluate("document.querySelector('form.request-form').noValidate = true")
    await anna.page.evaluate(
        "document.querySelector('form.request-form').removeAttribute('data-validate')"
    )
    async with anna.page.expect_navigation():
        await anna.page.click("form.request-form button[type=submit]")
    assert await anna.page.locator(".form-error-message").count() >= 4
    assert (await run_axe(anna.page)) == []

    bo = await open_person(browser, server, "bo", language=language)
    for path in ["/inbox", f"/requests/{request_id}"]:
        await _axe_clean(bo, base, path)
    await bo.page.click("#gk-notify-button")
    assert (await run_axe(bo.page)) == []

    dorte = await open_person(browser, server, "dorte", language=language)
    await _axe_clean(dorte, base, "/audit")
    await _axe_clean(dorte, base, "/audit?status=pending")

    logged_out = await browser.new_context(locale="da-DK")
    page = await logged_out.new_page()
    if language == "en":
        await page.goto(f"{base}/language?lang=en&next=/login")
    await page.goto(f"{base}/login")
    assert await page.get_attribute("html", "lang") == language
    violations = await run_axe(page)
    assert violations == []
    for person in (anna, bo, dorte):
        assert not [e for e in person.console_errors if "Content Security Policy" in e]
        await person.context.close()
    await logged_out.close()


async def test_pages_are_danish_by_default_and_english_on_request(
    browser: Browser, server: Server
) -> None:
    anna = await open_person(browser, server, "anna")
    await anna.goto(server.base, "/inbox")
    assert await anna.page.get_attribute("html", "lang") == "da"
    await expect(anna.page.locator("h1")).to_have_text("Indbakke")
    await anna.page.click("a[hreflang=en]")
    await expect(anna.page.locator("h1")).to_have_text("Inbox")
    assert anna.page.url.endswith("/inbox")
    assert await anna.page.get_attribute("html", "lang") == "en"
    await anna.goto(server.base, "/requests/new/udlaeg")
    await expect(anna.page.locator("label[for=f-amount]")).to_contain_text("Amount (DKK)")
    await anna.context.close()


async def test_hostile_input_is_shown_as_text(browser: Browser, server: Server) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        pytest.fail(f"a script from user input ran: {dialog.message}")

    anna = await open_person(browser, server, "anna")
    anna.page.on("dialog", on_dialog)
    bo = await open_person(browser, server, "bo")
    bo.page.on("dialog", on_dialog)
    await bo.goto(server.base, "/inbox")
    await anna.goto(server.base, "/requests/new/ferie")
    await anna.page.fill("#f-title", HOSTILE)
    await fill_date(anna.page, "f-from", "2026-08-03")
    await fill_date(anna.page, "f-to", "2026-08-07")
    await anna.page.fill("#f-note", HOSTILE_NOTE)
    async with anna.page.expect_navigation():
        await anna.page.click("form.request-form button[type=submit]")
    await expect(anna.page.locator("h1.request-title")).to_have_text(HOSTILE)
    await expect(anna.page.locator(".field-list dd").last).to_have_text(HOSTILE_NOTE)
    assert await anna.page.locator("img[src=x]").count() == 0
    # Into bo's open inbox by a live update, or on reload where live updates are not running.
    row = bo.page.locator("td.title-cell", has_text=HOSTILE)
    try:
        await expect(row).to_be_visible(timeout=3000)
    except AssertionError:
        await bo.page.reload()
        await expect(row).to_be_visible()
    assert await bo.page.locator("img[src=x]").count() == 0
    assert dialogs == []
    await anna.context.close()
    await bo.context.close()


def test_forms_need_the_csrf_token_and_pages_send_a_strict_csp(server: Server) -> None:
    with httpx.Client(base_url=server.base, follow_redirects=False) as client:
        page = client.get("/login")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        # Without the login form's token the login is refused.
        refused = client.post("/login", data={"username": "anna", "password": "demo"})
        assert refused.status_code == 403
        done = client.post(
            "/login",
            data={"username": "anna", "password": "demo", "csrf_token": token.group(1)},
        )
        assert done.status_code == 303
        assert "godkend_session" in done.headers["set-cookie"]
        assert "httponly" in done.headers["set-cookie"].lower()
        # A form post without the session's CSRF token changes nothing.
        forged = client.post(
            "/requests/new/ferie",
            data={"title": "x", "fields.from": "2026-07-01", "fields.to": "2026-07-02"},
        )
        assert forged.status_code == 403
        mine = client.get("/requests")
        assert mine.status_code == 200
        assert "GK-" not in mine.text


async def test_login_page_keeps_people_out_and_says_why(browser: Browser, server: Server) -> None:
    context = await browser.new_context(locale="da-DK")
    page = await context.new_page()
    await page.goto(f"{server.base}/inbox")
    assert "/login" in page.url
    await login(page, server.base, "anna", password="wrong")
    await expect(page.locator("#username-error")).to_contain_text(
        "Forkert brugernavn eller adgangskode"
    )
    assert await page.get_attribute("#username", "aria-describedby") == "username-error"
    await login(page, server.base, "anna")
    assert page.url.endswith("/inbox")
    await context.close()
