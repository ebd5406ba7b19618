"""Request dependencies: the services, and who is asking (session cookie or bearer token)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Hashable
from dataclasses import dataclass
from typing import Annotated

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


# What an open stream is re-checked by: "session" or "token", its hash, and whose it was.
Credential = tuple[str, bytes, int]


def session_credential(session_hash: bytes, user_id: int) -> Credential:
    return "session", session_hash, user_id


def credential_of(principal: Principal) -> Credential:
    if principal.session_hash is not None:
        return session_credential(principal.session_hash, principal.user_id)
    assert principal.token_hash is not None, "a principal comes with a session or a token"
    return "token", principal.token_hash, principal.user_id


def credentials_check(svc: Services) -> Callable[[Collection[Hashable]], Awaitable[list[Hashable]]]:
    """SessionWatch's check: which of the open streams' credentials are still valid, and
    still the same user's."""

    async def still_valid(credentials: Collection[Hashable]) -> list[Hashable]:
        wanted = [c for c in credentials if isinstance(c, tuple)]
        users = await auth.credential_users(
            svc,
            session_hashes=[digest for kind, digest, _ in wanted if kind == "session"],
            token_hashes=[digest for kind, digest, _ in wanted if kind == "token"],
        )
        return [c for c in wanted if users.get(c[1]) == c[2]]

    return still_valid


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
