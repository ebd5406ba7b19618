"""Firing due step timers, exactly once across every instance: a reminder reminds whoever the
step awaits; a deadline escalates the step (or, without escalation, tells them it is overdue).

An instance claims due timers with `FOR UPDATE SKIP LOCKED` and, in the same transaction, writes
the move, its audit entry and its events and marks each timer fired: another instance never sees
a claimed timer, and a timer whose transaction fails stays due. Timers are compared with the
services' clock, so a timer that fell due while every instance was down fires at the next pass.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from godkend.domain import engine
from godkend.domain.engine import Outcome, RequestState
from godkend.domain.errors import IllegalMove, NoApprover
from godkend.domain.timers import activation
from godkend.domain.workflow import Step
from godkend.services import recording, workflows
from godkend.services.context import Services
from godkend.services.directory import managers_above, resolve, substitutes_for
from godkend.services.ports import Row, Session

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(seconds=30)


async def fire_due_timers(svc: Services, *, limit: int, instance: str) -> tuple[int, int]:
    """Claim up to `limit` due timers and fire them in one transaction.

    Returns (claimed, fired): a claimed timer is not fired when its request is being changed
    right now (it is fired on a later pass) or it no longer applies (it is cancelled).
    """
    now = svc.clock()
    current: int | None = None
    claimed: list[Row] = []
    fired = 0
    try:
        async with svc.db.transaction() as s:
            claimed = await s.fetch("claim_due_timers", now=now, limit=limit)
            for timer in claimed:
                current = timer["id"]
                fired += await _fire(s, timer, now=now, instance=instance)
            current = None
    except Exception as error:
        if current is None:
            raise
        # The whole batch rolled back; only the timer that failed is held back and retried, so
        # the next batch fires the others.
        await _note_failure(svc, current, error, now=now)
        return len(claimed), 0
    if fired:
        svc.wake()
    return len(claimed), fired


async def _note_failure(svc: Services, timer_id: int, error: Exception, *, now: datetime) -> None:
    log.exception("timer %d failed", timer_id, exc_info=error)
    async with svc.db.transaction() as s:
        await s.execute(
            "note_timer_failure",
            timer_id=timer_id,
            error=f"{type(error).__name__}: {error}",
            retry_at=now + RETRY_AFTER,
            max_attempts=MAX_ATTEMPTS,
            now=now,
        )


async def _fire(s: Session, timer: Row, *, now: datetime, instance: str) -> bool:
    row = await s.fetchrow("lock_request_if_free", request_id=timer["request_id"])
    if row is None:
        return False  # a user's move holds the request: next pass (that move may cancel us)
    state = RequestState.from_json(row["state"])
    if activation(state) != (timer["step"], timer["round"]):
        # The request left the step in a way that did not cancel its timers; never fire late.
        await s.execute("mark_timer_cancelled", timer_id=timer["id"], now=now)
        return False
    published = await workflows.by_version_id(s, row["workflow_version_id"])
    noted = {"timer": timer["id"], "due_at": timer["due_at"].isoformat()}
    if timer["kind"] == "reminder":
        outcome = engine.remind(state, step=timer["step"], now=now)
        await recording.record_notice(
            s, row, published, outcome, action="remind", now=now, audit_data=noted
        )
    else:
        await _deadline(s, row, published, state, now=now, noted=noted)
    await s.execute("mark_timer_fired", timer_id=timer["id"], now=now, fired_by=instance)
    return True


async def _deadline(
    s: Session,
    row: Row,
    published: workflows.Published,
    state: RequestState,
    *,
    now: datetime,
    noted: dict[str, Any],
) -> None:
    """Escalate the step; if it has no escalation or nobody can take it over, say it is overdue."""
    assert state.current_step is not None
    index = state.current_step
    spec = published.definition.steps[index]
    outcome: Outcome | None = None
    if spec.escalation is not None:
        targets = await _escalation_targets(s, spec, requester_id=row["requester_id"])
        substitutes = await substitutes_for(s, targets, workflow=published.key, at=now)
        try:
            outcome = engine.reassign(
                published.definition,
                state,
                step=index,
                approvers=targets,
                reason="deadline",
                now=now,
                substitutes=substitutes,
            )
        except (NoApprover, IllegalMove) as refused:
            noted = {**noted, "escalation": f"not possible: {refused.message}"}
    if outcome is not None:
        await recording.record(
            s, row, published, outcome, actor=None, action="escalate", now=now, audit_data=noted
        )
        return
    overdue = engine.remind(state, step=index, now=now, overdue=True)
    await recording.record_notice(
        s, row, published, overdue, action="overdue", now=now, audit_data=noted
    )


async def _escalation_targets(s: Session, spec: Step, *, requester_id: int) -> tuple[int, ...]:
    """Who takes over an overdue step: the escalation's approvers, or the next manager up."""
    assert spec.escalation is not None
    if spec.escalation.to is not None:
        return await resolve(s, spec.escalation.to, requester_id=requester_id)
    levels = spec.approvers.manager
    if levels is None:  # validation allows next_manager only on manager steps
        return ()
    # `manager: n` + 1, counted directly: Approvers caps `manager` at 10.
    return await managers_above(s, requester_id, levels=levels + 1)
