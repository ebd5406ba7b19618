"""Re-routing open requests to substitutes: when a delegation starts, ends or is revoked, the
steps awaiting the absent user move to their substitute, or back to them."""

from __future__ import annotations

from datetime import datetime

from godkend.domain import engine
from godkend.domain.engine import RequestState
from godkend.domain.model import Actor
from godkend.services import recording, workflows
from godkend.services.directory import substitutes_for
from godkend.services.ports import Session

PAGE = 200
# A bound on one pass over one user's open requests (an approver has far fewer in practice).
MAX_REQUESTS = 5000


async def reroute_request(
    s: Session, request_id: int, *, now: datetime, actor: Actor | None
) -> bool:
    """Route the request's current step by the delegations active `now`; True if it changed.

    Waits for the request's lock: callers hold no lock a request's writer could wait for.
    """
    row = await s.fetchrow("lock_request", request_id=request_id)
    if row is None or row["status"] != "pending":
        return False
    published = await workflows.by_version_id(s, row["workflow_version_id"])
    state = RequestState.from_json(row["state"])
    assert state.current_step is not None
    approvers = state.steps[state.current_step].approvers
    substitutes = await substitutes_for(s, approvers, workflow=published.key, at=now)
    outcome = engine.reroute(published.definition, state, substitutes=substitutes, now=now)
    if not outcome.events:
        return False
    await recording.record(s, row, published, outcome, actor=actor, action="reroute", now=now)
    return True


async def reroute_for_user(s: Session, user_id: int, *, now: datetime, actor: Actor | None) -> int:
    """Re-route every open request awaiting `user_id` (directly or through a substitute)."""
    after, seen, changed = 0, 0, 0
    while seen < MAX_REQUESTS:
        rows = await s.fetch("requests_awaiting_user", user_id=user_id, after=after, limit=PAGE)
        for r in rows:
            changed += await reroute_request(s, r["request_id"], now=now, actor=actor)
        if len(rows) < PAGE:
            break
        after, seen = rows[-1]["request_id"], seen + len(rows)
    return changed
