"""A request's state as the engine sees it (steps, routing to substitutes, decisions) and the
outcome of a command; stored as JSON in `requests.state`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


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


# (absent approver, the substitute deciding in their place) for one activation of a step.
Route = tuple[int, int]


@dataclass(frozen=True)
class StepState:
    """A step in the current round: who may decide it and who has approved it so far.

    `approvers` and `approvals` name the approvers themselves; `substitutes` says which of the
    approvers are away and who decides in their place (each substitute for one of them at most).
    """

    key: str
    status: StepStatus
    candidates: tuple[int, ...]
    approvers: tuple[int, ...] = ()
    approvals: tuple[int, ...] = ()
    needed: int = 1
    substitutes: tuple[Route, ...] = ()
    escalated: bool = False

    def substitute_of(self, approver: int) -> int | None:
        return next((s for a, s in self.substitutes if a == approver), None)

    def represented_by(self, substitute: int) -> int | None:
        """The approver `substitute` stands in for on this step, if any."""
        return next((a for a, s in self.substitutes if s == substitute), None)


@dataclass(frozen=True)
class Decision:
    """A decision; `on_behalf_of` is the absent approver a substitute decided for."""

    step: int
    round: int
    user_id: int
    verdict: Verdict
    comment: str
    at: datetime
    on_behalf_of: int | None = None

    @property
    def people(self) -> tuple[int, ...]:
        """Who this decision counts against for segregation of duties: the decider and whom
        they acted for."""
        return (self.user_id,) if self.on_behalf_of is None else (self.user_id, self.on_behalf_of)


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
        """Everyone who decided a step this round, or had a substitute decide one for them."""
        return frozenset(u for d in self.decisions if d.round == self.round for u in d.people)

    def assignments(self) -> tuple[tuple[int, int | None], ...]:
        """(who decides, on behalf of whom or None) for each approval the current step awaits."""
        if self.status is not Status.PENDING or self.current_step is None:
            return ()
        step = self.steps[self.current_step]
        pending = (u for u in step.approvers if u not in step.approvals)
        return tuple((u, None) if (s := step.substitute_of(u)) is None else (s, u) for u in pending)

    def awaiting(self) -> tuple[int, ...]:
        """Who the request awaits now: the current step's approvers who have not yet approved,
        or the substitutes deciding in their place."""
        return tuple(user for user, _ in self.assignments())

    def to_json(self) -> dict[str, Any]:
        return {
            "requester_id": self.requester_id,
            "status": self.status.value,
            "round": self.round,
            "current_step": self.current_step,
            "steps": [_step_json(s) for s in self.steps],
            "decisions": [_decision_json(d) for d in self.decisions],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RequestState:
        return cls(
            requester_id=data["requester_id"],
            status=Status(data["status"]),
            round=data["round"],
            current_step=data["current_step"],
            steps=tuple(_step_from_json(s) for s in data["steps"]),
            decisions=tuple(_decision_from_json(d) for d in data["decisions"]),
        )


def _step_json(s: StepState) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": s.key,
        "status": s.status.value,
        "candidates": list(s.candidates),
        "approvers": list(s.approvers),
        "approvals": list(s.approvals),
        "needed": s.needed,
    }
    # Only when set, so that states stored before substitutes existed read back unchanged.
    if s.substitutes:
        data["substitutes"] = [list(r) for r in s.substitutes]
    if s.escalated:
        data["escalated"] = True
    return data


def _step_from_json(s: Mapping[str, Any]) -> StepState:
    return StepState(
        key=s["key"],
        status=StepStatus(s["status"]),
        candidates=tuple(s["candidates"]),
        approvers=tuple(s["approvers"]),
        approvals=tuple(s["approvals"]),
        needed=s["needed"],
        substitutes=tuple((a, b) for a, b in s.get("substitutes", ())),
        escalated=bool(s.get("escalated", False)),
    )


def _decision_json(d: Decision) -> dict[str, Any]:
    data: dict[str, Any] = {
        "step": d.step,
        "round": d.round,
        "user_id": d.user_id,
        "verdict": d.verdict.value,
        "comment": d.comment,
        "at": d.at.isoformat(),
    }
    if d.on_behalf_of is not None:
        data["on_behalf_of"] = d.on_behalf_of
    return data


def _decision_from_json(d: Mapping[str, Any]) -> Decision:
    return Decision(
        step=d["step"],
        round=d["round"],
        user_id=d["user_id"],
        verdict=Verdict(d["verdict"]),
        comment=d["comment"],
        at=datetime.fromisoformat(d["at"]),
        on_behalf_of=d.get("on_behalf_of"),
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
