"""The approval engine: pure functions from (definition, state, command, actor, now) to a new
state and the domain events it causes. No I/O, no clock; approvers, substitutes and escalation
targets are resolved by the caller."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from godkend.domain.errors import (
    Forbidden,
    IllegalMove,
    InvalidInput,
    NoApprover,
    NotAnApprover,
    NotAwaitingYou,
    SegregationOfDuties,
)
from godkend.domain.request_state import (
    Decision,
    DomainEvent,
    Outcome,
    RequestState,
    Route,
    Status,
    StepState,
    StepStatus,
    Verdict,
)
from godkend.domain.substitutes import NO_SUBSTITUTES, Substitutes, routes, takeover
from godkend.domain.workflow import Step, WorkflowDefinition

__all__ = [
    "NO_SUBSTITUTES",
    "Applies",
    "Decision",
    "DomainEvent",
    "Outcome",
    "RequestState",
    "Route",
    "Status",
    "StepState",
    "StepStatus",
    "Substitutes",
    "Verdict",
    "comment",
    "decide",
    "reassign",
    "remind",
    "reroute",
    "resubmit",
    "submit",
    "withdraw",
]

# Decides whether a conditional step applies; the caller binds it to the request's fields.
Applies = Callable[[Step], bool]


def submit(
    definition: WorkflowDefinition,
    *,
    requester_id: int,
    candidates: Sequence[tuple[int, ...]],
    applies: Applies,
    now: datetime,
    substitutes: Substitutes = NO_SUBSTITUTES,
) -> Outcome:
    """Start a request: choose the applicable steps and activate the first one.

    `substitutes` maps approvers who are away to whoever decides in their place.
    """
    del now  # part of every command's signature; submission itself needs no time
    state = RequestState(
        requester_id=requester_id,
        status=Status.PENDING,
        round=1,
        current_step=None,
        steps=_plan(definition, requester_id, candidates, applies),
    )
    state, events = _advance(definition, state, after=-1, substitutes=substitutes)
    return Outcome(state, (DomainEvent("request.submitted", {}), *events))


def decide(
    definition: WorkflowDefinition,
    state: RequestState,
    *,
    actor_id: int,
    verdict: Verdict,
    comment: str,
    now: datetime,
    substitutes: Substitutes = NO_SUBSTITUTES,
) -> Outcome:
    """An approver's (or their substitute's) approve, reject or return on the current step.

    `substitutes` is used when the decision activates the next step.
    """
    command = verdict.value
    if state.status is not Status.PENDING or state.current_step is None:
        raise IllegalMove(state=state.status.value, command=command)
    index = state.current_step
    step = state.steps[index]
    approver = _approver_acted_for(state, step, actor_id)
    # A return the step forbids is refused as such, before any missing reason is asked for.
    if verdict is Verdict.RETURN and not definition.steps[index].may_return:
        raise IllegalMove(
            f"step {step.key} may not return the request", state=state.status.value, command=command
        )
    if verdict is not Verdict.APPROVE and not comment.strip():
        raise InvalidInput("a reason is required to reject or return", field="comment")
    on_behalf_of = None if approver == actor_id else approver
    decision = Decision(index, state.round, actor_id, verdict, comment, now, on_behalf_of)
    state = replace(state, decisions=(*state.decisions, decision))
    if verdict is Verdict.APPROVE:
        return _approve(definition, state, index, approver, decision, substitutes=substitutes)
    final = StepStatus.REJECTED if verdict is Verdict.REJECT else StepStatus.RETURNED
    status = Status.REJECTED if verdict is Verdict.REJECT else Status.RETURNED
    state = replace(
        state,
        status=status,
        current_step=None,
        steps=_with_step(state.steps, index, replace(step, status=final)),
    )
    event = DomainEvent(f"request.{status.value}", {"step": step.key, "comment": comment})
    return Outcome(state, (event,), decision)


def resubmit(
    definition: WorkflowDefinition,
    state: RequestState,
    *,
    actor_id: int,
    candidates: Sequence[tuple[int, ...]],
    applies: Applies,
    now: datetime,
    substitutes: Substitutes = NO_SUBSTITUTES,
) -> Outcome:
    """The requester sends a returned request through the steps again, as a new round."""
    del now
    if state.status is not Status.RETURNED:
        raise IllegalMove(state=state.status.value, command="resubmit")
    _check_is_requester(state, actor_id, "resubmit")
    fresh = replace(
        state,
        status=Status.PENDING,
        round=state.round + 1,
        current_step=None,
        steps=_plan(definition, state.requester_id, candidates, applies),
    )
    fresh, events = _advance(definition, fresh, after=-1, substitutes=substitutes)
    return Outcome(fresh, (DomainEvent("request.resubmitted", {}), *events))


def withdraw(state: RequestState, *, actor_id: int, now: datetime) -> Outcome:
    """The requester takes back a request that is still open."""
    del now
    if state.status not in (Status.PENDING, Status.RETURNED):
        raise IllegalMove(state=state.status.value, command="withdraw")
    _check_is_requester(state, actor_id, "withdraw")
    steps = tuple(
        replace(s, status=StepStatus.WAITING) if s.status is StepStatus.ACTIVE else s
        for s in state.steps
    )
    state = replace(state, status=Status.WITHDRAWN, current_step=None, steps=steps)
    return Outcome(state, (DomainEvent("request.withdrawn", {}),))


def comment(state: RequestState, *, actor_id: int, body: str, now: datetime) -> Outcome:
    """Anyone who may see the request may comment on it; the state does not change."""
    del actor_id, now
    if not body.strip():
        raise InvalidInput("a comment cannot be empty", field="body")
    return Outcome(state, (DomainEvent("request.comment_added", {"body": body}),))


def reroute(
    definition: WorkflowDefinition,
    state: RequestState,
    *,
    substitutes: Substitutes,
    now: datetime,
) -> Outcome:
    """Hand the current step's open approvals to the substitutes active now, or back to the
    approvers whose substitutes no longer are. No events when nothing changes."""
    del now
    index = _current(state, "reroute")
    step = state.steps[index]
    found = routes(definition, state, index, substitutes=substitutes)
    if found == step.substitutes:
        return Outcome(state, ())
    before = state.awaiting()
    state = replace(state, steps=_with_step(state.steps, index, replace(step, substitutes=found)))
    if state.awaiting() == before:
        return Outcome(state, ())
    return Outcome(state, (_assigned(state, index, rerouted=True),))


def reassign(
    definition: WorkflowDefinition,
    state: RequestState,
    *,
    step: int,
    approvers: Sequence[int],
    reason: str,
    now: datetime,
    substitutes: Substitutes = NO_SUBSTITUTES,
) -> Outcome:
    """Escalate step `step`: `approvers` take over the approvals it still awaits.

    Approvals already given stay. A step is escalated at most once per activation, and never to
    anybody segregation of duties excludes; NoApprover if nobody is left to take it over.
    """
    del now
    index = _current(state, "escalate")
    current = state.steps[index]
    if index != step or current.escalated:
        raise IllegalMove(
            "the step has moved on or was already escalated",
            state=state.status.value,
            command="escalate",
        )
    targets = takeover(definition, state, index, approvers)
    if not targets:
        raise NoApprover(
            f"nobody can take over step {current.key!r}", field="escalation", step=current.key
        )
    owed = current.needed - len(current.approvals)
    owed = len(targets) if definition.steps[index].mode == "all" else min(owed, len(targets))
    taken = replace(
        current,
        candidates=tuple(dict.fromkeys((*current.candidates, *targets))),
        approvers=(*current.approvals, *targets),
        needed=len(current.approvals) + owed,
        substitutes=(),
        escalated=True,
    )
    before = state.awaiting()
    state = replace(state, steps=_with_step(state.steps, index, taken))
    taken = replace(taken, substitutes=routes(definition, state, index, substitutes=substitutes))
    state = replace(state, steps=_with_step(state.steps, index, taken))
    data = {"step": current.key, "from": list(before), "users": list(state.awaiting())}
    escalated = DomainEvent("request.escalated", {**data, "reason": reason})
    return Outcome(state, (escalated, _assigned(state, index)))


def remind(state: RequestState, *, step: int, now: datetime, overdue: bool = False) -> Outcome:
    """Remind whoever the current step awaits (`overdue`: its deadline has passed)."""
    del now
    index = _current(state, "remind")
    if index != step:
        raise IllegalMove("the step has moved on", state=state.status.value, command="remind")
    data: dict[str, Any] = {"step": state.steps[index].key, "users": list(state.awaiting())}
    if overdue:
        data["overdue"] = True
    return Outcome(state, (DomainEvent("request.reminder", data),))


def _current(state: RequestState, command: str) -> int:
    if state.status is not Status.PENDING or state.current_step is None:
        raise IllegalMove(state=state.status.value, command=command)
    return state.current_step


def _plan(
    definition: WorkflowDefinition,
    requester_id: int,
    candidates: Sequence[tuple[int, ...]],
    applies: Applies,
) -> tuple[StepState, ...]:
    if len(candidates) != len(definition.steps):
        raise ValueError("one tuple of candidates per step is required")
    steps: list[StepState] = []
    for step, found in zip(definition.steps, candidates, strict=True):
        if not applies(step):
            steps.append(StepState(step.key, StepStatus.SKIPPED, ()))
            continue
        steps.append(StepState(step.key, StepStatus.WAITING, _eligible(step, requester_id, found)))
    return tuple(steps)


def _eligible(step: Step, requester_id: int, found: tuple[int, ...]) -> tuple[int, ...]:
    """The step's candidates without the requester; NoApprover if they can never complete it."""
    eligible = tuple(u for u in dict.fromkeys(found) if u != requester_id)
    if not eligible:
        raise NoApprover(
            f"nobody but the requester can approve step {step.key!r}",
            field="workflow",
            step=step.key,
        )
    # Caught here, not when the step comes up: by then an earlier approver would be stuck.
    if step.k is not None and step.k > len(eligible):
        raise NoApprover(
            f"step {step.key!r} needs {step.k} approvers but only {len(eligible)} can decide",
            field="workflow",
            step=step.key,
        )
    return eligible


