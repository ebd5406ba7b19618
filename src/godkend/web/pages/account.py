"""Logging in and out, and choosing the language."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from godkend.domain.errors import Forbidden, NotAuthenticated
from godkend.services import auth
from godkend.web import viewer as v
from godkend.web.i18n import LANGUAGES
from godkend.web.messages import translate_message
from godkend.web.templating import Page, open_page, render

router = APIRouter(include_in_schema=False)

MAX_USERNAME = 64
MAX_PASSWORD = 1024


@router.get("/")
async def home(request: Request) -> Response:
    page = await open_page(request, login=False)
    return RedirectResponse("/inbox" if page.viewer else "/login", status_code=303)


@router.get("/login")
async def login_form(request: Request, next: str = "/inbox") -> Response:
    page = await open_page(request, login=False)
    if page.viewer is not None:
        return RedirectResponse(v.local_path(next, default="/inbox"), status_code=303)
    return _login_page(page, next=next, username="", error="")


def _login_page(page: Page, *, next: str, username: str, error: str, status: int = 200) -> Response:
    token = v.login_csrf(page.request)
    response = render(
        page,
        "login.html",
        title=page.gettext("Log in"),
        status_code=status,
        next=v.local_path(next, default="/inbox"),
        username=username,
        error=error,
        login_csrf=token,
    )
    v.set_login_csrf_cookie(page.request, response, token)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    page = await open_page(request, login=False)
    form = await request.form()
    username = _field(form.get("username"), MAX_USERNAME)
    password = _field(form.get("password"), MAX_PASSWORD)
    target = v.local_path(_field(form.get("next"), 2000), default="/inbox")
    if not v.login_csrf_valid(request, form.get(v.CSRF_FIELD)) or not _same_origin(request):
        raise Forbidden("the login form is out of date or not from this site")
    try:
        if not username or not password:
            raise NotAuthenticated("wrong username or password")
        result = await auth.do_login(
            v.services_of(request),
            username=username,
            password=password,
            hours=v.settings_of(request).session_hours,
        )
    except NotAuthenticated as error:
        message = translate_message(error.message, page.gettext, number=str)
        return _login_page(page, next=target, username=username, error=message, status=401)
    response = RedirectResponse(target, status_code=303)
    v.set_session_cookie(request, response, result.token)
    response.delete_cookie(v.LOGIN_CSRF_COOKIE, path="/login")
    return response


def _field(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _same_origin(request: Request) -> bool:
    # A cross-site page must not be able to log a browser in (login CSRF), as in the API.
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = f"{request.url.scheme}://{request.url.netloc}"
    allowed = {own, v.settings_of(request).public_base_url.rstrip("/")}
    return origin.rstrip("/") in allowed


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await request.form()
    v.check_csrf(request, form)
    cookie = request.cookies.get(v.SESSION_COOKIE)
    if cookie:
        await auth.do_logout(v.services_of(request), token=cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(v.SESSION_COOKIE, path="/")
    return response


@router.get("/language")
async def language(request: Request, lang: str = "da", next: str = "/") -> Response:
    """Switch language (kept in a cookie) and go back where the person was."""
    response = RedirectResponse(v.local_path(next), status_code=303)
    if lang in LANGUAGES:
        v.set_language_cookie(request, response, lang)
    return response
