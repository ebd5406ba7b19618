"""Step timers: which reminders and deadline a step's activation sets, and when a move ends them.

A step with a `deadline` gets, when it becomes active, one timer per reminder and one for the
deadline, each due the given duration after the activation (in working days where the workflow
says so). Leaving the step (decided, returned, withdrawn, or a new round) cancels the timers it
has left; escalating or re-routing it does not, so a step escalates at most once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from godkend.domain.deadlines import due_at
from godkend.domain.request_state import RequestState, Status
from godkend.domain.workflow import WorkflowDefinition

TimerKind = Literal["reminder", "deadline"]


@dataclass(frozen=True)
class TimerSpec:
    """One timer to store: the step activation it belongs to, its kind and when it is due."""

    step: int
    round: int
    kind: TimerKind
    seq: int
    due_at: datetime


@dataclass(frozen=True)
class TimerChanges:
    """What a move does to a request's timers: cancel the open ones, then open these."""

    cancel: bool
    open: tuple[TimerSpec, ...]


def activation(state: RequestState) -> tuple[int, int] | None:
    """(step, round) of the step the request awaits now, or None if it awaits nobody."""
    if state.status is not Status.PENDING or state.current_step is None:
        return None
    return state.current_step, state.round


def changes(
    definition: WorkflowDefinition,
    before: RequestState | None,
    after: RequestState,
    *,
    now: datetime,
) -> TimerChanges:
    """The timer changes of a move from `before` (None: a new request) to `after` at `now`."""
    was, now_at = (None if before is None else activation(before)), activation(after)
    if was == now_at:
        return TimerChanges(cancel=False, open=())
    opened = () if now_at is None else step_timers(definition, *now_at, activated_at=now)
    # Only a step with a deadline has timers to cancel.
    timed = was is not None and definition.steps[was[0]].deadline is not None
    return TimerChanges(cancel=timed, open=opened)


def step_timers(
    definition: WorkflowDefinition, step: int, round: int, *, activated_at: datetime
) -> tuple[TimerSpec, ...]:
    """The reminders and the deadline of step `step` activated at `activated_at`."""
    spec = definition.steps[step]
    if spec.deadline is None:
        return ()
    working = definition.working_days
    reminders = tuple(
        TimerSpec(step, round, "reminder", seq, due_at(activated_at, r, working_days=working))
        for seq, r in enumerate(spec.reminders)
    )
    deadline = due_at(activated_at, spec.deadline, working_days=working)
    return (*reminders, TimerSpec(step, round, "deadline", 0, deadline))
