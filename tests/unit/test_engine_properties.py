"""Random workflows, approvers and command sequences never bring a request into an invalid state."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

from hypothesis import event, given, note, settings
from hypothesis import strategies as st

from godkend.domain import engine
from godkend.domain.engine import Outcome, RequestState, Status, StepStatus, Verdict
from godkend.domain.errors import GodkendError, NoApprover
from godkend.domain.workflow import Step, WorkflowDefinition
from tests.unit.test_engine import definition

T = TypeVar("T")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
USERS = st.integers(min_value=1, max_value=6)
CONTRACT_EVENTS = frozenset(
    {
        "request.submitted",
        "request.assigned",
        "request.step_approved",
        "request.approved",
        "request.rejected",
        "request.returned",
        "request.resubmitted",
        "request.withdrawn",
        "request.comment_added",
    }
)
ENDS = {
    Status.APPROVED: "request.approved",
    Status.REJECTED: "request.rejected",
    Status.RETURNED: "request.returned",
    Status.WITHDRAWN: "request.withdrawn",
}

# -- what hypothesis draws ------------------------------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    mode: Literal["any", "all", "k_of_n"]
    k: int | None
    may_return: bool
    conditional: bool


@dataclass(frozen=True)
class Awaited:
    """The `index`-th user the request awaits when the command runs (the requester if nobody)."""

    index: int


Actor = int | Awaited | Literal["requester"]


@dataclass(frozen=True)
class Decide:
    actor: Actor
    verdict: Verdict
    comment: str


@dataclass(frozen=True)
class Resubmit:
    actor: Actor
    candidates: tuple[tuple[int, ...], ...]
    applies: tuple[bool, ...]


@dataclass(frozen=True)
class Withdraw:
    actor: Actor


@dataclass(frozen=True)
class Comment:
    actor: Actor
    body: str


Command = Decide | Resubmit | Withdraw | Comment


@dataclass(frozen=True)
class Scenario:
    steps: tuple[StepSpec, ...]
    requester: int
    candidates: tuple[tuple[int, ...], ...]
    applies: tuple[bool, ...]


MAY_RETURN = st.sampled_from([True, True, True, False])


def step_specs() -> st.SearchStrategy[StepSpec]:
    simple = st.builds(
        StepSpec,
        mode=st.sampled_from(["any", "all"]),
        k=st.none(),
        may_return=MAY_RETURN,
        conditional=st.booleans(),
    )
    k_of_n = st.builds(
        StepSpec,
        mode=st.just("k_of_n"),
        k=st.integers(min_value=1, max_value=3),
        may_return=MAY_RETURN,
        conditional=st.booleans(),
    )
    return st.one_of(simple, k_of_n)


def candidate_sets(steps: int, requester: int) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    # Mostly people other than the requester (sometimes with the requester among them), so that
    # most submits pass; now and then anything, which includes nobody and the requester alone.
    others = st.lists(
        st.sampled_from([u for u in range(1, 7) if u != requester]), min_size=1, max_size=4
    )
    plain = others.map(tuple)
    with_requester = plain.map(lambda users: (*users, requester))
    anything = st.lists(USERS, max_size=4).map(tuple)
    one = weighted((5, plain), (2, with_requester), (1, anything))
    return st.lists(one, min_size=steps, max_size=steps).map(tuple)


def conditions(steps: int) -> st.SearchStrategy[tuple[bool, ...]]:
    return st.lists(st.booleans(), min_size=steps, max_size=steps).map(tuple)


def weighted(*choices: tuple[int, st.SearchStrategy[T]]) -> st.SearchStrategy[T]:
    # st.one_of draws its branches about evenly; repeating an index in sampled_from weights it.
    indexes = [index for index, (weight, _) in enumerate(choices) for _ in range(weight)]
    return st.sampled_from(indexes).flatmap(lambda index: choices[index][1])


def actors() -> st.SearchStrategy[Actor]:
    # Mostly somebody the request awaits, so that sequences get past the first step.
    awaited = st.builds(Awaited, st.integers(min_value=0, max_value=3))
    return weighted((6, awaited), (2, USERS), (1, st.just("requester")))


# Rejections end everything, so they are drawn least; returns lead to resubmits and round two.
VERDICTS = st.sampled_from([Verdict.RETURN] * 3 + [Verdict.APPROVE] * 3 + [Verdict.REJECT])


def commands(steps: int, requester: int, status: Status) -> st.SearchStrategy[Command]:
    """Any command, weighted by what is likely to move a request in this status."""
    reasons = st.sampled_from(["ok", "mangler bilag", "ok", "mangler bilag", "", "  "])
    weights = {Status.PENDING: (8, 1, 1, 1), Status.RETURNED: (2, 6, 1, 1)}.get(
        status, (1, 1, 1, 1)
    )
    choices: tuple[st.SearchStrategy[Command], ...] = (
        st.builds(Decide, actors(), VERDICTS, reasons),
        st.builds(Resubmit, actors(), candidate_sets(steps, requester), conditions(steps)),
        st.builds(Withdraw, actors()),
        st.builds(Comment, actors(), reasons),
    )
    return weighted(*zip(weights, choices, strict=True))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    steps = tuple(draw(st.lists(step_specs(), min_size=1, max_size=4)))
    requester = draw(USERS)
    return Scenario(
        steps=steps,
        requester=requester,
        candidates=draw(candidate_sets(len(steps), requester)),
        applies=draw(conditions(len(steps))),
    )


# -- running a scenario ---------------------------------------------------------------------


def workflow_of(specs: tuple[StepSpec, ...]) -> WorkflowDefinition:
    return definition(
        *(
            {
                "mode": spec.mode,
                "k": spec.k,
                "may_return": spec.may_return,
                "when": "fields.amount > 10000" if spec.conditional else None,
            }
            for spec in specs
        )
    )


def applies_from(workflow: WorkflowDefinition, values: tuple[bool, ...]) -> engine.Applies:
    chosen = {step.key: value for step, value in zip(workflow.steps, values, strict=True)}

    def applies(step: Step) -> bool:
        return step.when is None or chosen[step.key]

    return applies


def resolve(state: RequestState, actor: Actor) -> int:
    if isinstance(actor, int):
        return actor
    awaiting = state.awaiting()
    if actor == "requester" or not awaiting:
        return state.requester_id
    return awaiting[actor.index % len(awaiting)]


def run_command(
    workflow: WorkflowDefinition, state: RequestState, command: Command, now: datetime
) -> Outcome:
    actor_id = resolve(state, command.actor)
    note(f"  {type(command).__name__.lower()} by user {actor_id}")
    match command:
        case Decide(verdict=verdict, comment=reason):
            return engine.decide(
                workflow, state, actor_id=actor_id, verdict=verdict, comment=reason, now=now
            )
        case Resubmit(candidates=candidates, applies=values):
            return engine.resubmit(
                workflow,
                state,
                actor_id=actor_id,
                candidates=candidates,
                applies=applies_from(workflow, values),
                now=now,
            )
        case Withdraw():
            return engine.withdraw(state, actor_id=actor_id, now=now)
        case Comment(body=body):
            return engine.comment(state, actor_id=actor_id, body=body, now=now)


def describe(state: RequestState) -> str:
    steps = ", ".join(
        f"{s.key}:{s.status.value} approvers={list(s.approvers)} approvals={list(s.approvals)}"
        for s in state.steps
    )
    return f"    -> {state.status.value} round {state.round} step {state.current_step}: {steps}"


# -- the invariants -------------------------------------------------------------------------


def check_state(workflow: WorkflowDefinition, state: RequestState) -> None:
    assert isinstance(state.status, Status)
    assert (state.current_step is not None) == (state.status is Status.PENDING)
    assert [s.key for s in state.steps] == [s.key for s in workflow.steps]
    check_steps(workflow, state)
    check_decisions(state)
    if state.status is Status.PENDING:
        check_active_step(state)
    else:
        assert state.awaiting() == ()
        assert all(s.status is not StepStatus.ACTIVE for s in state.steps)
    if state.status is Status.APPROVED:
        for step in state.steps:
            assert step.status in (StepStatus.APPROVED, StepStatus.SKIPPED)
            if step.status is StepStatus.APPROVED:
                assert len(step.approvals) >= step.needed
    check_ended_step(state)
    stored = json.loads(json.dumps(state.to_json()))
    assert RequestState.from_json(stored) == state


def check_ended_step(state: RequestState) -> None:
    """The step that ended a round by reject or return shows it (a withdrawal keeps a return)."""
    ended = [
        s.status for s in state.steps if s.status in (StepStatus.REJECTED, StepStatus.RETURNED)
    ]
    expected = {
        Status.REJECTED: [[StepStatus.REJECTED]],
        Status.RETURNED: [[StepStatus.RETURNED]],
        Status.WITHDRAWN: [[], [StepStatus.RETURNED]],
    }.get(state.status, [[]])
    assert ended in expected, ended


def check_steps(workflow: WorkflowDefinition, state: RequestState) -> None:
    for spec, step in zip(workflow.steps, state.steps, strict=True):
        assert state.requester_id not in step.candidates
        assert set(step.approvers) <= set(step.candidates)
        assert set(step.approvals) <= set(step.approvers)
        assert len(set(step.approvals)) == len(step.approvals)
        if step.status is StepStatus.RETURNED:
            assert spec.may_return
        if step.status is StepStatus.SKIPPED:
            assert spec.when is not None
            assert step.approvers == step.approvals == ()
        elif step.approvers:
            expected = {"any": 1, "all": len(step.approvers)}.get(spec.mode, spec.k or 0)
            assert step.needed == expected


def check_decisions(state: RequestState) -> None:
    rounds = [d.round for d in state.decisions]
    assert rounds == sorted(rounds)
    assert all(1 <= r <= state.round for r in rounds)
    steps_by_user: defaultdict[int, set[int]] = defaultdict(set)
    for decision in state.decisions:
        assert decision.user_id != state.requester_id
        if decision.round == state.round:
            steps_by_user[decision.user_id].add(decision.step)
            assert decision.user_id in state.steps[decision.step].approvers
    assert all(len(steps) == 1 for steps in steps_by_user.values()), dict(steps_by_user)


def check_active_step(state: RequestState) -> None:
    index = state.current_step
    assert index is not None
    active = state.steps[index]
    assert active.status is StepStatus.ACTIVE
    assert state.requester_id not in active.approvers
    decided_elsewhere = {
        d.user_id for d in state.decisions if d.round == state.round and d.step != index
    }
    assert not decided_elsewhere & set(active.approvers)
    assert len(active.approvals) < active.needed <= len(active.approvers)
    assert state.awaiting()  # a pending request always awaits somebody
    for step in state.steps[:index]:
        assert step.status in (StepStatus.APPROVED, StepStatus.SKIPPED)
    for step in state.steps[index + 1 :]:
        assert step.status in (StepStatus.WAITING, StepStatus.SKIPPED)


def check_events(before: RequestState | None, outcome: Outcome) -> None:
    kinds = [e.type for e in outcome.events]
    assert set(kinds) <= CONTRACT_EVENTS
    after = outcome.state
    for status, kind in ENDS.items():
        entered = after.status is status and (before is None or before.status is not status)
        assert (kind in kinds) == entered, (kind, kinds)
    moved = before is None or (before.round, before.current_step) != (
        after.round,
        after.current_step,
    )
    assert ("request.assigned" in kinds) == (after.status is Status.PENDING and moved)


# -- the properties -------------------------------------------------------------------------


def submit(workflow: WorkflowDefinition, scenario: Scenario) -> Outcome:
    note(f"  submit by user {scenario.requester}")
    return engine.submit(
        workflow,
        requester_id=scenario.requester,
        candidates=scenario.candidates,
        applies=applies_from(workflow, scenario.applies),
        now=START,
    )


@settings(max_examples=600, deadline=None)
@given(scenarios(), st.data())
def test_random_commands_never_reach_an_invalid_state(
    scenario: Scenario, data: st.DataObject
) -> None:
    workflow = workflow_of(scenario.steps)
    try:
        outcome = submit(workflow, scenario)
    except GodkendError as refused:
        note(f"    refused: {refused!r}")
        event("submit refused")
        return
    check_events(None, outcome)
    state = outcome.state
    note(describe(state))
    check_state(workflow, state)
    steps = len(scenario.steps)
    for minute in range(1, data.draw(st.integers(min_value=3, max_value=16), label="commands")):
        kinds = commands(steps, scenario.requester, state.status)
        command = data.draw(kinds, label=f"command {minute}")
        snapshot = state.to_json()
        try:
            outcome = run_command(workflow, state, command, START + timedelta(minutes=minute))
        except GodkendError as refused:
            note(f"    refused: {refused!r}")
            assert state.to_json() == snapshot, "a refused command changed the state"
            continue
        check_events(state, outcome)
        event(f"did {type(command).__name__}")
        assert (outcome.decision is not None) == isinstance(command, Decide)
        state = outcome.state
        note(describe(state))
        check_state(workflow, state)
    event(f"ended {state.status.value} in round {min(state.round, 3)}")


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_approving_whoever_is_awaited_completes_or_names_the_step_nobody_can_take(
    scenario: Scenario,
) -> None:
    workflow = workflow_of(scenario.steps)
    try:
        state = submit(workflow, scenario).state
    except GodkendError:
        return
    stuck: NoApprover | None = None
    # Every approval is by a different person, so this many always suffices.
    for _ in range(sum(len(c) for c in scenario.candidates) + 1):
        if state.status is not Status.PENDING:
            break
        actor = state.awaiting()[0]
        note(f"  approve by user {actor}")
        try:
            state = engine.decide(
                workflow, state, actor_id=actor, verdict=Verdict.APPROVE, comment="", now=START
            ).state
        except NoApprover as refused:  # any other error fails the test
            stuck = refused
            break
        note(describe(state))
    if stuck is not None:  # a later step has nobody left who did not decide this one
        assert state.current_step is not None
        later = workflow.steps[state.current_step + 1 :]
        assert stuck.data["step"] in {s.key for s in later}
    else:
        assert state.status is Status.APPROVED
