"""The approval engine by example: each test is a move a requester or approver would notice."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from godkend.domain import engine
from godkend.domain.conditions import compile_condition
from godkend.domain.definitions import load_definition
from godkend.domain.engine import Outcome, RequestState, Status, StepStatus, Verdict
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

WORKFLOWS = Path(__file__).resolve().parents[2] / "src" / "godkend" / "workflows"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

# The people in these stories; ANNA is always the requester.
ANNA, BO, CARL, DITTE, EVA = 1, 2, 3, 4, 5


def definition(*steps: Mapping[str, object]) -> WorkflowDefinition:
    """A workflow whose steps are `step0`, `step1`, ... with the given overrides."""
    return WorkflowDefinition.model_validate(
        {
            "key": "test",
            "title": {"da": "Test", "en": "Test"},
            "description": {"da": "Test", "en": "Test"},
            "fields": [
                {"key": "amount", "type": "amount", "label": {"da": "Beløb", "en": "Amount"}}
            ],
            "steps": [
                {
                    "key": f"step{index}",
                    "name": {"da": f"Trin {index}", "en": f"Step {index}"},
                    "approvers": {"role": "approver"},
                    **step,
                }
                for index, step in enumerate(steps)
            ],
        }
    )


def every_step(step: Step) -> bool:
    del step
    return True


def submit(
    workflow: WorkflowDefinition,
    *candidates: tuple[int, ...],
    skip: frozenset[str] = frozenset(),
) -> Outcome:
    return engine.submit(
        workflow,
        requester_id=ANNA,
        candidates=list(candidates),
        applies=lambda step: step.key not in skip,
        now=NOW,
    )


def decide(
    workflow: WorkflowDefinition,
    state: RequestState,
    actor: int,
    verdict: Verdict = Verdict.APPROVE,
    comment: str = "",
) -> Outcome:
    return engine.decide(workflow, state, actor_id=actor, verdict=verdict, comment=comment, now=NOW)


def approve(workflow: WorkflowDefinition, state: RequestState, *actors: int) -> RequestState:
    for actor in actors:
        state = decide(workflow, state, actor).state
    return state


def resubmit(
    workflow: WorkflowDefinition, state: RequestState, *candidates: tuple[int, ...]
) -> RequestState:
    return engine.resubmit(
        workflow,
        state,
        actor_id=ANNA,
        candidates=list(candidates),
        applies=every_step,
        now=NOW,
    ).state


Make = Callable[[], RequestState]


def types(outcome: Outcome) -> list[str]:
    return [event.type for event in outcome.events]


ONE_STEP = definition({})
TWO_STEPS = definition({}, {})
NO_RETURN = definition({"may_return": False})


def pending_one_step() -> RequestState:
    return submit(ONE_STEP, (BO, CARL)).state


def approved_state() -> RequestState:
    return approve(ONE_STEP, pending_one_step(), BO)


def rejected_state() -> RequestState:
    return decide(ONE_STEP, pending_one_step(), BO, Verdict.REJECT, "for dyrt").state


def returned_state() -> RequestState:
    return decide(ONE_STEP, pending_one_step(), BO, Verdict.RETURN, "mangler bilag").state


def withdrawn_state() -> RequestState:
    return engine.withdraw(pending_one_step(), actor_id=ANNA, now=NOW).state


# -- submit -----------------------------------------------------------------------------------


def test_submit_activates_the_first_step_and_assigns_its_approvers() -> None:
    outcome = submit(TWO_STEPS, (BO, CARL), (DITTE,))
    state = outcome.state
    assert state.status is Status.PENDING
    assert state.round == 1
    assert state.current_step == 0
    assert [s.status for s in state.steps] == [StepStatus.ACTIVE, StepStatus.WAITING]
    assert state.steps[0].approvers == (BO, CARL)
    assert state.awaiting() == (BO, CARL)
    assert types(outcome) == ["request.submitted", "request.assigned"]
    assert outcome.events[1].data == {"step": "step0", "users": [BO, CARL]}


def test_duplicate_candidates_are_assigned_once() -> None:
    state = submit(ONE_STEP, (BO, CARL, BO)).state
    assert state.awaiting() == (BO, CARL)


def test_a_step_that_does_not_apply_is_skipped() -> None:
    state = submit(TWO_STEPS, (BO,), (CARL,), skip=frozenset({"step0"})).state
    assert state.steps[0].status is StepStatus.SKIPPED
    assert state.current_step == 1
    assert state.awaiting() == (CARL,)


def test_a_skipped_step_is_passed_over_after_an_approval() -> None:
    workflow = definition({}, {}, {})
    state = submit(workflow, (BO,), (CARL,), (DITTE,), skip=frozenset({"step1"})).state
    state = approve(workflow, state, BO)
    assert state.current_step == 2
    assert state.awaiting() == (DITTE,)
    assert approve(workflow, state, DITTE).status is Status.APPROVED


def test_a_step_that_applies_is_included() -> None:
    state = approve(TWO_STEPS, submit(TWO_STEPS, (BO,), (CARL,)).state, BO)
    assert state.status is Status.PENDING
    assert state.awaiting() == (CARL,)


def test_a_request_with_no_applicable_step_is_approved_at_once() -> None:
    outcome = submit(TWO_STEPS, (BO,), (CARL,), skip=frozenset({"step0", "step1"}))
    assert outcome.state.status is Status.APPROVED
    assert outcome.state.current_step is None
    assert types(outcome) == ["request.submitted", "request.approved"]


def test_a_skipped_step_needs_no_approver() -> None:
    state = submit(TWO_STEPS, (BO,), (), skip=frozenset({"step1"})).state
    assert approve(TWO_STEPS, state, BO).status is Status.APPROVED


# -- udlaeg's real condition ----------------------------------------------------------------

UDLAEG = load_definition((WORKFLOWS / "udlaeg.yaml").read_text(), source="udlaeg.yaml")
REQUESTER = {"username": "anna", "org_unit": "hr", "roles": ["employee"]}


def submit_expense(amount: float) -> RequestState:
    fields = {"amount": amount, "date": "2026-03-01", "category": "meals", "purpose": "Møde"}

    def applies(step: Step) -> bool:
        return step.when is None or compile_condition(step.when).evaluate(fields, REQUESTER)

    return engine.submit(
        UDLAEG, requester_id=ANNA, candidates=[(BO,), (EVA,)], applies=applies, now=NOW
    ).state


@pytest.mark.parametrize("amount", [0.01, 9999.99, 10000])
def test_udlaeg_up_to_10000_kr_needs_only_the_manager(amount: float) -> None:
    state = submit_expense(amount)
    assert [s.status for s in state.steps] == [StepStatus.ACTIVE, StepStatus.SKIPPED]
    assert approve(UDLAEG, state, BO).status is Status.APPROVED


@pytest.mark.parametrize("amount", [10000.01, 25000])
def test_udlaeg_above_10000_kr_also_needs_finance(amount: float) -> None:
    state = approve(UDLAEG, submit_expense(amount), BO)
    assert state.status is Status.PENDING
    assert state.steps[1].key == "finance"
    assert state.awaiting() == (EVA,)
    assert approve(UDLAEG, state, EVA).status is Status.APPROVED


# -- completion modes -----------------------------------------------------------------------


def test_any_step_is_done_with_one_approval() -> None:
    state = submit(TWO_STEPS, (BO, CARL), (DITTE,)).state
    outcome = decide(TWO_STEPS, state, CARL)
    assert types(outcome) == ["request.step_approved", "request.assigned"]
    assert outcome.state.steps[0].status is StepStatus.APPROVED
    assert outcome.state.awaiting() == (DITTE,)


def test_all_step_waits_for_every_approver() -> None:
    workflow = definition({"mode": "all"})
    state = submit(workflow, (BO, CARL, DITTE)).state
    assert state.steps[0].needed == 3
    outcome = decide(workflow, state, CARL)
    assert types(outcome) == ["request.step_approved"]
    assert outcome.events[0].data == {"step": "step0", "complete": False}
    assert outcome.state.awaiting() == (BO, DITTE)
    state = approve(workflow, outcome.state, DITTE)
    assert state.status is Status.PENDING
    assert state.awaiting() == (BO,)
    assert approve(workflow, state, BO).status is Status.APPROVED


def test_k_of_n_step_is_done_after_k_approvals() -> None:
    workflow = definition({"mode": "k_of_n", "k": 2}, {})
    state = submit(workflow, (BO, CARL, DITTE), (EVA,)).state
    assert state.steps[0].needed == 2
    state = approve(workflow, state, DITTE)
    assert state.current_step == 0
    assert state.awaiting() == (BO, CARL)
    state = approve(workflow, state, BO)
    assert state.steps[0].status is StepStatus.APPROVED
    assert state.steps[0].approvals == (DITTE, BO)
    assert state.awaiting() == (EVA,)


def test_k_of_n_with_fewer_candidates_than_k_is_refused_at_submit() -> None:
    with pytest.raises(NoApprover) as caught:
        submit(definition({"mode": "k_of_n", "k": 3}), (BO, CARL))
    assert caught.value.data["step"] == "step0"


def test_k_of_n_later_step_that_can_never_be_completed_is_refused_at_submit() -> None:
    # Otherwise the first step's approver would be the one to find out, unable to approve.
    workflow = definition({}, {"mode": "k_of_n", "k": 2})
    with pytest.raises(NoApprover) as caught:
        submit(workflow, (BO,), (CARL, ANNA))
    assert caught.value.field == "workflow"
    assert caught.value.data["step"] == "step1"


# -- reject and return ----------------------------------------------------------------------


def test_reject_ends_the_request() -> None:
    outcome = decide(TWO_STEPS, submit(TWO_STEPS, (BO,), (CARL,)).state, BO, Verdict.REJECT, "nej")
    state = outcome.state
    assert state.status is Status.REJECTED
    assert state.current_step is None
    assert state.awaiting() == ()
    assert [s.status for s in state.steps] == [StepStatus.REJECTED, StepStatus.WAITING]
    assert types(outcome) == ["request.rejected"]
    assert outcome.events[0].data == {"step": "step0", "comment": "nej"}
    assert outcome.decision is not None
    assert outcome.decision.comment == "nej"


def test_return_sends_the_request_back_to_the_requester() -> None:
    state = approve(TWO_STEPS, submit(TWO_STEPS, (BO,), (CARL,)).state, BO)
    outcome = decide(TWO_STEPS, state, CARL, Verdict.RETURN, "ret beløbet")
    assert outcome.state.status is Status.RETURNED
    assert outcome.state.current_step is None
    assert outcome.state.awaiting() == ()
    assert outcome.state.steps[1].status is StepStatus.RETURNED
    assert types(outcome) == ["request.returned"]


@pytest.mark.parametrize("verdict", [Verdict.REJECT, Verdict.RETURN])
@pytest.mark.parametrize("comment", ["", "   \n"])
def test_reject_and_return_need_a_reason(verdict: Verdict, comment: str) -> None:
    state = pending_one_step()
    with pytest.raises(InvalidInput) as caught:
        decide(ONE_STEP, state, BO, verdict, comment)
    assert caught.value.field == "comment"


def test_approve_needs_no_comment() -> None:
    assert approve(ONE_STEP, pending_one_step(), BO).status is Status.APPROVED


@pytest.mark.parametrize("comment", ["ret det", ""])
def test_return_is_refused_where_the_step_may_not_return(comment: str) -> None:
    state = submit(NO_RETURN, (BO,)).state
    with pytest.raises(IllegalMove) as caught:
        decide(NO_RETURN, state, BO, Verdict.RETURN, comment)
    assert (caught.value.state, caught.value.command) == ("pending", "return")
    assert "return" in caught.value.message
    # Reject is still open to the approver.
    assert decide(NO_RETURN, state, BO, Verdict.REJECT, "nej").state.status is Status.REJECTED


# -- resubmit -------------------------------------------------------------------------------


def test_resubmit_starts_round_two_from_the_first_step() -> None:
    state = approve(TWO_STEPS, submit(TWO_STEPS, (BO,), (CARL,)).state, BO)
    state = decide(TWO_STEPS, state, CARL, Verdict.RETURN, "ret beløbet").state
    outcome = engine.resubmit(
        TWO_STEPS, state, actor_id=ANNA, candidates=[(BO,), (CARL,)], applies=every_step, now=NOW
    )
    again = outcome.state
    assert again.status is Status.PENDING
    assert again.round == 2
    assert again.current_step == 0
    assert [s.status for s in again.steps] == [StepStatus.ACTIVE, StepStatus.WAITING]
    assert again.steps[0].approvals == ()
    assert types(outcome) == ["request.resubmitted", "request.assigned"]
    # Round one's decisions stay on record.
    assert [(d.round, d.verdict) for d in again.decisions] == [
        (1, Verdict.APPROVE),
        (1, Verdict.RETURN),
    ]


def test_earlier_deciders_may_decide_again_in_the_new_round() -> None:
    # Round one: BO approves step 0 and CARL returns step 1.
    state = approve(TWO_STEPS, submit(TWO_STEPS, (BO, CARL), (CARL, DITTE)).state, BO)
    state = decide(TWO_STEPS, state, CARL, Verdict.RETURN, "ret beløbet").state
    # Round two: CARL, who decided step 1 last round, may now decide step 0 ...
    state = resubmit(TWO_STEPS, state, (BO, CARL), (CARL, DITTE))
    assert state.awaiting() == (BO, CARL)
    state = approve(TWO_STEPS, state, CARL)
    # ... and is then the one kept off step 1, while BO is not.
    assert state.awaiting() == (DITTE,)
    assert approve(TWO_STEPS, state, DITTE).status is Status.APPROVED


def test_resubmit_uses_the_approvers_of_now() -> None:
    state = resubmit(ONE_STEP, returned_state(), (EVA,))
    assert state.awaiting() == (EVA,)


def test_resubmit_when_only_the_requester_can_approve_is_refused() -> None:
    with pytest.raises(NoApprover):
        resubmit(ONE_STEP, returned_state(), (ANNA,))


def test_only_the_requester_may_resubmit() -> None:
    with pytest.raises(Forbidden) as caught:
        engine.resubmit(
            ONE_STEP,
            returned_state(),
            actor_id=BO,
            candidates=[(BO,)],
            applies=every_step,
            now=NOW,
        )
    assert caught.value.data["command"] == "resubmit"


@pytest.mark.parametrize(
    ("make", "status"),
    [
        (pending_one_step, "pending"),
        (approved_state, "approved"),
        (rejected_state, "rejected"),
        (withdrawn_state, "withdrawn"),
    ],
)
def test_only_a_returned_request_can_be_resubmitted(make: Make, status: str) -> None:
    with pytest.raises(IllegalMove) as caught:
        resubmit(ONE_STEP, make(), (BO,))
    assert (caught.value.state, caught.value.command) == (status, "resubmit")
    assert caught.value.message == f"cannot resubmit a request that is {status}"


# -- withdraw -------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [pending_one_step, returned_state])
def test_the_requester_withdraws_an_open_request(make: Make) -> None:
    outcome = engine.withdraw(make(), actor_id=ANNA, now=NOW)
    assert outcome.state.status is Status.WITHDRAWN
    assert outcome.state.current_step is None
    assert outcome.state.awaiting() == ()
    assert all(s.status is not StepStatus.ACTIVE for s in outcome.state.steps)
    assert types(outcome) == ["request.withdrawn"]


def test_nobody_else_may_withdraw() -> None:
    with pytest.raises(Forbidden) as caught:
        engine.withdraw(pending_one_step(), actor_id=BO, now=NOW)
    assert caught.value.data["command"] == "withdraw"


@pytest.mark.parametrize(
    ("make", "status"),
    [(approved_state, "approved"), (rejected_state, "rejected"), (withdrawn_state, "withdrawn")],
)
def test_a_closed_request_cannot_be_withdrawn(make: Make, status: str) -> None:
    with pytest.raises(IllegalMove) as caught:
        engine.withdraw(make(), actor_id=ANNA, now=NOW)
    assert (caught.value.state, caught.value.command) == (status, "withdraw")
    assert status in caught.value.message
    assert "withdraw" in caught.value.message


# -- four-eyes ------------------------------------------------------------------------------


def test_the_requester_is_removed_from_the_approvers_at_submit() -> None:
    state = submit(ONE_STEP, (ANNA, BO)).state
    assert state.steps[0].candidates == (BO,)
    assert state.awaiting() == (BO,)


@pytest.mark.parametrize("verdict", list(Verdict))
def test_the_requester_never_decides_their_own_request(verdict: Verdict) -> None:
    state = submit(ONE_STEP, (ANNA, BO)).state
    with pytest.raises(SegregationOfDuties):
        decide(ONE_STEP, state, ANNA, verdict, "selv")


def test_a_request_only_the_requester_could_approve_is_refused() -> None:
    with pytest.raises(NoApprover) as caught:
        submit(TWO_STEPS, (BO,), (ANNA,))
    assert caught.value.data["step"] == "step1"


def test_a_step_without_candidates_is_refused() -> None:
    with pytest.raises(NoApprover):
        submit(ONE_STEP, ())


def test_the_approver_of_one_step_is_kept_off_the_next() -> None:
    state = approve(TWO_STEPS, submit(TWO_STEPS, (BO, CARL), (BO, DITTE)).state, BO)
    assert state.steps[1].candidates == (BO, DITTE)
    assert state.awaiting() == (DITTE,)
    with pytest.raises(SegregationOfDuties):
        decide(TWO_STEPS, state, BO)
    with pytest.raises(SegregationOfDuties):
        decide(TWO_STEPS, state, BO, Verdict.REJECT, "nej")


def test_an_all_step_needs_everybody_but_the_earlier_deciders() -> None:
    workflow = definition({}, {"mode": "all"})
    state = approve(workflow, submit(workflow, (BO,), (BO, CARL, DITTE)).state, BO)
    assert state.steps[1].needed == 2
    assert approve(workflow, state, CARL, DITTE).status is Status.APPROVED


def test_an_approval_that_would_leave_the_next_step_without_approvers_is_refused() -> None:
    state = submit(TWO_STEPS, (BO,), (BO,)).state
    with pytest.raises(NoApprover) as caught:
        decide(TWO_STEPS, state, BO)
    assert caught.value.data["step"] == "step1"
    # Nothing was recorded: the request still awaits BO on the first step.
    assert state.awaiting() == (BO,)
    assert state.decisions == ()


def test_a_k_of_n_step_counts_only_people_who_did_not_decide_before() -> None:
    workflow = definition({}, {"mode": "k_of_n", "k": 2})
    state = submit(workflow, (BO,), (BO, CARL)).state
    with pytest.raises(NoApprover):
        decide(workflow, state, BO)


# -- illegal moves --------------------------------------------------------------------------


@pytest.mark.parametrize("verdict", list(Verdict))
@pytest.mark.parametrize(
    ("make", "status"),
    [
        (approved_state, "approved"),
        (rejected_state, "rejected"),
        (returned_state, "returned"),
        (withdrawn_state, "withdrawn"),
    ],
)
def test_a_request_that_is_not_pending_takes_no_decision(
    make: Make, status: str, verdict: Verdict
) -> None:
    with pytest.raises(IllegalMove) as caught:
        decide(ONE_STEP, make(), BO, verdict, "ok")
    assert (caught.value.state, caught.value.command) == (status, verdict.value)
    assert caught.value.message == f"cannot {verdict.value} a request that is {status}"
    assert caught.value.data == {"state": status, "command": verdict.value}


@pytest.mark.parametrize("verdict", list(Verdict))
def test_somebody_who_is_not_an_approver_cannot_decide(verdict: Verdict) -> None:
    with pytest.raises(NotAnApprover) as caught:
        decide(TWO_STEPS, submit(TWO_STEPS, (BO,), (CARL,)).state, CARL, verdict, "ok")
    assert caught.value.data == {"step": "step0"}


def test_an_approver_cannot_approve_twice() -> None:
    workflow = definition({"mode": "all"})
    state = approve(workflow, submit(workflow, (BO, CARL)).state, BO)
    with pytest.raises(NotAwaitingYou):
        decide(workflow, state, BO)
    with pytest.raises(NotAwaitingYou):
        decide(workflow, state, BO, Verdict.REJECT, "alligevel nej")


# -- comments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make", [pending_one_step, approved_state, rejected_state, returned_state, withdrawn_state]
)
def test_a_comment_never_changes_the_state(make: Make) -> None:
    state = make()
    outcome = engine.comment(state, actor_id=DITTE, body="Husk kvittering", now=NOW)
    assert outcome.state == state
    assert types(outcome) == ["request.comment_added"]
    assert outcome.events[0].data == {"body": "Husk kvittering"}


def test_an_empty_comment_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        engine.comment(pending_one_step(), actor_id=BO, body=" \t", now=NOW)
    assert caught.value.field == "body"


# -- stored state ---------------------------------------------------------------------------


def test_the_state_survives_a_json_round_trip() -> None:
    workflow = definition({"mode": "k_of_n", "k": 2}, {}, {"mode": "all"})
    state = submit(workflow, (BO, CARL, DITTE), (EVA,), (CARL, DITTE)).state
    state = approve(workflow, state, BO, CARL)
    state = decide(workflow, state, EVA, Verdict.RETURN, 'ret "beløb" ✓').state
    state = resubmit(workflow, state, (BO, CARL, DITTE), (EVA,), (CARL, DITTE))
    state = engine.decide(
        workflow,
        state,
        actor_id=DITTE,
        verdict=Verdict.APPROVE,
        comment="",
        now=NOW + timedelta(days=1),
    ).state
    stored = json.loads(json.dumps(state.to_json()))
    assert RequestState.from_json(stored) == state
    assert RequestState.from_json(stored).awaiting() == state.awaiting() == (BO, CARL)
