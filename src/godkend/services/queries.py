"""The read side: requests as the caller may see them, the inbox, and a request's history."""

from __future__ import annotations

import re
from typing import Any

from godkend.domain.engine import RequestState
from godkend.domain.errors import InvalidInput, NotFound
from godkend.domain.model import Actor
from godkend.services import audit
from godkend.services.context import Services
from godkend.services.ports import Row, Session

STATUSES = ("pending", "approved", "rejected", "returned", "withdrawn")
MAX_LIMIT = 200
MAX_ID = 2**63 - 1  # ids are bigint


def request_json(row: Row) -> dict[str, Any]:
    """A request as the API shows it (CONTRACT §4), with its step progress."""
    state = RequestState.from_json(row["state"])
    current = None if state.current_step is None else state.steps[state.current_step].key
    return {
        "id": row["id"],
        "reference_number": row["reference_number"],
        "workflow": {"key": row["workflow_key"], "version": row["workflow_version"]},
        "title": row["title"],
        "fields": row["fields"],
        "status": row["status"],
        "current_step": current,
        "steps": [
            {
                "key": s.key,
                "status": s.status.value,
                "approvals": len(s.approvals),
                "needed": s.needed,
            }
            for s in state.steps
        ],
        "requester": {"id": row["requester_id"], "name": row["requester_name"]},
        "pending_approvers": row["pending_approvers"],
        "version": row["version"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


async def _visible(s: Session, request_id: int, actor: Actor) -> bool:
    return bool(
        await s.fetchval(
            "can_see_request",
            request_id=request_id,
            user_id=actor.user_id,
            roles=sorted(actor.roles),
        )
    )


async def get_request(svc: Services, request_id: int, *, actor: Actor) -> dict[str, Any]:
    async with svc.db.connection() as s:
        row = await s.fetchrow("get_request", request_id=request_id)
        if row is None or not await _visible(s, request_id, actor):
            raise NotFound("request not found", request_id=request_id)
        return request_json(row)


async def list_requests(
    svc: Services,
    *,
    actor: Actor,
    mine: bool,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of visible requests, newest first; the cursor is the last id seen."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"must be one of {', '.join(STATUSES)}", field="status")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"must be between 1 and {MAX_LIMIT}", field="limit")
    before = _parse_page_cursor(cursor)
    async with svc.db.connection() as s:
        ids = await s.fetch(
            "list_visible_requests",
            before=before,
            status=status,
            mine=mine,
            user_id=actor.user_id,
            roles=sorted(actor.roles),
            limit=limit,
        )
        rows = await s.fetch("get_requests", ids=[r["id"] for r in ids])
    data = [request_json(r) for r in rows]
    next_cursor = str(data[-1]["id"]) if len(data) == limit else None
    return data, next_cursor


def _parse_page_cursor(cursor: str | None) -> int:
    if cursor is None:
        return MAX_ID
    # ASCII digits only: str.isdigit() also accepts '²', which int() refuses.
    if not re.fullmatch(r"[0-9]{1,19}", cursor) or int(cursor) > MAX_ID:
        raise InvalidInput("not a valid page cursor", field="cursor")
    return int(cursor)


async def inbox(
    svc: Services, *, actor: Actor, limit: int = MAX_LIMIT, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of what awaits the actor (also as substitute), newest first."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"must be between 1 and {MAX_LIMIT}", field="limit")
    async with svc.db.connection() as s:
        ids = await s.fetch(
            "inbox", user_id=actor.user_id, limit=limit, before=_parse_page_cursor(cursor)
        )
        rows = await s.fetch("get_requests", ids=[r["id"] for r in ids])
    data = [request_json(r) for r in rows]
    return data, str(data[-1]["id"]) if len(data) == limit else None


async def history(svc: Services, request_id: int, *, actor: Actor) -> list[dict[str, Any]]:
    """The request's audit entries, oldest first; `verified` is false from a broken link on."""
    async with svc.db.connection() as s:
        if not await _visible(s, request_id, actor):
            raise NotFound("request not found", request_id=request_id)
        entries = await s.fetch("audit_of_request", request_id=request_id)
    broken = audit.first_broken_link(entries)
    return [
        {
            "id": e["id"],
            "action": e["action"],
            "actor": None
            if e["actor_id"] is None
            else {"id": e["actor_id"], "name": e["actor_name"]},
            "at": e["at"],
            "data": e["data"],
            "hash": e["hash"],
            "verified": broken is None or e["id"] < broken,
        }
        for e in entries
    ]
