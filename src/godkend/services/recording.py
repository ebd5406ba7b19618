"""Writes the outcome of a move on a request, inside the move's transaction: the new state, who
it awaits (and for whom), the decision, the step's timers, one audit entry and the outbox events.

Moves are made by people (`actor`) or by godkend itself (`actor=None`: the scheduler's
reminders, escalations and re-routing to substitutes).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from godkend.domain import timers
from godkend.domain.engine import DomainEvent, Outcome, RequestState
from godkend.domain.model import Actor
from godkend.services import audit, outbox
from godkend.services.ports import Session
from godkend.services.workflows import Published


async def record(
    s: Session,
    row: Mapping[str, Any],
    published: Published,
    outcome: Outcome,
    *,
    actor: Actor | None,
    action: str,
    now: datetime,
    audit_data: Mapping[str, Any] | None = None,
) -> None:
    """Write the outcome of a move on an existing, locked request (`row` is as it was)."""
    state = outcome.state
    await s.execute(
        "update_request",
        request_id=row["id"],
        status=state.status.value,
        current_step=state.current_step,
        state=state.to_json(),
        fields=row["fields"],
        title=row["title"],
        now=now,
    )
    before = RequestState.from_json(row["state"])
    await record_effects(
        s,
        row,
        published,
        outcome,
        before=before,
        actor=actor,
        action=action,
        now=now,
        audit_data=audit_data,
    )


async def record_effects(
    s: Session,
    row: Mapping[str, Any],
    published: Published,
    outcome: Outcome,
    *,
    before: RequestState | None,
    actor: Actor | None,
    action: str,
    now: datetime,
    audit_data: Mapping[str, Any] | None = None,
) -> None:
    """Assignments, the decision, timers, one audit entry and the outbox events of an outcome."""
    request_id = int(row["id"])
    state = outcome.state
    await _write_assignments(s, request_id, state, now=now)
    data: dict[str, Any] = {}
    if outcome.decision is not None:
        d = outcome.decision
        await s.execute(
            "insert_decision",
            request_id=request_id,
            step=d.step,
            round=d.round,
            decided_by=d.user_id,
            on_behalf_of=d.on_behalf_of,
            decision=d.verdict.value,
            comment=d.comment,
            now=now,
        )
        if d.comment:  # an approval's remark belongs in the history as much as a rejection's
            data["comment"] = d.comment
        if d.on_behalf_of is not None:
            data["on_behalf_of"] = await _person(s, d.on_behalf_of)
    await sync_timers(s, request_id, published, before, state, now=now)
    await _audit(
        s,
        request_id,
        outcome,
        actor=actor,
        action=action,
        now=now,
        data=data | dict(audit_data or {}),
    )
    await emit(s, row, published, outcome.events, state=state, actor=actor, now=now)


async def _audit(
    s: Session,
    request_id: int,
    outcome: Outcome,
    *,
    actor: Actor | None,
    action: str,
    now: datetime,
    data: Mapping[str, Any],
) -> None:
    """The move's one audit entry: where the request stands, what the move noted, its events."""
    state = outcome.state
    await audit.append(
        s,
        request_id=request_id,
        actor_id=None if actor is None else actor.user_id,
        action=f"request.{action}",
        data={
            "status": state.status.value,
            "step": None if state.current_step is None else state.steps[state.current_step].key,
            **data,
            "events": [{"type": e.type, **e.data} for e in outcome.events],
        },
        at=now,
    )


async def _write_assignments(
    s: Session, request_id: int, state: RequestState, *, now: datetime
) -> None:
    await s.execute("close_assignments", request_id=request_id)
    for user_id, on_behalf_of in state.assignments():
        if on_behalf_of is not None:
            await s.execute(
                "note_assignment",
                request_id=request_id,
                step=state.current_step,
                user_id=on_behalf_of,
                now=now,
            )
        await s.execute(
            "open_assignment",
            request_id=request_id,
            step=state.current_step,
            user_id=user_id,
            on_behalf_of=on_behalf_of,
            now=now,
        )


async def sync_timers(
    s: Session,
    request_id: int,
    published: Published,
    before: RequestState | None,
    after: RequestState,
    *,
    now: datetime,
) -> None:
    """Cancel the timers of a step the request left; set those of the step it entered."""
    change = timers.changes(published.definition, before, after, now=now)
    if change.cancel:
        await s.execute("cancel_open_timers", request_id=request_id, now=now)
    for t in change.open:
        await s.execute(
            "insert_timer",
            request_id=request_id,
            step=t.step,
            round=t.round,
            kind=t.kind,
            seq=t.seq,
            due_at=t.due_at,
            now=now,
        )


async def _person(s: Session, user_id: int) -> dict[str, Any]:
    rows = await s.fetch("users_by_ids", ids=[user_id])
    name = rows[0]["name"] if rows else None
    return {"id": user_id, "name": name}


def summary_of(row: Mapping[str, Any], published: Published, status: str) -> outbox.RequestSummary:
    return outbox.RequestSummary(
        id=int(row["id"]),
        reference_number=row["reference_number"],
        title=row["title"],
        workflow=published.key,
        status=status,
    )


async def emit(
    s: Session,
    row: Mapping[str, Any],
    published: Published,
    events: tuple[DomainEvent, ...],
    *,
    state: RequestState,
    actor: Actor | None,
    now: datetime,
) -> None:
    """The outbox events of a move (`actor` None for godkend's own reminders and escalations)."""
    await outbox.emit(
        s,
        events,
        request=summary_of(row, published, state.status.value),
        actor=actor,
        visible_to_roles=published.definition.visible_to_roles,
        awaiting={u for pair in state.assignments() for u in pair if u is not None},
        at=now,
    )


async def record_notice(
    s: Session,
    row: Mapping[str, Any],
    published: Published,
    outcome: Outcome,
    *,
    action: str,
    now: datetime,
    audit_data: Mapping[str, Any] | None = None,
) -> None:
    """godkend's notice about a request whose state does not change (a reminder): the audit
    entry and the events, without touching the request's version."""
    await _audit(
        s, int(row["id"]), outcome, actor=None, action=action, now=now, data=audit_data or {}
    )
    await emit(s, row, published, outcome.events, state=outcome.state, actor=None, now=now)
