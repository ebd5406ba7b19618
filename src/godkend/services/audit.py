"""The tamper-evident audit log: hash-chained entries per request, and their verification."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from godkend.services.ports import Row, Session

GENESIS = "0" * 64


def entry_hash(
    *,
    prev_hash: str,
    request_id: int | None,
    actor_id: int | None,
    action: str,
    data: Mapping[str, Any],
    at: datetime,
) -> str:
    body = json.dumps(
        [prev_hash, request_id, actor_id, action, data, at.isoformat()],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


async def append(
    session: Session,
    *,
    request_id: int | None,
    actor_id: int | None,
    action: str,
    data: Mapping[str, Any],
    at: datetime,
) -> None:
    """Add one entry chained to the previous entry of the same request (callers hold its lock)."""
    if request_id is None:
        await session.execute("lock_audit_chain", request_id=None)
    prev = await session.fetchval("last_audit_hash", request_id=request_id) or GENESIS
    digest = entry_hash(
        prev_hash=prev, request_id=request_id, actor_id=actor_id, action=action, data=data, at=at
    )
    await session.execute(
        "insert_audit",
        request_id=request_id,
        actor_id=actor_id,
        action=action,
        data=dict(data),
        at=at,
        prev_hash=prev,
        hash=digest,
    )


def first_broken_link(entries: Sequence[Row]) -> int | None:
    """The id of the first entry whose hash or link does not check out, or None if intact."""
    prev = GENESIS
    for e in entries:
        expected = entry_hash(
            prev_hash=prev,
            request_id=e["request_id"],
            actor_id=e["actor_id"],
            action=e["action"],
            data=e["data"],
            at=e["at"],
        )
        if e["prev_hash"] != prev or e["hash"] != expected:
            return int(e["id"])
        prev = e["hash"]
    return None
