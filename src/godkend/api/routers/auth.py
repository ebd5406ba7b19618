"""Sessions, CSRF tokens and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from godkend.api.deps import (
    SESSION_COOKIE,
    CurrentPrincipal,
    ServicesDep,
    SettingsDep,
    authenticate,
)
from godkend.api.routers.me import me_public
from godkend.api.schemas import CsrfPublic, LoginCreate, LoginPublic, TokenCreate, TokenPublic
from godkend.domain.errors import Forbidden, NotAuthenticated
from godkend.services import auth

router = APIRouter(prefix="/auth", tags=["auth"])


def _check_origin(request: Request, base_url: str) -> None:
    # Login sets a cookie, so a cross-site page must not be able to log a browser in.
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") not in {
        base_url.rstrip("/"),
        _own_origin(request),
    }:
        raise Forbidden(f"cross-site login from {origin} refused")


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


@router.post("/login", response_model=LoginPublic)
async def login(
    body: LoginCreate, request: Request, response: Response, svc: ServicesDep, settings: SettingsDep
) -> LoginPublic:
    _check_origin(request, settings.public_base_url)
    result = await auth.do_login(
        svc, username=body.username, password=body.password, hours=settings.session_hours
    )
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.public_base_url.startswith("https://"),
        path="/",
    )
    secret: str = request.app.state.secret_key
    return LoginPublic(
        user=await me_public(svc, result.actor.user_id),
        csrf_token=auth.csrf_token(secret, result.token),
    )


@router.post("/logout", status_code=204)
async def logout(request: Request, _: CurrentPrincipal, svc: ServicesDep) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await auth.do_logout(svc, token=cookie)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/csrf", response_model=CsrfPublic)
async def csrf(request: Request) -> CsrfPublic | JSONResponse:
    principal = await authenticate(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if principal.session_hash is None or not cookie:
        raise NotAuthenticated("CSRF tokens belong to cookie sessions; bearer tokens need none")
    return CsrfPublic(csrf_token=auth.csrf_token(request.app.state.secret_key, cookie))


@router.post("/tokens", response_model=TokenPublic, status_code=201)
async def create_token(
    body: TokenCreate, principal: CurrentPrincipal, svc: ServicesDep
) -> TokenPublic:
    token_id, token = await auth.do_create_api_token(
        svc, name=body.name, days=body.expires_in_days, actor=principal.actor
    )
    return TokenPublic(id=token_id, token=token)
