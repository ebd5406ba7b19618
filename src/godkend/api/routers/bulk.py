"""Bulk decisions from the inbox: one decision on up to 100 requests, each its own transaction."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from godkend.api.deps import CurrentPrincipal, ServicesDep
from godkend.api.errors import godkend_problem
from godkend.api.schemas import Body, RequestPublic
from godkend.domain.engine import Verdict
from godkend.domain.errors import GodkendError
from godkend.services import queries
from godkend.services.bulk import MAX_BULK, do_decide_requests

RequestIdValue = Annotated[int, Field(ge=1, le=2**63 - 1)]

router = APIRouter(prefix="/inbox", tags=["requests"])


class BulkDecisionCreate(Body):
    request_ids: list[RequestIdValue] = Field(min_length=1, max_length=MAX_BULK)
    decision: Literal["approve", "reject", "return"]
    comment: str = Field(default="", max_length=10000)
    versions: dict[RequestIdValue, Annotated[int, Field(ge=1)]] | None = None
    """Optional: the version of each request as the caller saw it (a changed one is refused)."""


class BulkProblem(BaseModel):
    """The problem JSON (RFC 9457) the request would have had on its own, fields and all."""

    model_config = ConfigDict(extra="allow")

    type: str
    status: int
    title: str
    detail: str


class BulkItem(BaseModel):
    request_id: int
    status: Literal["ok", "error"]
    request: RequestPublic | None = None
    problem: BulkProblem | None = None


class BulkDecisionPublic(BaseModel):
    results: list[BulkItem]


@router.post(
    "/decisions",
    response_model=BulkDecisionPublic,
    response_model_exclude_unset=True,
)
async def decide_many(
    body: BulkDecisionCreate, principal: CurrentPrincipal, svc: ServicesDep
) -> dict[str, Any]:
    results = await do_decide_requests(
        svc,
        body.request_ids,
        verdict=Verdict(body.decision),
        comment=body.comment,
        versions=body.versions,
        actor=principal.actor,
    )
    items = []
    for result in results:
        if result.error is None:
            request = await queries.get_request(svc, result.request_id, actor=principal.actor)
            items.append({"request_id": result.request_id, "status": "ok", "request": request})
        else:
            items.append(
                {
                    "request_id": result.request_id,
                    "status": "error",
                    "problem": _problem(result.error),
                }
            )
    return {"results": items}


def _problem(error: GodkendError) -> dict[str, Any]:
    """The problem JSON this request would have had on its own (RFC 9457)."""
    body: dict[str, Any] = json.loads(bytes(godkend_problem(error).body))
    return body
