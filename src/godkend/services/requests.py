"""The request actions: each is one transaction writing state, audit entries and outbox events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from godkend.domain import engine
from godkend.domain.conditions import compile_condition
from godkend.domain.engine import Outcome, RequestState, Substitutes, Verdict
from godkend.domain.errors import InvalidInput, NotFound, StaleVersion
from godkend.domain.forms import validate_fields
from godkend.domain.model import Actor
from godkend.domain.workflow import Step, WorkflowDefinition
from godkend.services import recording, workflows
from godkend.services.context import Services
from godkend.services.directory import resolve_all, substitutes_for
from godkend.services.ports import Row, Session

MAX_TITLE = 200


def _title(value: str) -> str:
    title = value.strip()
    if not title:
        raise InvalidInput("a title is required", field="title")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"must be at most {MAX_TITLE} characters", field="title")
    return title


def _applies(fields: Mapping[str, Any], requester: Row) -> engine.Applies:
    attributes = {
        "username": requester["username"],
        "org_unit": requester["org_unit"],
        "roles": list(requester["roles"]),
    }

    def applies(step: Step) -> bool:
        return step.when is None or compile_condition(step.when).evaluate(fields, attributes)

    return applies


async def _plan_inputs(
    s: Session, definition: WorkflowDefinition, fields: Mapping[str, Any], requester_id: int
) -> tuple[list[tuple[int, ...]], engine.Applies]:
    requester = await s.fetchrow("get_user", user_id=requester_id)
    assert requester is not None
    candidates = await resolve_all(s, definition, requester_id=requester_id)
    return candidates, _applies(fields, requester)


async def do_submit_request(
    svc: Services, *, workflow: str, title: str, fields: Mapping[str, Any], actor: Actor
) -> int:
    """Submit a new request with the latest version of a workflow; returns its id."""
    now = svc.clock()
    title = _title(title)
    async with svc.db.transaction() as s:
        published = await workflows.latest(s, workflow)
        values = validate_fields(published.definition, fields)
        candidates, applies = await _plan_inputs(s, published.definition, values, actor.user_id)
        outcome = engine.submit(
            published.definition,
            requester_id=actor.user_id,
            candidates=candidates,
            applies=applies,
            now=now,
            substitutes=await _substitutes(s, published, _flat(candidates), now),
        )
        request_id: int = await s.fetchval(
            "insert_request",
            workflow_version_id=published.id,
            title=title,
            fields=values,
            status=outcome.state.status.value,
            current_step=outcome.state.current_step,
            requester_id=actor.user_id,
            org_unit_id=await _org_unit_of(s, actor.user_id),
            state=outcome.state.to_json(),
            now=now,
        )
        row = await _lock(s, request_id)
        await recording.record_effects(
            s, row, published, outcome, before=None, actor=actor, action="submit", now=now
        )
    svc.wake()
    return request_id


async def do_decide_request(
    svc: Services,
    request_id: int,
    *,
    verdict: Verdict,
    comment: str,
    version: int | None,
    actor: Actor,
) -> None:
    """Approve, reject or return the step that awaits the actor."""
    now = svc.clock()
    async with svc.db.transaction() as s:
        row = await _lock_visible(s, request_id, actor, version)
        published = await workflows.by_version_id(s, row["workflow_version_id"])
        state = RequestState.from_json(row["state"])
        outcome = engine.decide(
            published.definition,
            state,
            actor_id=actor.user_id,
            verdict=verdict,
            comment=comment,
            now=now,
            substitutes=await _substitutes(
                s, published, (u for step in state.steps for u in step.candidates), now
            ),
        )
        await _record(s, row, published, outcome, actor=actor, action=verdict.value, now=now)
    svc.wake()


async def do_withdraw_request(
    svc: Services, request_id: int, *, version: int | None, actor: Actor
) -> None:
    now = svc.clock()
    async with svc.db.transaction() as s:
        row = await _lock_visible(s, request_id, actor, version)
        published = await workflows.by_version_id(s, row["workflow_version_id"])
        state = RequestState.from_json(row["state"])
        outcome = engine.withdraw(state, actor_id=actor.user_id, now=now)
        await _record(s, row, published, outcome, actor=actor, action="withdraw", now=now)
    svc.wake()


async def do_resubmit_request(
    svc: Services,
    request_id: int,
    *,
    title: str | None,
    fields: Mapping[str, Any] | None,
    version: int | None,
    actor: Actor,
) -> None:
    """Send a returned request through its steps again, optionally with changed title or fields."""
    now = svc.clock()
    async with svc.db.transaction() as s:
        row = dict(await _lock_visible(s, request_id, actor, version))
        published = await workflows.by_version_id(s, row["workflow_version_id"])
        if fields is not None:
            row["fields"] = validate_fields(published.definition, fields)
        if title is not None:
            row["title"] = _title(title)
        candidates, applies = await _plan_inputs(
            s, published.definition, row["fields"], row["requester_id"]
        )
        outcome = engine.resubmit(
            published.definition,
            RequestState.from_json(row["state"]),
            actor_id=actor.user_id,
            candidates=candidates,
            applies=applies,
            now=now,
            substitutes=await _substitutes(s, published, _flat(candidates), now),
        )
        await _record(s, row, published, outcome, actor=actor, action="resubmit", now=now)
    svc.wake()


async def do_add_comment(svc: Services, request_id: int, *, body: str, actor: Actor) -> None:
    now = svc.clock()
    async with svc.db.transaction() as s:
        row = await _lock_visible(s, request_id, actor, None)
        published = await workflows.by_version_id(s, row["workflow_version_id"])
        state = RequestState.from_json(row["state"])
        outcome = engine.comment(state, actor_id=actor.user_id, body=body, now=now)
        await s.execute(
            "insert_comment", request_id=request_id, author_id=actor.user_id, body=body, now=now
        )
        await _record(s, row, published, outcome, actor=actor, action="comment", now=now)
    svc.wake()


async def _org_unit_of(s: Session, user_id: int) -> int:
    row = await s.fetchrow("get_user", user_id=user_id)
    assert row is not None
    return int(row["org_unit_id"])


async def _lock(s: Session, request_id: int) -> Row:
    row = await s.fetchrow("lock_request", request_id=request_id)
    if row is None:
        raise NotFound("request not found", request_id=request_id)
    return row


async def _lock_visible(s: Session, request_id: int, actor: Actor, version: int | None) -> Row:
    """Lock the request; 404 if the actor may not see it, 409 if `version` is stale."""
    row = await _lock(s, request_id)
    visible = await s.fetchval(
        "can_see_request", request_id=request_id, user_id=actor.user_id, roles=sorted(actor.roles)
    )
    if not visible:
        raise NotFound("request not found", request_id=request_id)
    if version is not None and version != row["version"]:
        raise StaleVersion(request_id=request_id, expected=version, actual=row["version"])
    return row


async def _substitutes(
    s: Session, published: workflows.Published, user_ids: Iterable[int], now: datetime
) -> Substitutes:
    """Who stands in for which of these users on this workflow now."""
    return await substitutes_for(s, user_ids, workflow=published.key, at=now)


def _flat(candidates: Iterable[tuple[int, ...]]) -> list[int]:
    return [u for found in candidates for u in found]


async def _record(
    s: Session,
    row: Mapping[str, Any],
    published: workflows.Published,
    outcome: Outcome,
    *,
    actor: Actor,
    action: str,
    now: datetime,
) -> None:
    """Write the outcome of a move on an existing request: its new state, then the effects."""
    await recording.record(s, row, published, outcome, actor=actor, action=action, now=now)
