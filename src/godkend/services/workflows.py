"""Published workflow definitions: publishing new versions and loading the ones requests use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from godkend.domain.definitions import definition_digest, load_definition
from godkend.domain.errors import InvalidInput, NotFound
from godkend.domain.workflow import WorkflowDefinition
from godkend.services.context import Services
from godkend.services.ports import Row, Session


@dataclass(frozen=True)
class Published:
    """One published version of a workflow."""

    id: int
    key: str
    version: int
    definition: WorkflowDefinition
    published_at: datetime


# Published versions never change, so parsing each once per process is safe (not business state).
_parsed: dict[int, WorkflowDefinition] = {}


def _from_row(row: Row) -> Published:
    definition = _parsed.get(row["id"])
    if definition is None:
        definition = WorkflowDefinition.model_validate(row["definition"])
        _parsed[row["id"]] = definition
    return Published(row["id"], row["key"], row["version"], definition, row["published_at"])


async def latest(session: Session, key: str) -> Published:
    row = await session.fetchrow("latest_workflow", key=key)
    if row is None:
        raise InvalidInput(f"unknown workflow {key!r}", field="workflow")
    return _from_row(row)


async def by_version_id(session: Session, version_id: int) -> Published:
    row = await session.fetchrow("workflow_version_by_id", id=version_id)
    if row is None:
        raise NotFound("workflow version not found", id=version_id)
    return _from_row(row)


async def list_latest(svc: Services) -> list[Published]:
    async with svc.db.connection() as s:
        return [_from_row(r) for r in await s.fetch("latest_workflows")]


async def get_latest(svc: Services, key: str) -> tuple[Published, list[Row]]:
    async with svc.db.connection() as s:
        row = await s.fetchrow("latest_workflow", key=key)
        if row is None:
            raise NotFound(f"no workflow {key!r}", key=key)
        return _from_row(row), await s.fetch("workflow_versions_of", key=key)


async def known_roles(session: Session) -> frozenset[str]:
    return frozenset(r["key"] for r in await session.fetch("list_roles"))


async def do_publish_workflow(
    svc: Services, text: str, *, source: str, actor_id: int | None = None
) -> tuple[Published, bool]:
    """Validate and publish; a changed definition becomes a new version, an unchanged one is kept.

    Returns the published version and whether it is new.
    """
    async with svc.db.transaction() as s:
        definition = load_definition(text, source=source, known_roles=await known_roles(s))
        digest = definition_digest(definition)
        await s.execute("lock_workflow_key", key=definition.key)
        current = await s.fetchrow("latest_workflow", key=definition.key)
        if current is not None and current["digest"] == digest:
            return _from_row(current), False
        version = 1 if current is None else current["version"] + 1
        payload: dict[str, Any] = definition.model_dump(mode="json")
        new_id = await s.fetchval(
            "insert_workflow_version",
            key=definition.key,
            version=version,
            definition=payload,
            source=text,
            digest=digest,
            published_by=actor_id,
        )
        row = await s.fetchrow("workflow_version_by_id", id=new_id)
        assert row is not None
        return _from_row(row), True
