"""Substitutes: the caller's delegations (as the absent user and as the substitute)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import AwareDatetime, BaseModel, Field

from godkend.api.deps import CurrentPrincipal, ServicesDep
from godkend.api.schemas import Body
from godkend.services import delegations

DelegationId = Annotated[int, Path(ge=1, le=2**63 - 1)]
WorkflowKey = Annotated[str, Field(min_length=1, max_length=64)]

router = APIRouter(prefix="/delegations", tags=["delegations"])


class DelegationCreate(Body):
    substitute: str = Field(min_length=1, max_length=64)
    """The username of who decides in the caller's place."""
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    workflows: list[WorkflowKey] | None = Field(default=None, min_length=1, max_length=100)
    """Only these workflows (keys); absent or null: every workflow."""


class DelegationPerson(BaseModel):
    id: int
    username: str
    name: str


class DelegationPublic(BaseModel):
    id: int
    user: DelegationPerson
    substitute: DelegationPerson
    starts_at: datetime
    ends_at: datetime
    workflows: list[str] | None
    created_at: datetime
    revoked_at: datetime | None
    active: bool


class DelegationList(BaseModel):
    data: list[DelegationPublic]


@router.get("", response_model=DelegationList)
async def list_delegations(principal: CurrentPrincipal, svc: ServicesDep) -> dict[str, Any]:
    return {"data": await delegations.list_delegations(svc, actor=principal.actor)}


@router.post("", response_model=DelegationPublic, status_code=201)
async def create_delegation(
    body: DelegationCreate, principal: CurrentPrincipal, svc: ServicesDep, response: Response
) -> dict[str, Any]:
    delegation_id = await delegations.do_create_delegation(
        svc,
        substitute=body.substitute,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        workflows=body.workflows,
        actor=principal.actor,
    )
    response.headers["Location"] = f"/api/v1/delegations/{delegation_id}"
    return await delegations.get_delegation(svc, delegation_id, actor=principal.actor)


@router.get("/{delegation_id}", response_model=DelegationPublic)
async def get_delegation(
    delegation_id: DelegationId, principal: CurrentPrincipal, svc: ServicesDep
) -> dict[str, Any]:
    return await delegations.get_delegation(svc, delegation_id, actor=principal.actor)


@router.delete("/{delegation_id}", status_code=204)
async def revoke_delegation(
    delegation_id: DelegationId, principal: CurrentPrincipal, svc: ServicesDep
) -> Response:
    await delegations.do_revoke_delegation(svc, delegation_id, actor=principal.actor)
    return Response(status_code=204)
