"""Substitutes: a user names who decides in their place for a period (for every workflow or only
some); open requests move to the substitute when the period starts and back when it ends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from godkend.domain.errors import Conflict, InvalidInput, NotFound
from godkend.domain.model import Actor
from godkend.services import audit, routing
from godkend.services.context import Services
from godkend.services.ports import Row, Session

MAX_LENGTH = timedelta(days=366)
MAX_CURRENT = 20  # delegations per user not yet over: plenty for every absence
MAX_LISTED = 200
MAX_WORKFLOWS = 100


async def do_create_delegation(
    svc: Services,
    *,
    substitute: str,
    starts_at: datetime,
    ends_at: datetime,
    workflows: Sequence[str] | None,
    actor: Actor,
) -> int:
    """Name `substitute` (a username) to decide in the actor's place; returns the delegation id."""
    now = svc.clock()
    _check_period(starts_at, ends_at, now)
    async with svc.db.transaction() as s:
        substitute_id = await _substitute_id(s, substitute, actor)
        keys = await _workflow_keys(s, workflows)
        if await s.fetchval("count_current_delegations", user_id=actor.user_id, now=now) >= (
            MAX_CURRENT
        ):
            raise Conflict(f"you already have {MAX_CURRENT} substitutes named; revoke one first")
        delegation_id: int = await s.fetchval(
            "insert_delegation",
            user_id=actor.user_id,
            substitute_id=substitute_id,
            starts_at=starts_at,
            ends_at=ends_at,
            workflows=keys,
            now=now,
            created_by=actor.user_id,
        )
        await _audit(s, actor, "delegation.created", delegation_id, now=now)
        if starts_at <= now:
            await routing.reroute_for_user(s, actor.user_id, now=now, actor=actor)
    svc.wake()
    return delegation_id


async def do_revoke_delegation(svc: Services, delegation_id: int, *, actor: Actor) -> None:
    """End a delegation now: the absent user, the substitute (declining) or an admin may."""
    now = svc.clock()
    async with svc.db.transaction() as s:
        row = await s.fetchrow("lock_delegation", delegation_id=delegation_id)
        if row is None or not _may_revoke(row, actor):
            raise NotFound("delegation not found", delegation_id=delegation_id)
        if row["revoked_at"] is not None:
            raise Conflict("the delegation is already revoked", delegation_id=delegation_id)
        await s.execute("revoke_delegation", delegation_id=delegation_id, now=now)
        await _audit(s, actor, "delegation.revoked", delegation_id, now=now)
        if row["starts_at"] <= now:
            await routing.reroute_for_user(s, row["user_id"], now=now, actor=actor)
    svc.wake()


async def list_delegations(svc: Services, *, actor: Actor) -> list[dict[str, Any]]:
    """The actor's delegations, as the absent user and as the substitute, newest first."""
    now = svc.clock()
    async with svc.db.connection() as s:
        rows = await s.fetch("delegations_of_user", user_id=actor.user_id, limit=MAX_LISTED)
    return [delegation_json(r, now=now) for r in rows]


async def get_delegation(svc: Services, delegation_id: int, *, actor: Actor) -> dict[str, Any]:
    async with svc.db.connection() as s:
        row = await s.fetchrow("get_delegation", delegation_id=delegation_id)
    if row is None or actor.user_id not in (row["user_id"], row["substitute_id"]):
        raise NotFound("delegation not found", delegation_id=delegation_id)
    return delegation_json(row, now=svc.clock())


async def apply_delegation_changes(svc: Services, *, limit: int = 10) -> int:
    """The scheduler's part: re-route for delegations that started or ended since the last pass.

    Each instance claims different delegations (SKIP LOCKED); re-routing is idempotent, so a
    pass that dies half-way is simply done again by the next.
    """
    now = svc.clock()
    async with svc.db.transaction() as s:
        claimed = await s.fetch("claim_delegation_changes", now=now, limit=limit)
        for row in claimed:
            await routing.reroute_for_user(s, row["user_id"], now=now, actor=None)
            await s.execute("mark_delegation_applied", delegation_id=row["id"], now=now)
    if claimed:
        svc.wake()
    return len(claimed)


def delegation_json(row: Row, *, now: datetime) -> dict[str, Any]:
    return {
        "id": row["id"],
        "user": _who(row, "user"),
        "substitute": _who(row, "substitute"),
        "starts_at": row["starts_at"],
        "ends_at": row["ends_at"],
        "workflows": None if row["workflows"] is None else list(row["workflows"]),
        "created_at": row["created_at"],
        "revoked_at": row["revoked_at"],
        "active": row["revoked_at"] is None and row["starts_at"] <= now < row["ends_at"],
    }


def _who(row: Row, prefix: str) -> dict[str, Any]:
    return {
        "id": row[f"{prefix}_id"],
        "username": row[f"{prefix}_username"],
        "name": row[f"{prefix}_name"],
    }


def _check_period(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput("give a time zone (e.g. 2026-07-01T08:00:00+02:00)", field=field)
    if ends_at <= starts_at:
        raise InvalidInput("must be after starts_at", field="ends_at")
    if ends_at <= now:
        raise InvalidInput("must be in the future", field="ends_at")
    if ends_at - starts_at > MAX_LENGTH:
        raise InvalidInput(f"a delegation lasts at most {MAX_LENGTH.days} days", field="ends_at")


async def _substitute_id(s: Session, username: str, actor: Actor) -> int:
    row = await s.fetchrow("get_user_by_username", username=username)
    if row is None or not row["is_active"]:
        raise InvalidInput(f"no user {username!r}", field="substitute")
    if row["id"] == actor.user_id:
        raise InvalidInput("you cannot be your own substitute", field="substitute")
    return int(row["id"])


async def _workflow_keys(s: Session, workflows: Sequence[str] | None) -> list[str] | None:
    """None means every workflow; otherwise the given, known keys."""
    if workflows is None:
        return None
    keys = list(dict.fromkeys(workflows))
    if not keys or len(keys) > MAX_WORKFLOWS:
        raise InvalidInput(f"name between 1 and {MAX_WORKFLOWS} workflows", field="workflows")
    known = {r["key"] for r in await s.fetch("published_workflow_keys", keys=keys)}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise InvalidInput(f"unknown workflow {unknown[0]!r}", field="workflows")
    return keys


def _may_revoke(row: Row, actor: Actor) -> bool:
    return actor.is_admin or actor.user_id in (row["user_id"], row["substitute_id"])


async def _audit(
    s: Session, actor: Actor, action: str, delegation_id: int, *, now: datetime
) -> None:
    row = await s.fetchrow("get_delegation", delegation_id=delegation_id)
    assert row is not None
    await audit.append(
        s,
        request_id=None,
        actor_id=actor.user_id,
        action=action,
        data={
            "delegation": delegation_id,
            "user": row["user_username"],
            "substitute": row["substitute_username"],
            "starts_at": row["starts_at"].isoformat(),
            "ends_at": row["ends_at"].isoformat(),
            "workflows": row["workflows"],
        },
        at=now,
    )
