"""The whole path from request to approval with the keyboard alone, with visible focus."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.e2e.web.conftest import Server, open_person, submit_ferie

# The focused element shows an outline or a box shadow of its own (WCAG 2.4.7).
FOCUS_VISIBLE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return false;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    return outline || style.boxShadow !== 'none';
}"""


class Keyboard:
    """Tabbing through a page, checking that every stop shows where the focus is."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.invisible: list[str] = []

    async def tab_to(self, predicate: str, *, limit: int = 60, backwards: bool = False) -> None:
        """Press Tab until `predicate` (JS over `el`, the focused element) holds."""
        for _ in range(limit):
            await self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            described = await self.page.evaluate(
                "() => { const el = document.activeElement;"
                " return el ? el.tagName + '#' + el.id + ' ' + (el.textContent || '').trim()"
                ".slice(0, 40) : '' }"
            )
            if not await self.page.evaluate(FOCUS_VISIBLE):
                self.invisible.append(described)
            if await self.page.evaluate(
                f"() => {{ const el = document.activeElement; return !!({predicate}); }}"
            ):
                return
        raise AssertionError(f"no element matching {predicate} within {limit} tabs")

    async def type(self, text: str) -> None:
        await self.page.keyboard.type(text)

    async def press(self, key: str) -> None:
        await self.page.keyboard.press(key)


def link(text: str) -> str:
    return f"el.tagName === 'A' && el.textContent.trim() === {text!r}"


async def login_by_keyboard(keys: Keyboard, base: str, username: str) -> None:
    await keys.page.goto(f"{base}/login")
    await keys.tab_to("el.id === 'username'")
    await keys.type(username)
    await keys.tab_to("el.id === 'password'")
    await keys.type("demo")
    async with keys.page.expect_navigation():
        await keys.press("Enter")
    assert keys.page.url.endswith("/inbox")


async def follow(keys: Keyboard, predicate: str) -> None:
    """Tab to a link or button and press Enter on it."""
    await keys.tab_to(predicate)
    async with keys.page.expect_navigation():
        await keys.press("Enter")


async def test_request_to_approval_with_the_keyboard_alone(
    browser: Browser, server: Server
) -> None:
    anna_context = await browser.new_context(locale="da-DK", timezone_id="Europe/Copenhagen")
    keys = Keyboard(await anna_context.new_page())
    page = keys.page
    await page.goto(f"{server.base}/login")
    # The first stop is the skip link, and it leads into the page's content.
    await keys.tab_to("el.classList.contains('skipnav')", limit=1)
    await keys.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main-content"
    await login_by_keyboard(keys, server.base, "anna")
    await follow(keys, link("Ny anmodning"))
    await follow(keys, link("Ferie"))
    await keys.tab_to("el.id === 'f-title'")
    await keys.type("Efterårsferie")
    for field, date in (("f-from", "12 10 2026"), ("f-to", "16 10 2026")):
        day, month, year = date.split()
        for part, value in (("day", day), ("month", month), ("year", year)):
            await keys.tab_to(f"el.id === '{field}-{part}'")
            await keys.type(value)
    await follow(keys, "el.type === 'submit' && el.closest('form.request-form')")
    await expect(page.locator(".status-badge")).to_have_attribute("data-status", "pending")
    reference = (await page.locator(".request-ref").inner_text()).split(" ")[0]

    bo_context = await browser.new_context(locale="da-DK", timezone_id="Europe/Copenhagen")
    bo_keys = Keyboard(await bo_context.new_page())
    await login_by_keyboard(bo_keys, server.base, "bo")
    await follow(bo_keys, link(reference))
    await follow(bo_keys, "el.id === 'approve-button'")
    await expect(bo_keys.page.locator(".status-badge")).to_have_text("Godkendt")

    await page.reload()
    await expect(page.locator(".status-badge")).to_have_text("Godkendt")
    assert keys.invisible == [], f"focus not visible on: {keys.invisible}"
    assert bo_keys.invisible == [], f"focus not visible on: {bo_keys.invisible}"
    await anna_context.close()
    await bo_context.close()


async def test_rejecting_without_a_reason_is_caught_next_to_the_field(
    browser: Browser, server: Server
) -> None:
    anna = await open_person(browser, server, "anna")
    request_id = await submit_ferie(
        anna.page, server.base, title="Vinterferie", start="2026-02-09", end="2026-02-13"
    )
    bo = await open_person(browser, server, "bo")
    await bo.goto(server.base, f"/requests/{request_id}")
    keys = Keyboard(bo.page)
    await keys.tab_to("el.id === 'reject-button'")
    await keys.press("Enter")
    # Caught in the browser: the summary takes the focus and links to the field's message.
    summary = bo.page.locator("#error-summary")
    await expect(summary).to_be_focused()
    comment = bo.page.locator("#decision-comment")
    await expect(comment).to_have_attribute("aria-invalid", "true")
    described = await comment.get_attribute("aria-describedby") or ""
    message = bo.page.locator(f"#{described.split()[-1]}")
    await expect(message).to_contain_text("begrundelse")
    # And on the server, when the browser check is bypassed.
    await bo.page.evaluate(
        "document.querySelector('#reject-button').removeAttribute('data-needs-comment')"
    )
    async with bo.page.expect_navigation():
        await bo.page.click("#reject-button")
    await expect(bo.page.locator("#decision-comment-error")).to_contain_text("begrundelse")
    assert await comment.get_attribute("aria-describedby") == "decision-comment-error"
    await expect(bo.page.locator(".status-badge")).to_have_attribute("data-status", "pending")
    await anna.context.close()
    await bo.context.close()


async def test_bulk_approval_from_the_inbox(browser: Browser, server: Server) -> None:
    anna = await open_person(browser, server, "anna")
    first = await submit_ferie(
        anna.page, server.base, title="Uge 28", start="2026-07-06", end="2026-07-10"
    )
    second = await submit_ferie(
        anna.page, server.base, title="Uge 29", start="2026-07-13", end="2026-07-17"
    )
    bo = await open_person(browser, server, "bo")
    await bo.goto(server.base, "/inbox")
    keys = Keyboard(bo.page)
    for request_id in (first, second):
        await keys.tab_to(f"el.id === 'select-{request_id}'")
        await keys.press("Space")
    await keys.tab_to("el.id === 'bulk-approve'")
    async with bo.page.expect_navigation():
        await keys.press("Enter")
    await expect(bo.page.locator(".page-notice")).to_contain_text("2 anmodning(er) godkendt")
    await expect(bo.page.locator("tbody[data-live-rows] tr")).to_have_count(0)
    for request_id in (first, second):
        await anna.goto(server.base, f"/requests/{request_id}")
        await expect(anna.page.locator(".status-badge")).to_have_text("Godkendt")
    await anna.context.close()
    await bo.context.close()
