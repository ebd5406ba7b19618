"""Published workflow definitions with their form schema, the definition JSON Schema, diagrams."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import PlainTextResponse, Response

from godkend.api.deps import CurrentPrincipal, ServicesDep
from godkend.domain.diagram import mermaid
from godkend.domain.errors import NotFound
from godkend.domain.workflow import WORKFLOW_KEY_PATTERN, definition_json_schema
from godkend.services import workflows
from godkend.services.context import Services
from godkend.services.ports import Row
from godkend.services.workflows import Published

router = APIRouter(prefix="/workflows", tags=["workflows"])

_KEY = re.compile(WORKFLOW_KEY_PATTERN)


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


# Registered before /{key}, which would otherwise take "schema" for a workflow key. Public: it
# describes the file format only, and editors fetch it without credentials.
@router.get("/schema")
async def definition_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a workflow definition file."""
    return definition_json_schema()


async def _latest(svc: Services, key: str) -> tuple[Published, list[Row]]:
    # A key no workflow can have (control characters, lone surrogates, 5000 characters) is
    # simply not found, without asking the database to encode it.
    if len(key) > 64 or not _KEY.fullmatch(key):
        raise NotFound(f"no workflow {key[:64]!r}", key=key[:64])
    return await workflows.get_latest(svc, key)


@router.get("/{key}")
async def get_workflow(key: str, _: CurrentPrincipal, svc: ServicesDep) -> dict[str, Any]:
    latest, versions = await _latest(svc, key)
    return {
        **_public(latest),
        "versions": [
            {"version": v["version"], "published_at": v["published_at"]} for v in versions
        ],
    }


@router.get("/{key}/diagram", response_model=None)
async def get_diagram(
    key: str,
    _: CurrentPrincipal,
    svc: ServicesDep,
    lang: Annotated[Literal["da", "en"], Query()] = "da",
    accept: Annotated[str, Header()] = "",
) -> dict[str, str] | Response:
    """The latest version as a Mermaid flowchart: `{"mermaid": ...}`, or the bare text when the
    caller accepts text/plain and not JSON."""
    latest, _versions = await _latest(svc, key)
    chart = mermaid(latest.definition, language=lang)
    if "text/plain" in accept and "application/json" not in accept:
        return PlainTextResponse(chart)
    return {"mermaid": chart}
