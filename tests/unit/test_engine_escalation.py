"""Reminders and escalation in the engine, and the step timers a move opens and cancels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from godkend.domain import engine
from godkend.domain.engine import RequestState, Status, Verdict
from godkend.domain.errors import IllegalMove, NoApprover, NotAnApprover
from godkend.domain.timers import changes, step_timers
from godkend.domain.workflow import WorkflowDefinition
from tests.unit.test_engine import definition

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday
ANNA, BO, CARL, DITTE, EVA, FRIDA = 1, 2, 3, 4, 5, 6


def submitted(workflow: WorkflowDefinition, *candidates: tuple[int, ...]) -> RequestState:
    return engine.submit(
        workflow, requester_id=ANNA, candidates=list(candidates), applies=lambda _: True, now=NOW
    ).state


def approve(workflow: WorkflowDefinition, state: RequestState, actor: int) -> RequestState:
    return engine.decide(
        workflow, state, actor_id=actor, verdict=Verdict.APPROVE, comment="", now=NOW
    ).state


def test_escalation_hands_the_step_to_the_target() -> None:
    workflow = definition({})
    state = submitted(workflow, (BO,))
    outcome = engine.reassign(workflow, state, step=0, approvers=[CARL], reason="deadline", now=NOW)
    assert outcome.state.awaiting() == (CARL,)
    assert [e.type for e in outcome.events] == ["request.escalated", "request.assigned"]
    assert outcome.events[0].data == {
        "step": "step0",
        "from": [BO],
        "users": [CARL],
        "reason": "deadline",
    }
    with pytest.raises(NotAnApprover):
        approve(workflow, outcome.state, BO)
    assert approve(workflow, outcome.state, CARL).status is Status.APPROVED


def test_a_step_escalates_once() -> None:
    workflow = definition({})
    state = submitted(workflow, (BO,))
    state = engine.reassign(workflow, state, step=0, approvers=[CARL], reason="x", now=NOW).state
    with pytest.raises(IllegalMove):
        engine.reassign(workflow, state, step=0, approvers=[DITTE], reason="x", now=NOW)


def test_escalation_keeps_approvals_and_asks_only_for_what_is_missing() -> None:
    workflow = definition({"mode": "k_of_n", "k": 2})
    state = approve(workflow, submitted(workflow, (BO, CARL, DITTE)), BO)
    outcome = engine.reassign(workflow, state, step=0, approvers=[EVA], reason="x", now=NOW)
    step = outcome.state.steps[0]
    assert (step.approvals, step.needed, outcome.state.awaiting()) == ((BO,), 2, (EVA,))
    assert approve(workflow, outcome.state, EVA).status is Status.APPROVED


def test_escalation_never_reaches_the_requester_or_a_decider_of_another_step() -> None:
    workflow = definition({}, {})
    state = approve(workflow, submitted(workflow, (BO,), (CARL,)), BO)
    with pytest.raises(NoApprover):
        engine.reassign(workflow, state, step=1, approvers=[ANNA, BO], reason="x", now=NOW)
    outcome = engine.reassign(
        workflow, state, step=1, approvers=[ANNA, BO, DITTE], reason="x", now=NOW
    )
    assert outcome.state.awaiting() == (DITTE,)


def test_escalation_goes_to_the_targets_substitute_when_they_are_away() -> None:
    workflow = definition({})
    state = submitted(workflow, (BO,))
    outcome = engine.reassign(
        workflow, state, step=0, approvers=[CARL], reason="x", now=NOW, substitutes={CARL: FRIDA}
    )
    assert outcome.state.assignments() == ((FRIDA, CARL),)


def test_a_stale_escalation_is_refused() -> None:
    workflow = definition({}, {})
    state = approve(workflow, submitted(workflow, (BO,), (CARL,)), BO)
    with pytest.raises(IllegalMove):
        engine.reassign(workflow, state, step=0, approvers=[DITTE], reason="x", now=NOW)


def test_a_reminder_names_who_the_step_awaits() -> None:
    workflow = definition({"mode": "all"})
    state = submitted(workflow, (BO, CARL))
    outcome = engine.remind(state, step=0, now=NOW)
    assert outcome.state == state
    assert [(e.type, dict(e.data)) for e in outcome.events] == [
        ("request.reminder", {"step": "step0", "users": [BO, CARL]})
    ]
    overdue = engine.remind(state, step=0, now=NOW, overdue=True)
    assert overdue.events[0].data["overdue"] is True
    done = approve(workflow, approve(workflow, state, BO), CARL)
    with pytest.raises(IllegalMove):
        engine.remind(done, step=0, now=NOW)


# -- timers ---------------------------------------------------------------------------------


def timed(working_days: bool = False) -> WorkflowDefinition:
    base = definition(
        {"deadline": "P3D", "reminders": ["P1D", "P2D"]}, {"deadline": "PT4H"}, {}
    ).model_dump()
    return WorkflowDefinition.model_validate({**base, "working_days": working_days})


def test_activating_a_step_sets_its_reminders_and_deadline() -> None:
    workflow = timed()
    state = submitted(workflow, (BO,), (CARL,), (DITTE,))
    change = changes(workflow, None, state, now=NOW)
    assert not change.cancel
    assert [(t.kind, t.seq, t.due_at - NOW) for t in change.open] == [
        ("reminder", 0, timedelta(days=1)),
        ("reminder", 1, timedelta(days=2)),
        ("deadline", 0, timedelta(days=3)),
    ]


def test_leaving_a_step_cancels_its_timers_and_sets_the_next_ones() -> None:
    workflow = timed()
    state = submitted(workflow, (BO,), (CARL,), (DITTE,))
    later = NOW + timedelta(hours=1)
    moved = approve(workflow, state, BO)
    change = changes(workflow, state, moved, now=later)
    assert change.cancel
    assert [(t.step, t.kind, t.due_at) for t in change.open] == [
        (1, "deadline", later + timedelta(hours=4))
    ]
    last = approve(workflow, moved, CARL)
    change = changes(workflow, moved, last, now=later)
    assert change.cancel
    assert change.open == ()  # step 2 has no deadline
    assert changes(workflow, last, approve(workflow, last, DITTE), now=later).cancel is False


def test_a_move_within_the_step_keeps_its_timers() -> None:
    workflow = timed()
    state = submitted(workflow, (BO, EVA), (CARL,), (DITTE,))
    rerouted = engine.reroute(workflow, state, substitutes={BO: FRIDA}, now=NOW).state
    change = changes(workflow, state, rerouted, now=NOW)
    assert (change.cancel, change.open) == (False, ())


def test_working_days_skip_the_weekend() -> None:
    friday = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    due = step_timers(timed(working_days=True), 0, 1, activated_at=friday)
    assert [t.due_at.date().isoformat() for t in due] == ["2026-03-09", "2026-03-10", "2026-03-11"]
