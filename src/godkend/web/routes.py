"""The web UI's entry point: its `router` and `mount(app)` (pages, static files, headers, errors).

`mount` is called once by the app factory: `from godkend.web import routes; routes.mount(app)`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from godkend.domain import errors as e
from godkend.web.messages import translate_error
from godkend.web.pages import account, audit, catalogue, inbox, requests, submit
from godkend.web.security import SecurityHeaders
from godkend.web.templating import STATIC_DIR, STATIC_PREFIX, open_page, render

log = logging.getLogger(__name__)

Handler = Callable[[Request, Exception], Awaitable[Response]]

router = APIRouter(include_in_schema=False)
# /requests/new must come before /requests/{request_id}.
for _pages in (account, inbox, submit, requests, catalogue, audit):
    router.include_router(_pages.router)

_API_PREFIXES = ("/api/", "/docs", "/redoc", "/metrics", "/healthz", "/readyz")
_STATUS: tuple[tuple[type[e.GodkendError], int], ...] = (
    (e.Forbidden, 403),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.InvalidInput, 400),
    (e.InvalidInputs, 400),
    (e.DatabaseUnavailable, 503),
)


def mount(app: FastAPI) -> None:
    """Serve the pages and /static on `app`, with security headers and HTML error pages."""
    if getattr(app.state, "web_mounted", False):
        return
    app.state.web_mounted = True
    app.include_router(router)
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="static")
    https = settings_of_app(app).startswith("https://")
    app.add_middleware(SecurityHeaders, https=https)
    _install_error_pages(app)


def settings_of_app(app: FastAPI) -> str:
    settings = getattr(app.state, "settings", None)
    return str(getattr(settings, "public_base_url", ""))


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith(_API_PREFIXES)


def _install_error_pages(app: FastAPI) -> None:
    for kind in (e.GodkendError, StarletteHTTPException, RequestValidationError):
        previous = app.exception_handlers.get(kind)
        app.add_exception_handler(kind, _for_pages(previous))


def _for_pages(previous: Callable[..., Any] | None) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if not _is_page(request):
            if previous is None:
                raise exc
            result = previous(request, exc)
            response: Response = await result if inspect.isawaitable(result) else result
            return response
        return await error_page(request, exc)

    return handle


async def error_page(request: Request, exc: Exception) -> Response:
    """An HTML page for an error on a web page; not logged in means: to the login page."""
    if isinstance(exc, e.NotAuthenticated):
        target = quote(request.url.path, safe="/") if request.method == "GET" else "/inbox"
        return RedirectResponse(f"/login?next={target}", status_code=303)
    status = _status_of(exc)
    try:
        page = await open_page(request, login=False)
    except Exception:
        log.exception("cannot render the error page")
        return PlainTextResponse(f"{status}", status_code=status)
    _ = page.gettext
    if isinstance(exc, e.GodkendError):
        message = translate_error(exc, page.gettext, language=page.language)
        if isinstance(exc, e.NotFound):
            message = _("The page or request was not found, or you may not see it.")
    elif status == 404:
        message = _("The page or request was not found, or you may not see it.")
    else:
        message = _("Something went wrong. Try again.")
    titles = {403: _("Not allowed"), 404: _("Not found"), 409: _("Changed meanwhile")}
    return render(
        page,
        "error.html",
        title=titles.get(status, _("Error")),
        status_code=status,
        message=message,
        code=status,
    )


def _status_of(exc: Exception) -> int:
    if isinstance(exc, e.GodkendError):
        return next((code for cls, code in _STATUS if isinstance(exc, cls)), 500)
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code
    return 404  # a malformed id in a page's path is a page that does not exist