def _advance(
    definition: WorkflowDefinition,
    state: RequestState,
    *,
    after: int,
    substitutes: Substitutes,
) -> tuple[RequestState, tuple[DomainEvent, ...]]:
    """Activate the next applicable step after `after`, or approve the request if none is left."""
    for index in range(after + 1, len(state.steps)):
        step = state.steps[index]
        if step.status is StepStatus.SKIPPED:
            continue
        # Four-eyes: nobody decides two steps of the same request in one round (a substitute's
        # decision counts for both the substitute and the approver they stood in for).
        approvers = tuple(u for u in step.candidates if u not in state.deciders_this_round())
        if not approvers:
            raise NoApprover(
                f"step {step.key!r} has no approver who has not already decided this request",
                field="decision",
                step=step.key,
            )
        spec = definition.steps[index]
        needed = {"any": 1, "all": len(approvers)}.get(spec.mode, spec.k or 1)
        if needed > len(approvers):
            raise NoApprover(
                f"step {step.key!r} needs {needed} approvers but only {len(approvers)} can decide",
                field="decision",
                step=step.key,
            )
        active = replace(
            step, status=StepStatus.ACTIVE, approvers=approvers, approvals=(), needed=needed
        )
        state = replace(state, current_step=index, steps=_with_step(state.steps, index, active))
        active = replace(
            active, substitutes=routes(definition, state, index, substitutes=substitutes)
        )
        state = replace(state, steps=_with_step(state.steps, index, active))
        return state, (_assigned(state, index),)
    state = replace(state, status=Status.APPROVED, current_step=None)
    return state, (DomainEvent("request.approved", {}),)


