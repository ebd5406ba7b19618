"""Substitutes in the engine: an absent approver's step goes to their substitute, who decides on
their behalf, and segregation of duties counts both of them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

from godkend.domain import engine
from godkend.domain.engine import Outcome, RequestState, Status, Verdict
from godkend.domain.errors import (
    GodkendError,
    IllegalMove,
    NotAnApprover,
    NotAwaitingYou,
    SegregationOfDuties,
)
from godkend.domain.workflow import WorkflowDefinition
from tests.unit.test_engine import definition
from tests.unit.test_engine_properties import Scenario, applies_from, scenarios, workflow_of

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ANNA, BO, CARL, DITTE, EVA, FRIDA = 1, 2, 3, 4, 5, 6


def submit(
    workflow: WorkflowDefinition, *candidates: tuple[int, ...], away: Mapping[int, int]
) -> Outcome:
    return engine.submit(
        workflow,
        requester_id=ANNA,
        candidates=list(candidates),
        applies=lambda _: True,
        now=NOW,
        substitutes=away,
    )


def approve(
    workflow: WorkflowDefinition,
    state: RequestState,
    actor: int,
    *,
    away: Mapping[int, int] | None = None,
) -> Outcome:
    return engine.decide(
        workflow,
        state,
        actor_id=actor,
        verdict=Verdict.APPROVE,
        comment="",
        now=NOW,
        substitutes=away or {},
    )


def test_an_absent_approvers_step_awaits_their_substitute_on_their_behalf() -> None:
    outcome = submit(definition({}), (BO,), away={BO: EVA})
    assert outcome.state.awaiting() == (EVA,)
    assert outcome.state.assignments() == ((EVA, BO),)
    assigned = outcome.events[-1]
    assert assigned.type == "request.assigned"
    assert assigned.data["users"] == [EVA]
    assert assigned.data["substitutes"] == [{"user": EVA, "on_behalf_of": BO}]


def test_the_substitute_decides_on_behalf_of_the_absent_approver() -> None:
    workflow = definition({})
    state = submit(workflow, (BO,), away={BO: EVA}).state
    outcome = approve(workflow, state, EVA)
    assert outcome.decision is not None
    assert (outcome.decision.user_id, outcome.decision.on_behalf_of) == (EVA, BO)
    assert outcome.state.status is Status.APPROVED
    assert outcome.state.steps[0].approvals == (BO,)
    stored = json.loads(json.dumps(outcome.state.to_json()))
    assert RequestState.from_json(stored) == outcome.state


def test_the_absent_approver_may_still_decide_and_then_the_substitute_may_not() -> None:
    workflow = definition({"mode": "k_of_n", "k": 2})
    state = submit(workflow, (BO, CARL, DITTE), away={BO: EVA}).state
    state = approve(workflow, state, BO).state
    assert state.status is Status.PENDING
    with pytest.raises(NotAwaitingYou):
        approve(workflow, state, EVA)


def test_a_requester_named_as_substitute_never_gets_the_step() -> None:
    workflow = definition({})
    state = submit(workflow, (BO,), away={BO: ANNA}).state
    assert state.awaiting() == (BO,)
    with pytest.raises(SegregationOfDuties):
        approve(workflow, state, ANNA)


def test_a_substitute_who_decided_step_one_cannot_take_step_two_for_someone_else() -> None:
    workflow = definition({}, {})
    state = submit(workflow, (BO,), (CARL,), away={CARL: BO}).state
    state = approve(workflow, state, BO, away={CARL: BO}).state
    assert state.current_step == 1
    assert state.awaiting() == (CARL,)  # not BO, who decided step one
    with pytest.raises(SegregationOfDuties):
        approve(workflow, state, BO)


def test_deciding_for_someone_counts_against_both_in_later_steps() -> None:
    workflow = definition({}, {"mode": "any"})
    state = submit(workflow, (BO,), (BO, EVA, CARL), away={BO: EVA}).state
    state = approve(workflow, state, EVA).state  # for BO
    assert state.current_step == 1
    # Neither BO (on whose behalf step one was decided) nor EVA (who decided it) takes step two.
    assert state.awaiting() == (CARL,)
    for actor in (BO, EVA):
        with pytest.raises(SegregationOfDuties):
            approve(workflow, state, actor)


def test_the_absent_approvers_earlier_decision_counts_against_their_substitute() -> None:
    workflow = definition({}, {})
    state = submit(workflow, (BO,), (BO, CARL), away={}).state
    state = approve(workflow, state, BO, away={BO: EVA}).state
    # BO decided step one, so BO is no approver of step two: nobody may act for BO there.
    assert state.awaiting() == (CARL,)
    with pytest.raises(NotAnApprover):
        approve(workflow, state, EVA)


def test_one_substitute_for_two_absent_approvers_of_a_step_counts_once() -> None:
    workflow = definition({"mode": "all"})
    state = submit(workflow, (BO, CARL, DITTE), away={BO: EVA, CARL: EVA}).state
    assert state.assignments() == ((EVA, BO), (CARL, None), (DITTE, None))
    state = approve(workflow, state, EVA).state
    with pytest.raises(NotAwaitingYou):
        approve(workflow, state, EVA)


def test_an_approver_of_the_same_step_is_not_made_a_substitute_in_it() -> None:
    workflow = definition({"mode": "all"})
    state = submit(workflow, (BO, CARL), away={BO: CARL}).state
    assert state.assignments() == ((BO, None), (CARL, None))


def test_a_substitute_needed_by_a_later_step_is_not_spent_on_an_earlier_one() -> None:
    # BO names CARL, but CARL alone decides step two: step one stays with BO.
    workflow = definition({}, {})
    state = submit(workflow, (BO,), (CARL,), away={BO: CARL}).state
    assert state.awaiting() == (BO,)


def test_k_of_n_counts_the_substitutes_approval_for_the_absent_member() -> None:
    workflow = definition({"mode": "k_of_n", "k": 2})
    state = submit(workflow, (BO, CARL, DITTE), away={BO: EVA}).state
    assert state.awaiting() == (EVA, CARL, DITTE)
    state = approve(workflow, state, EVA).state
    assert state.status is Status.PENDING
    outcome = approve(workflow, state, CARL)
    assert outcome.state.status is Status.APPROVED
    assert outcome.state.steps[0].approvals == (BO, CARL)
    with pytest.raises(IllegalMove):
        approve(workflow, outcome.state, DITTE)


def test_reroute_follows_delegations_that_start_and_end() -> None:
    workflow = definition({"mode": "all"})
    state = submit(workflow, (BO, CARL), away={}).state
    started = engine.reroute(workflow, state, substitutes={BO: EVA}, now=NOW)
    assert started.state.awaiting() == (EVA, CARL)
    assert [e.type for e in started.events] == ["request.assigned"]
    assert started.events[0].data["rerouted"] is True
    again = engine.reroute(workflow, started.state, substitutes={BO: EVA}, now=NOW)
    assert again.events == ()
    ended = engine.reroute(workflow, started.state, substitutes={}, now=NOW)
    assert ended.state.awaiting() == (BO, CARL)


def test_reroute_leaves_approvals_already_given_alone() -> None:
    workflow = definition({"mode": "all"})
    state = submit(workflow, (BO, CARL), away={}).state
    state = approve(workflow, state, BO).state
    assert engine.reroute(workflow, state, substitutes={BO: EVA}, now=NOW).events == ()


def test_reroute_of_a_closed_request_is_refused() -> None:
    workflow = definition({})
    state = approve(workflow, submit(workflow, (BO,), away={}).state, BO).state
    with pytest.raises(IllegalMove):
        engine.reroute(workflow, state, substitutes={BO: EVA}, now=NOW)


def test_a_stored_state_from_before_substitutes_reads_back() -> None:
    state = submit(definition({}), (BO,), away={}).state
    data = state.to_json()
    assert "substitutes" not in data["steps"][0]
    assert RequestState.from_json(data) == state
    assert FRIDA not in state.awaiting()


# -- random workflows, delegations and moves ------------------------------------------------

PEOPLE = st.integers(min_value=1, max_value=8)


def away_maps() -> st.SearchStrategy[dict[int, int]]:
    return st.dictionaries(PEOPLE, PEOPLE, min_size=1, max_size=6).map(
        lambda m: {a: s for a, s in m.items() if a != s}
    )


def check_segregation(state: RequestState) -> None:
    """Nobody decides their own request, nor (counting whom they act for) two steps of a round;
    nobody acts twice on one step; substitutes are never the requester or a step's approver."""
    steps_of: dict[int, set[int]] = {}
    acted: set[tuple[int, int, int]] = set()
    for d in state.decisions:
        assert state.requester_id not in d.people
        assert (d.round, d.step, d.user_id) not in acted
        acted.add((d.round, d.step, d.user_id))
        if d.round == state.round:
            for person in d.people:
                steps_of.setdefault(person, set()).add(d.step)
    assert all(len(steps) == 1 for steps in steps_of.values()), steps_of
    for step in state.steps:
        substitutes = [s for _, s in step.substitutes]
        assert len(set(substitutes)) == len(substitutes)
        assert {a for a, _ in step.substitutes} <= set(step.approvers)
        assert not set(substitutes) & {state.requester_id, *step.approvers}
        assert set(step.approvals) <= set(step.approvers)
        assert len(set(step.approvals)) == len(step.approvals)
    if state.status is Status.PENDING:
        assert state.awaiting()
        assert len(set(state.awaiting())) == len(state.awaiting())
    assert RequestState.from_json(json.loads(json.dumps(state.to_json()))) == state


