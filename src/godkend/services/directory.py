"""The organisation as the services need it: actors, who a workflow step's approvers are, and
who stands in for whom (substitutes)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from godkend.domain.errors import NotFound
from godkend.domain.model import Actor
from godkend.domain.workflow import Approvers, WorkflowDefinition
from godkend.services.ports import Row, Session


def actor_from_row(row: Row) -> Actor:
    return Actor(
        user_id=row["id"], username=row["username"], name=row["name"], roles=frozenset(row["roles"])
    )


async def load_actor(session: Session, user_id: int) -> Actor:
    row = await session.fetchrow("get_user", user_id=user_id)
    if row is None or not row["is_active"]:
        raise NotFound("no such user", user_id=user_id)
    return actor_from_row(row)


async def resolve(session: Session, approvers: Approvers, *, requester_id: int) -> tuple[int, ...]:
    """The users who may decide a step for this requester, before segregation of duties."""
    if approvers.user is not None:
        row = await session.fetchrow("get_user_by_username", username=approvers.user)
        return (row["id"],) if row is not None and row["is_active"] else ()
    if approvers.manager is not None:
        return await managers_above(session, requester_id, levels=approvers.manager)
    if approvers.group is not None:
        rows = await session.fetch("group_member_ids", group_key=approvers.group)
        return tuple(r["user_id"] for r in rows)
    assert approvers.role is not None  # the model guarantees exactly one kind
    if approvers.org_unit is not None:
        unit = await session.fetchrow("get_org_unit_by_key", key=approvers.org_unit)
        if unit is None:
            return ()
        rows = await session.fetch(
            "role_holders_in_unit", role=approvers.role, org_unit_id=unit["id"]
        )
    else:
        requester = await session.fetchrow("get_user", user_id=requester_id)
        assert requester is not None
        rows = await session.fetch(
            "role_holders_nearest", role=approvers.role, org_unit_id=requester["org_unit_id"]
        )
    return tuple(r["user_id"] for r in rows)


async def managers_above(session: Session, user_id: int, *, levels: int) -> tuple[int, ...]:
    """The user's manager `levels` levels up (one at most), or nobody if the chain ends."""
    current = user_id
    for _ in range(levels):
        found = await session.fetchval("manager_of", user_id=current)
        if found is None:
            return ()
        current = found
    return (current,)


async def resolve_all(
    session: Session, definition: WorkflowDefinition, *, requester_id: int
) -> list[tuple[int, ...]]:
    return [
        await resolve(session, step.approvers, requester_id=requester_id)
        for step in definition.steps
    ]


async def substitutes_for(
    session: Session, user_ids: Iterable[int], *, workflow: str, at: datetime
) -> dict[int, int]:
    """Each of these users who is away from `workflow` at `at`, mapped to their substitute."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = await session.fetch("active_substitutes", user_ids=ids, workflow=workflow, at=at)
    return {r["user_id"]: r["substitute_id"] for r in rows}


async def profile(session: Session, user_id: int) -> Row:
    row = await session.fetchrow("get_user", user_id=user_id)
    if row is None:
        raise NotFound("no such user", user_id=user_id)
    return row
