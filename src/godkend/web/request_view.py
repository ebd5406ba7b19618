"""A request as its detail page shows it: fields, steps, decisions, comments, history, moves.

Decisions and comments are read from the request's audit history (which records each with its
actor and time), so the page needs no read model of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from godkend.domain.workflow import WorkflowDefinition
from godkend.web import labels
from godkend.web.templating import Page


@dataclass(frozen=True)
class FieldRow:
    label: str
    value: str
    long: bool = False


@dataclass(frozen=True)
class StepRow:
    name: str
    status: str
    status_label: str
    approvals: int
    needed: int
    current: bool


@dataclass(frozen=True)
class Entry:
    """A line of history, a decision or a comment."""

    at: str
    at_iso: str
    who: str
    what: str
    text: str = ""
    verified: bool = True


@dataclass(frozen=True)
class Moves:
    """The buttons the viewer gets: only the moves the engine would accept from them now."""

    decide: bool = False
    may_return: bool = False
    withdraw: bool = False
    resubmit: bool = False
    comment: bool = True

    @property
    def signature(self) -> str:
        """Changes exactly when the set of moves changes (the live client compares it)."""
        names = ("decide", "may_return", "withdraw", "resubmit", "comment")
        return "".join("1" if getattr(self, n) else "0" for n in names)


@dataclass(frozen=True)
class RequestView:
    request: Mapping[str, Any]
    workflow_title: str
    fields: list[FieldRow]
    steps: list[StepRow]
    waiting_for: list[str]
    decisions: list[Entry]
    comments: list[Entry]
    history: list[Entry]
    moves: Moves

    @property
    def status(self) -> str:
        return str(self.request["status"])


def build(
    page: Page,
    request: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    definition: WorkflowDefinition | None,
) -> RequestView:
    _ = page.gettext
    entries = [_entry(page, h) for h in history]
    return RequestView(
        request=request,
        workflow_title=definition.title.in_language(page.language)
        if definition
        else request["workflow"]["key"],
        fields=field_rows(page, request["fields"], definition),
        steps=_steps(page, request, definition),
        waiting_for=[p["name"] for p in request["pending_approvers"]],
        decisions=[
            _decision(page, h, e)
            for h, e in zip(history, entries, strict=True)
            if h["action"] in ("request.approve", "request.reject", "request.return")
        ],
        comments=[
            Entry(e.at, e.at_iso, e.who, _("Comment"), _event_value(h, "body"))
            for h, e in zip(history, entries, strict=True)
            if h["action"] == "request.comment"
        ],
        history=entries,
        moves=moves_for(page, request, definition),
    )


def field_rows(
    page: Page, fields: Mapping[str, Any], definition: WorkflowDefinition | None
) -> list[FieldRow]:
    rows = []
    known = [f.key for f in definition.fields] if definition else []
    for key in [*known, *(k for k in fields if k not in known)]:
        if key not in fields:
            continue
        f = definition.field(key) if definition else None
        label = f.label.in_language(page.language) if f else key
        value = labels.field_value(
            f, fields[key], language=page.language, formats=page.formats, gettext=page.gettext
        )
        rows.append(FieldRow(label, value, long=bool(f and f.type == "long_text")))
    return rows


def _steps(
    page: Page, request: Mapping[str, Any], definition: WorkflowDefinition | None
) -> list[StepRow]:
    names = (
        {s.key: s.name.in_language(page.language) for s in definition.steps} if definition else {}
    )
    return [
        StepRow(
            name=names.get(s["key"], s["key"]),
            status=s["status"],
            status_label=labels.step_status_label(s["status"], page.gettext),
            approvals=s["approvals"],
            needed=s["needed"],
            current=s["key"] == request["current_step"] and request["status"] == "pending",
        )
        for s in request["steps"]
    ]


def _entry(page: Page, h: Mapping[str, Any]) -> Entry:
    actor = h.get("actor")
    return Entry(
        at=page.formats.datetime(h["at"]),
        at_iso=page.formats.iso_datetime(h["at"]),
        who=actor["name"] if actor else page.gettext("The system"),
        what=labels.action_label(h["action"], page.gettext),
        verified=bool(h.get("verified", True)),
    )


def _decision(page: Page, h: Mapping[str, Any], entry: Entry) -> Entry:
    verdict = h["action"].removeprefix("request.")
    what = page.gettext(labels.VERDICTS.get(verdict, verdict))
    return Entry(entry.at, entry.at_iso, entry.who, what, _event_value(h, "comment"))


def _event_value(h: Mapping[str, Any], key: str) -> str:
    for event in h.get("data", {}).get("events", []):
        value = event.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def moves_for(
    page: Page, request: Mapping[str, Any], definition: WorkflowDefinition | None
) -> Moves:
    viewer = page.viewer
    if viewer is None:
        return Moves(comment=False)
    status = request["status"]
    mine = request["requester"]["id"] == viewer.user_id
    awaiting_me = status == "pending" and any(
        p["id"] == viewer.user_id for p in request["pending_approvers"]
    )
    step = definition_step(definition, request["current_step"])
    return Moves(
        decide=awaiting_me,
        may_return=awaiting_me and (step is None or step.may_return),
        withdraw=mine and status in ("pending", "returned"),
        resubmit=mine and status == "returned",
        comment=True,
    )


def definition_step(definition: WorkflowDefinition | None, key: str | None) -> Any:
    if definition is None or key is None:
        return None
    return next((s for s in definition.steps if s.key == key), None)
