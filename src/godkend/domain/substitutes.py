"""Segregation of duties when someone else takes a step: which substitutes may stand in for
absent approvers, and who may take over an escalated step.

Nobody decides their own request or two steps of one request in a round, and a substitute's
decision counts against both the substitute and the approver they act for. A stand-in is also
refused when deciding this step would leave a later step of the round without enough approvers
(so a director who is somebody's substitute is not spent on a step the director must decide
later on).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from godkend.domain.request_state import RequestState, Route, StepStatus
from godkend.domain.workflow import WorkflowDefinition

# Approver -> the substitute who decides in their place now (delegations resolved by the caller).
Substitutes = Mapping[int, int]
NO_SUBSTITUTES: Substitutes = {}


def routes(
    definition: WorkflowDefinition,
    state: RequestState,
    index: int,
    *,
    substitutes: Substitutes,
) -> tuple[Route, ...]:
    """Which approvers of step `index` who still owe an approval are taken by their substitute.

    An approver whose substitute may not decide keeps the step (better late than decided by
    someone who must not).
    """
    step = state.steps[index]
    taken = {state.requester_id, *step.approvers, *state.deciders_this_round()}
    found: list[Route] = []
    for approver in step.approvers:
        substitute = substitutes.get(approver)
        if approver in step.approvals or substitute is None or substitute in taken:
            continue
        if strands_later(definition, state, index, substitute):
            continue
        found.append((approver, substitute))
        taken.add(substitute)  # one person acts once per step, whoever they act for
    return tuple(found)


def takeover(
    definition: WorkflowDefinition, state: RequestState, index: int, found: Iterable[int]
) -> tuple[int, ...]:
    """Who of `found` may take over step `index` (an escalation): nobody who decided this round,
    the requester, anybody who already approved the step, or someone a later step needs."""
    step = state.steps[index]
    excluded = {state.requester_id, *step.approvals, *state.deciders_this_round()}
    return tuple(
        u
        for u in dict.fromkeys(found)
        if u not in excluded and not strands_later(definition, state, index, u)
    )


def strands_later(
    definition: WorkflowDefinition, state: RequestState, index: int, user: int
) -> bool:
    """Whether `user` deciding step `index` leaves a later step of this round short of approvers
    that it would have had otherwise."""
    decided = state.deciders_this_round()
    for later in range(index + 1, len(state.steps)):
        step = state.steps[later]
        if step.status is StepStatus.SKIPPED or user not in step.candidates:
            continue
        spec = definition.steps[later]
        need = spec.k if spec.mode == "k_of_n" and spec.k is not None else 1
        eligible = [u for u in step.candidates if u not in decided]
        if len(eligible) >= need > len(eligible) - 1:
            return True
    return False
