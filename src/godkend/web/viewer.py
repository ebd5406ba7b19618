"""Who is looking at a page: the API's session cookie, the form CSRF token and the language cookie.

The web layer sits below the API in the layer rules, so it cannot import `godkend.api.deps`; it
uses the same cookie (`godkend_session`, set by either login) and the same services.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from godkend.config import Settings
from godkend.domain.errors import Forbidden, NotAuthenticated
from godkend.domain.model import Actor
from godkend.services import auth
from godkend.services.context import Services
from godkend.services.directory import profile
from godkend.web.i18n import language_or_default

SESSION_COOKIE = auth.SESSION_COOKIE
LANGUAGE_COOKIE = "godkend_lang"
LOGIN_CSRF_COOKIE = "godkend_login_csrf"
CSRF_FIELD = "csrf_token"
ONE_YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Viewer:
    """A logged-in person looking at a page."""

    actor: Actor
    email: str
    org_unit: str
    csrf: str

    @property
    def user_id(self) -> int:
        return self.actor.user_id

    @property
    def name(self) -> str:
        return self.actor.name

    @property
    def is_auditor(self) -> bool:
        return self.actor.is_auditor


def services_of(conn: HTTPConnection) -> Services:
    svc: Services = conn.app.state.services
    return svc


def settings_of(conn: HTTPConnection) -> Settings:
    settings: Settings = conn.app.state.settings
    return settings


def secret_of(conn: HTTPConnection) -> str:
    secret: str = conn.app.state.secret_key
    return secret


def language_of(conn: HTTPConnection) -> str:
    return language_or_default(conn.cookies.get(LANGUAGE_COOKIE))


async def find_viewer(conn: HTTPConnection) -> Viewer | None:
    """The person behind the session cookie, or None (no cookie, logged out, expired)."""
    cookie = conn.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    svc = services_of(conn)
    actor = await auth.session_actor(svc, token=cookie)
    if actor is None:
        return None
    async with svc.db.connection() as s:
        row = await profile(s, actor.user_id)
    return Viewer(
        actor=actor,
        email=row["email"],
        org_unit=row["org_unit"],
        csrf=auth.csrf_token(secret_of(conn), cookie),
    )


async def require_viewer(conn: HTTPConnection) -> Viewer:
    viewer = await find_viewer(conn)
    if viewer is None:
        raise NotAuthenticated()
    return viewer


def check_csrf(request: Request, form: Any) -> None:
    """Every form that changes something carries the session's CSRF token."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    presented = form.get(CSRF_FIELD)
    if not cookie or not auth.csrf_valid(
        secret_of(request), cookie, presented if isinstance(presented, str) else None
    ):
        raise Forbidden("the form is out of date or not from this site; reload and try again")


def secure_cookies(conn: HTTPConnection) -> bool:
    """Cookies are `Secure` when godkend is served over HTTPS (directly or as configured)."""
    return conn.url.scheme == "https" or settings_of(conn).public_base_url.startswith("https://")


def set_session_cookie(conn: HTTPConnection, response: Response, token: str) -> None:
    """The same cookie, with the same flags, as `POST /api/v1/auth/login` sets."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings_of(conn).session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(conn),
        path="/",
    )


def set_language_cookie(conn: HTTPConnection, response: Response, language: str) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=ONE_YEAR,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(conn),
        path="/",
    )


def login_csrf(conn: HTTPConnection) -> str:
    """Before login there is no session: the login form uses a double-submit cookie instead."""
    return conn.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)


def set_login_csrf_cookie(conn: HTTPConnection, response: Response, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(conn),
        path="/login",
    )


def login_csrf_valid(request: Request, presented: object) -> bool:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    return (
        bool(cookie)
        and isinstance(presented, str)
        and secrets.compare_digest(cookie or "", presented)
    )


def local_path(target: str | None, *, default: str = "/") -> str:
    """A redirect target on this site only (no `//host` or `https://`: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
