"""Request dependencies: the services, and who is asking (session cookie or bearer token)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from async_lru import alru_cache
from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from godkend.config import Settings
from godkend.domain.errors import Forbidden, NotAuthenticated
from godkend.domain.model import Actor
from godkend.services import auth
from godkend.services.context import Services

SESSION_COOKIE = auth.SESSION_COOKIE
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal(Actor):
    """An authenticated actor and the credential they came with."""

    session_hash: bytes | None = None
    token_hash: bytes | None = None

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.username, self.name, self.roles)


def services_of(conn: HTTPConnection) -> Services:
    svc: Services = conn.app.state.services
    return svc


def settings_of(conn: HTTPConnection) -> Settings:
    settings: Settings = conn.app.state.settings
    return settings


def bearer_token(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def authenticate(conn: HTTPConnection) -> Principal:
    """The caller, by bearer token or session cookie; NotAuthenticated if neither is valid."""
    svc = services_of(conn)
    token = bearer_token(conn)
    if token is not None:
        actor = await auth.token_actor(svc, token=token)
        if actor is None:
            raise NotAuthenticated("the bearer token is not valid")
        return Principal(**vars(actor), token_hash=auth.token_hash(token))
    cookie = conn.cookies.get(SESSION_COOKIE)
    if cookie:
        actor = await auth.session_actor(svc, token=cookie)
        if actor is not None:
            return Principal(**vars(actor), session_hash=auth.token_hash(cookie))
    raise NotAuthenticated()


class CredentialChecks:
    """The open streams' re-checks of the credential each was opened with (`still_valid`).

    One lookup per credential per `ttl` seconds for the whole instance, however many streams
    share the credential (a browser's tabs, a script's many streams), and concurrent checks of
    one credential share that lookup. A logout therefore ends a stream within the stream's
    check interval plus `ttl`.
    """

    def __init__(self, svc: Services, *, ttl: float = 1.0) -> None:
        self._svc = svc
        self._user_of = alru_cache(maxsize=100_000, ttl=ttl)(self._lookup)

    async def still_valid(self, principal: Principal) -> bool:
        return await self._user_of(principal.session_hash, principal.token_hash) == (
            principal.user_id
        )

    async def _lookup(self, session_hash: bytes | None, token_hash: bytes | None) -> int | None:
        return await auth.credential_user(
            self._svc, session_hash=session_hash, token_hash=token_hash
        )


async def principal_still_valid(conn: HTTPConnection, principal: Principal) -> bool:
    """False once the session is logged out or expired, or the token revoked (ends streams)."""
    checks: CredentialChecks = conn.app.state.credential_checks
    return await checks.still_valid(principal)


async def current_principal(request: Request) -> Principal:
    """The caller; cookie-authenticated unsafe requests must also carry the CSRF token."""
    principal = await authenticate(request)
    if principal.session_hash is not None and request.method not in SAFE_METHODS:
        cookie = request.cookies[SESSION_COOKIE]
        secret: str = request.app.state.secret_key
        if not auth.csrf_valid(secret, cookie, request.headers.get(CSRF_HEADER)):
            raise Forbidden(f"missing or wrong {CSRF_HEADER} header (GET /api/v1/auth/csrf)")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
ServicesDep = Annotated[Services, Depends(services_of)]
SettingsDep = Annotated[Settings, Depends(settings_of)]