def _assigned(state: RequestState, index: int, *, rerouted: bool = False) -> DomainEvent:
    """`request.assigned`, naming who decides and, for substitutes, whom they stand in for."""
    step = state.steps[index]
    data: dict[str, Any] = {"step": step.key, "users": list(state.awaiting())}
    open_routes = [(a, s) for a, s in step.substitutes if a not in step.approvals]
    if open_routes:
        data["substitutes"] = [{"user": s, "on_behalf_of": a} for a, s in open_routes]
    if rerouted:
        data["rerouted"] = True
    return DomainEvent("request.assigned", data)


def _approve(
    definition: WorkflowDefinition,
    state: RequestState,
    index: int,
    approver: int,
    decision: Decision,
    *,
    substitutes: Substitutes,
) -> Outcome:
    step = state.steps[index]
    step = replace(step, approvals=(*step.approvals, approver))
    if len(step.approvals) < step.needed:
        state = replace(state, steps=_with_step(state.steps, index, step))
        event = DomainEvent("request.step_approved", {"step": step.key, "complete": False})
        return Outcome(state, (event,), decision)
    step = replace(step, status=StepStatus.APPROVED)
    state = replace(state, steps=_with_step(state.steps, index, step))
    state, events = _advance(definition, state, after=index, substitutes=substitutes)
    done = DomainEvent("request.step_approved", {"step": step.key, "complete": True})
    return Outcome(state, (done, *events), decision)


def _approver_acted_for(state: RequestState, step: StepState, actor_id: int) -> int:
    """The approver whose approval the actor gives: themselves, or the one they stand in for."""
    if actor_id == state.requester_id:
        raise SegregationOfDuties("you cannot decide your own request", command="decide")
    if actor_id in step.approvals:
        raise NotAwaitingYou("you have already approved this step")
    if actor_id in step.approvers:
        return actor_id
    absent = step.represented_by(actor_id)
    if absent is not None and absent in step.approvals:
        raise NotAwaitingYou("the approver you stand in for has already approved this step")
    if actor_id in state.deciders_this_round():
        raise SegregationOfDuties("you have already decided another step of this request")
    if absent is not None:
        return absent
    raise NotAnApprover(step=step.key)


def _check_is_requester(state: RequestState, actor_id: int, command: str) -> None:
    if actor_id != state.requester_id:
        raise Forbidden(f"only the requester may {command} a request", command=command)


def _with_step(steps: tuple[StepState, ...], index: int, step: StepState) -> tuple[StepState, ...]:
    return (*steps[:index], step, *steps[index + 1 :])
