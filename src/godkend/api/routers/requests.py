"""Requests and the moves on them: submit, decide, withdraw, resubmit, comment, history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from godkend.api.deps import CurrentPrincipal, ServicesDep
from godkend.api.schemas import (
    CommentCreate,
    DecisionCreate,
    HistoryEntry,
    RequestCreate,
    RequestPage,
    RequestPublic,
    ResubmitBody,
    VersionBody,
)
from godkend.domain.engine import Verdict
from godkend.services import queries
from godkend.services import requests as actions

RequestId = Annotated[int, Path(ge=1, le=2**63 - 1)]

router = APIRouter(prefix="/requests", tags=["requests"])
inbox_router = APIRouter(tags=["requests"])


async def _fresh(
    svc: ServicesDep, request_id: RequestId, principal: CurrentPrincipal
) -> dict[str, Any]:
    return await queries.get_request(svc, request_id, actor=principal.actor)


@router.post("", response_model=RequestPublic, status_code=201)
async def submit(
    body: RequestCreate, principal: CurrentPrincipal, svc: ServicesDep, response: Response
) -> dict[str, Any]:
    request_id = await actions.do_submit_request(
        svc, workflow=body.workflow, title=body.title, fields=body.fields, actor=principal.actor
    )
    response.headers["Location"] = f"/api/v1/requests/{request_id}"
    return await _fresh(svc, request_id, principal)


@router.get("", response_model=RequestPage)
async def list_requests(
    principal: CurrentPrincipal,
    svc: ServicesDep,
    mine: bool = False,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)] = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    data, next_cursor = await queries.list_requests(
        svc, actor=principal.actor, mine=mine, status=status, limit=limit, cursor=cursor
    )
    return {"data": data, "next_cursor": next_cursor}


@inbox_router.get("/inbox", response_model=RequestPage)
async def inbox(
    principal: CurrentPrincipal,
    svc: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)] = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    data, next_cursor = await queries.inbox(svc, actor=principal.actor, limit=limit, cursor=cursor)
    return {"data": data, "next_cursor": next_cursor}


@router.get("/{request_id}", response_model=RequestPublic)
async def get_request(
    request_id: RequestId, principal: CurrentPrincipal, svc: ServicesDep
) -> dict[str, Any]:
    return await _fresh(svc, request_id, principal)


@router.post("/{request_id}/decisions", response_model=RequestPublic)
async def decide(
    request_id: RequestId, body: DecisionCreate, principal: CurrentPrincipal, svc: ServicesDep
) -> dict[str, Any]:
    await actions.do_decide_request(
        svc,
        request_id,
        verdict=Verdict(body.decision),
        comment=body.comment,
        version=body.version,
        actor=principal.actor,
    )
    return await _fresh(svc, request_id, principal)


@router.post("/{request_id}/withdraw", response_model=RequestPublic)
async def withdraw(
    request_id: RequestId,
    principal: CurrentPrincipal,
    svc: ServicesDep,
    body: VersionBody | None = None,
) -> dict[str, Any]:
    version = body.version if body else None
    await actions.do_withdraw_request(svc, request_id, version=version, actor=principal.actor)
    return await _fresh(svc, request_id, principal)


@router.post("/{request_id}/resubmit", response_model=RequestPublic)
async def resubmit(
    request_id: RequestId,
    principal: CurrentPrincipal,
    svc: ServicesDep,
    body: ResubmitBody | None = None,
) -> dict[str, Any]:
    body = body or ResubmitBody()
    await actions.do_resubmit_request(
        svc,
        request_id,
        title=body.title,
        fields=body.fields,
        version=body.version,
        actor=principal.actor,
    )
    return await _fresh(svc, request_id, principal)


@router.post("/{request_id}/comments", response_model=RequestPublic, status_code=201)
async def comment(
    request_id: RequestId, body: CommentCreate, principal: CurrentPrincipal, svc: ServicesDep
) -> dict[str, Any]:
    await actions.do_add_comment(svc, request_id, body=body.body, actor=principal.actor)
    return await _fresh(svc, request_id, principal)


@router.get("/{request_id}/history", response_model=list[HistoryEntry])
async def history(
    request_id: RequestId, principal: CurrentPrincipal, svc: ServicesDep
) -> list[dict[str, Any]]:
    return await queries.history(svc, request_id, actor=principal.actor)
