"""Rendering pages: one Jinja2 environment per language (autoescaped), and what every page shows.

A page is opened before its data is read (`open_page`), because that is when the event cursor
embedded in it is taken: the live client resumes from there, so an event committed between the
render and the connection is delivered, never lost ("subscribe, then snapshot").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from godkend.web import i18n, labels
from godkend.web.viewer import Viewer, find_viewer, language_of, require_viewer

WEB_DIR = Path(__file__).parent
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
STATIC_PREFIX = "/static"


@dataclass(frozen=True)
class NavItem:
    key: str
    href: str
    label: str


@dataclass
class Page:
    """One page being answered: who looks, in which language, and the event cursor at its start."""

    request: Request
    viewer: Viewer | None
    language: str
    head: str
    notices: list[tuple[str, str]] = field(default_factory=list)

    def gettext(self, message: str, **values: Any) -> str:
        text = i18n.translations(self.language).gettext(message)
        return text % values if values else text

    @property
    def formats(self) -> i18n.Formats:
        return i18n.Formats(self.language)


async def open_page(request: Request, *, login: bool = True) -> Page:
    """Start a page: the head cursor first, then the viewer (NotAuthenticated if `login`)."""
    head = head_cursor(request)
    viewer = await require_viewer(request) if login else await find_viewer(request)
    return Page(request=request, viewer=viewer, language=language_of(request), head=head)


def head_cursor(request: Request) -> str:
    """The event stream's head on this instance now; "" when live updates are not running."""
    realtime = getattr(request.app.state, "realtime", None)
    head = getattr(realtime, "head", None)
    if head is None:
        return ""
    try:
        return str(head())
    except Exception:  # not connected yet: the client asks /api/v1/events/head itself
        return ""


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    catalogue = i18n.translations(language)
    env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        static=static_url,
        languages=i18n.LANGUAGE_NAMES,
        status_label=lambda status: labels.status_label(status, catalogue.gettext),
        status_class=labels.status_class,
    )
    return env


@cache
def _asset_version(path: str) -> str:
    file = STATIC_DIR / path
    try:
        return hashlib.sha256(file.read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(path: str) -> str:
    """The URL of a static asset, versioned by its content so browsers may cache it long."""
    return f"{STATIC_PREFIX}/{path}?v={_asset_version(path)}"


def nav_items(page: Page) -> list[NavItem]:
    _ = page.gettext
    items = [
        NavItem("inbox", "/inbox", _("Inbox")),
        NavItem("mine", "/requests", _("My requests")),
        NavItem("new", "/requests/new", _("New request")),
        NavItem("workflows", "/workflows", _("Workflows")),
    ]
    if page.viewer is not None and page.viewer.is_auditor:
        items.append(NavItem("audit", "/audit", _("Audit")))
    return items


def render(
    page: Page,
    template: str,
    *,
    title: str,
    nav: str = "",
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    env = environment(page.language)
    _ = page.gettext
    config = {
        "lang": page.language,
        "cursor": page.head,
        "userId": page.viewer.user_id if page.viewer else None,
        "api": "/api/v1",
        "live": page.viewer is not None,
        "strings": i18n.js_strings(_),
    }
    body = env.get_template(template).render(
        page=page,
        lang=page.language,
        viewer=page.viewer,
        fmt=page.formats,
        title=title,
        nav=nav,
        nav_items=nav_items(page) if page.viewer else [],
        notices=page.notices,
        config=config,
        path=page.request.url.path,
        full_path=_full_path(page.request),
        **context,
    )
    response = HTMLResponse(body, status_code=status_code)
    # Pages show personal data: never from a shared cache, never from the back-forward cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _full_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")