@settings(max_examples=400, deadline=None)
@given(scenarios(), st.data())
def test_random_delegations_and_moves_keep_segregation_of_duties(
    scenario: Scenario, data: st.DataObject
) -> None:
    workflow = workflow_of(scenario.steps)
    try:
        state = engine.submit(
            workflow,
            requester_id=scenario.requester,
            candidates=scenario.candidates,
            applies=applies_from(workflow, scenario.applies),
            now=NOW,
            substitutes=data.draw(away_maps(), label="away at submit"),
        ).state
    except GodkendError:
        return
    check_segregation(state)
    for _ in range(data.draw(st.integers(min_value=1, max_value=12), label="moves")):
        if state.status is not Status.PENDING:
            break
        move = data.draw(st.sampled_from(["decide", "decide", "decide", "reroute", "escalate"]))
        away = data.draw(away_maps(), label="away")
        try:
            state = _move(workflow, state, move, away, data)
        except GodkendError as refused:
            note(f"    refused: {refused!r}")
            continue
        check_segregation(state)
    if any(d.on_behalf_of is not None for d in state.decisions):
        event("a substitute decided")


def _move(
    workflow: WorkflowDefinition,
    state: RequestState,
    move: str,
    away: dict[int, int],
    data: st.DataObject,
) -> RequestState:
    assert state.current_step is not None
    if move == "reroute":
        return engine.reroute(workflow, state, substitutes=away, now=NOW).state
    if move == "escalate":
        targets = data.draw(st.lists(PEOPLE, max_size=3), label="targets")
        return engine.reassign(
            workflow,
            state,
            step=state.current_step,
            approvers=targets,
            reason="deadline",
            now=NOW,
            substitutes=away,
        ).state
    awaiting = state.awaiting()
    anyone = data.draw(st.integers(min_value=0, max_value=3)) == 0
    actor = data.draw(PEOPLE if anyone else st.sampled_from(awaiting), label="actor")
    verdict = data.draw(st.sampled_from([Verdict.APPROVE] * 4 + [Verdict.REJECT]))
    note(f"  {verdict.value} by {actor} (awaiting {awaiting})")
    return engine.decide(
        workflow,
        state,
        actor_id=actor,
        verdict=verdict,
        comment="nej",
        now=NOW,
        substitutes=away,
    ).state
