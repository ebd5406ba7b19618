"""The caller's own profile."""

from __future__ import annotations

from fastapi import APIRouter

from godkend.api.deps import CurrentPrincipal, ServicesDep
from godkend.api.schemas import MePublic
from godkend.services.context import Services
from godkend.services.directory import profile

router = APIRouter(tags=["me"])


async def me_public(svc: Services, user_id: int) -> MePublic:
    async with svc.db.connection() as s:
        row = await profile(s, user_id)
    return MePublic(
        id=row["id"],
        username=row["username"],
        name=row["name"],
        email=row["email"],
        org_unit=row["org_unit"],
        roles=list(row["roles"]),
    )


@router.get("/me", response_model=MePublic)
async def me(principal: CurrentPrincipal, svc: ServicesDep) -> MePublic:
    return await me_public(svc, principal.user_id)
