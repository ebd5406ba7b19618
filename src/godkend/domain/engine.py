"""The approval engine: pure functions from (definition, state, command, actor, now) to a new
state and the domain events it causes. No I/O, no clock; approvers are resolved by the caller."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
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
from godkend.domain.workflow import Step, WorkflowDefinition


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


class StepStatus(StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    SKIPPED = "skipped"


class Verdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"


@dataclass(frozen=True)
class StepState:
    """A step in the current round: who may decide it and who has approved it so far."""

    key: str
    status: StepStatus
    candidates: tuple[int, ...]
    approvers: tuple[int, ...] = ()
    approvals: tuple[int, ...] = ()
    needed: int = 1


@dataclass(frozen=True)
class Decision:
    step: int
    round: int
    user_id: int
    verdict: Verdict
    comment: str
    at: datetime


@dataclass(frozen=True)
class RequestState:
    """Everything the engine needs to decide the next move of one request."""

    requester_id: int
    status: Status
    round: int
    current_step: int | None
    steps: tuple[StepState, ...]
    decisions: tuple[Decision, ...] = ()

    def deciders_this_round(self) -> frozenset[int]:
        return frozenset(d.user_id for d in self.decisions if d.round == self.round)

    def awaiting(self) -> tuple[int, ...]:
        """Who the request awaits now: the current step's approvers who have not yet approved."""
        if self.status is not Status.PENDING or self.current_step is None:
            return ()
        step = self.steps[self.current_step]
        return tuple(u for u in step.approvers if u not in step.approvals)

    def to_json(self) -> dict[str, Any]:
        return {
            "requester_id": self.requester_id,
            "status": self.status.value,
            "round": self.round,
            "current_step": self.current_step,
            "steps": [
                {
                    "key": s.key,
                    "status": s.status.value,
                    "candidates": list(s.candidates),
                    "approvers": list(s.approvers),
                    "approvals": list(s.approvals),
                    "needed": s.needed,
                }
                for s in self.steps
            ],
            "decisions": [
                {
                    "step": d.step,
                    "round": d.round,
                    "user_id": d.user_id,
                    "verdict": d.verdict.value,
                    "comment": d.comment,
                    "at": d.at.isoformat(),
                }
                for d in self.decisions
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RequestState:
        return cls(
            requester_id=data["requester_id"],
            status=Status(data["status"]),
            round=data["round"],
            current_step=data["current_step"],
            steps=tuple(
                StepState(
                    key=s["key"],
                    status=StepStatus(s["status"]),
                    candidates=tuple(s["candidates"]),
                    approvers=tuple(s["approvers"]),
                    approvals=tuple(s["approvals"]),
                    needed=s["needed"],
                )
                for s in data["steps"]
            ),
            decisions=tuple(
                Decision(
                    step=d["step"],
                    round=d["round"],
                    user_id=d["user_id"],
                    verdict=Verdict(d["verdict"]),
                    comment=d["comment"],
                    at=datetime.fromisoformat(d["at"]),
                )
                for d in data["decisions"]
            ),
        )


@dataclass(frozen=True)
class DomainEvent:
    """What happened, for the audit log and the outbox: a CONTRACT §5 type and its data."""

    type: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    state: RequestState
    events: tuple[DomainEvent, ...]
    decision: Decision | None = None


# Decides whether a conditional step applies; the caller binds it to the request's fields.
Applies = Callable[[Step], bool]


def submit(
    definition: WorkflowDefinition,
    *,
    requester_id: int,
    candidates: Sequence[tuple[int, ...]],
    applies: Applies,
    now: datetime,
) -> Outcome:
    """Start a request: choose the applicable steps and activate the first one."""
    del now  # part of every command's signature; submission itself needs no time
    state = RequestState(
        requester_id=requester_id,
        status=Status.PENDING,
        round=1,
        current_step=None,
        steps=_plan(definition, requester_id, candidates, applies),
    )
    state, events = _advance(definition, state, after=-1)
    return Outcome(state, (DomainEvent("request.submitted", {}), *events))


def decide(
    definition: WorkflowDefinition,
    state: RequestState,
    *,
    actor_id: int,
    verdict: Verdict,
    comment: str,
    now: datetime,
) -> Outcome:
    """An approver's approve, reject or return on the current step."""
    command = verdict.value
    if state.status is not Status.PENDING or state.current_step is None:
        raise IllegalMove(state=state.status.value, command=command)
    index = state.current_step
    step = state.steps[index]
    _check_may_decide(state, step, actor_id)
    # A return the step forbids is refused as such, before any missing reason is asked for.
    if verdict is Verdict.RETURN and not definition.steps[index].may_return:
        raise IllegalMove(
            f"step {step.key} may not return the request", state=state.status.value, command=command
        )
    if verdict is not Verdict.APPROVE and not comment.strip():
        raise InvalidInput("a reason is required to reject or return", field="comment")
    decision = Decision(index, state.round, actor_id, verdict, comment, now)
    state = replace(state, decisions=(*state.decisions, decision))
    if verdict is Verdict.APPROVE:
        return _approve(definition, state, index, actor_id, decision)
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
    fresh, events = _advance(definition, fresh, after=-1)
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
    definition: WorkflowDefinition, state: RequestState, *, after: int
) -> tuple[RequestState, tuple[DomainEvent, ...]]:
    """Activate the next applicable step after `after`, or approve the request if none is left."""
    for index in range(after + 1, len(state.steps)):
        step = state.steps[index]
        if step.status is StepStatus.SKIPPED:
            continue
        # Four-eyes: nobody decides two steps of the same request in one round.
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
        return state, (
            DomainEvent("request.assigned", {"step": step.key, "users": list(approvers)}),
        )
    state = replace(state, status=Status.APPROVED, current_step=None)
    return state, (DomainEvent("request.approved", {}),)


def _approve(
    definition: WorkflowDefinition,
    state: RequestState,
    index: int,
    actor_id: int,
    decision: Decision,
) -> Outcome:
    step = state.steps[index]
    step = replace(step, approvals=(*step.approvals, actor_id))
    if len(step.approvals) < step.needed:
        state = replace(state, steps=_with_step(state.steps, index, step))
        event = DomainEvent("request.step_approved", {"step": step.key, "complete": False})
        return Outcome(state, (event,), decision)
    step = replace(step, status=StepStatus.APPROVED)
    state = replace(state, steps=_with_step(state.steps, index, step))
    state, events = _advance(definition, state, after=index)
    done = DomainEvent("request.step_approved", {"step": step.key, "complete": True})
    return Outcome(state, (done, *events), decision)


def _check_may_decide(state: RequestState, step: StepState, actor_id: int) -> None:
    if actor_id == state.requester_id:
        raise SegregationOfDuties("you cannot decide your own request", command="decide")
    if actor_id in step.approvals:
        raise NotAwaitingYou("you have already approved this step")
    if actor_id in step.approvers:
        return
    if actor_id in state.deciders_this_round():
        raise SegregationOfDuties("you have already decided another step of this request")
    raise NotAnApprover(step=step.key)


def _check_is_requester(state: RequestState, actor_id: int, command: str) -> None:
    if actor_id != state.requester_id:
        raise Forbidden(f"only the requester may {command} a request", command=command)


def _with_step(steps: tuple[StepState, ...], index: int, step: StepState) -> tuple[StepState, ...]:
    return (*steps[:index], step, *steps[index + 1 :])
