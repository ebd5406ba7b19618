"""Published workflow definitions with their form schema."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from godkend.api.deps import CurrentPrincipal, ServicesDep
from godkend.services import workflows
from godkend.services.workflows import Published

router = APIRouter(prefix="/workflows", tags=["workflows"])


def _public(p: Published) -> dict[str, Any]:
    return {
        "key": p.key,
        "version": p.version,
        "published_at": p.published_at,
        **p.definition.model_dump(mode="json"),
    }


@router.get("")
async def list_workflows(_: CurrentPrincipal, svc: ServicesDep) -> dict[str, Any]:
    return {"data": [_public(p) for p in await workflows.list_latest(svc)]}


@router.get("/{key}")
async def get_workflow(key: str, _: CurrentPrincipal, svc: ServicesDep) -> dict[str, Any]:
    latest, versions = await workflows.get_latest(svc, key)
    return {
        **_public(latest),
        "versions": [
            {"version": v["version"], "published_at": v["published_at"]} for v in versions
        ],
    }
