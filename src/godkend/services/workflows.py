"""Published workflow definitions: publishing new versions and loading the ones requests use."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from godkend.domain.definitions import definition_digest, load_definition
from godkend.domain.errors import InvalidDefinition, InvalidInput, NotFound
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
# Keyed by id *and* digest: one process may talk to several databases (tests, a restored backup),
# where one id can be two different definitions.
_parsed: dict[tuple[int, str], WorkflowDefinition] = {}

# What a workflow key can look like (domain.workflow.WorkflowKey); no other key can exist, and
# such text (a NUL character, 5000 characters) never needs to reach the database.
_KEY = re.compile(r"[a-z][a-z0-9_-]{0,63}")


def _from_row(row: Row) -> Published:
    cache_key = (int(row["id"]), str(row["digest"]))
    definition = _parsed.get(cache_key)
    if definition is None:
        definition = WorkflowDefinition.model_validate(row["definition"])
        _parsed[cache_key] = definition
    return Published(row["id"], row["key"], row["version"], definition, row["published_at"])


async def latest(session: Session, key: str) -> Published:
    if not _KEY.fullmatch(key):
        raise InvalidInput(f"unknown workflow {key[:64]!r}", field="workflow")
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
    if not _KEY.fullmatch(key):
        raise NotFound(f"no workflow {key[:64]!r}", key=key[:64])
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
    """Validate and publish one definition file (see `do_publish_workflows`)."""
    [result] = await do_publish_workflows(svc, [(source, text)], actor_id=actor_id)
    return result


async def do_publish_workflows(
    svc: Services, files: Sequence[tuple[str, str]], *, actor_id: int | None = None
) -> list[tuple[Published, bool]]:
    """Validate every (source, text) first, then publish all in one transaction, or none.

    A changed definition becomes a new version, an unchanged one is kept; each result says
    whether it is new. Every problem of every file is reported together.
    """
    async with svc.db.transaction() as s:
        definitions = await _load_all(s, files)
        results: list[tuple[Published, bool]] = []
        for (_, text), definition in zip(files, definitions, strict=True):
            results.append(await _publish(s, definition, text, actor_id=actor_id))
        return results


async def _load_all(s: Session, files: Sequence[tuple[str, str]]) -> list[WorkflowDefinition]:
    roles = await known_roles(s)
    units = frozenset(r["key"] for r in await s.fetch("list_org_unit_keys"))
    groups = frozenset(r["key"] for r in await s.fetch("list_group_keys"))
    definitions: list[WorkflowDefinition] = []
    problems: list[str] = []
    for source, text in files:
        try:
            definitions.append(
                load_definition(
                    text,
                    source=source,
                    known_roles=roles,
                    known_org_units=units,
                    known_groups=groups,
                )
            )
        except InvalidDefinition as e:
            problems.extend(e.problems)
    if problems:
        raise InvalidDefinition(problems, source=", ".join(source for source, _ in files))
    return definitions


async def _publish(
    s: Session, definition: WorkflowDefinition, text: str, *, actor_id: int | None
) -> tuple[Published, bool]:
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
