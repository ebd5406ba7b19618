"""Writes events into the outbox in the action's transaction, with their audience and messages."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from godkend.domain.engine import DomainEvent
from godkend.domain.model import AUDITOR, Actor
from godkend.services.ports import Session

# One Danish and one English sentence per event type; {actor}, {ref} and {title} are filled in.
# Reminders and escalations are godkend's own (no actor); an overdue reminder has its own text.
MESSAGES: dict[str, tuple[str, str]] = {
    "request.submitted": (
        "{actor} har indsendt {ref} «{title}»",
        "{actor} submitted {ref} “{title}”",
    ),
    "request.assigned": (
        "{ref} «{title}» afventer nu en beslutning",
        "{ref} “{title}” now awaits a decision",
    ),
    "request.step_approved": (
        "{actor} har godkendt et trin af {ref}",
        "{actor} approved a step of {ref}",
    ),
    "request.approved": ("{ref} «{title}» er godkendt", "{ref} “{title}” is approved"),
    "request.rejected": ("{actor} har afvist {ref} «{title}»", "{actor} rejected {ref} “{title}”"),
    "request.returned": (
        "{actor} har sendt {ref} «{title}» retur til ændringer",
        "{actor} returned {ref} “{title}” for changes",
    ),
    "request.resubmitted": ("{actor} har genindsendt {ref}", "{actor} resubmitted {ref}"),
    "request.withdrawn": ("{actor} har trukket {ref} tilbage", "{actor} withdrew {ref}"),
    "request.comment_added": ("{actor} har kommenteret {ref}", "{actor} commented on {ref}"),
    "request.reminder": (
        "Påmindelse: {ref} «{title}» afventer din beslutning",
        "Reminder: {ref} “{title}” awaits your decision",
    ),
    "request.reminder.overdue": (
        "Fristen er overskredet: {ref} «{title}» afventer stadig en beslutning",
        "The deadline has passed: {ref} “{title}” still awaits a decision",
    ),
    "request.escalated": (
        "Fristen er overskredet, og {ref} «{title}» er sendt videre",
        "The deadline has passed and {ref} “{title}” has been escalated",
    ),
}


def _message_key(event: DomainEvent) -> str:
    overdue = event.type == "request.reminder" and event.data.get("overdue")
    return "request.reminder.overdue" if overdue else event.type


@dataclass(frozen=True)
class RequestSummary:
    """The part of a request every event carries (CONTRACT §5)."""

    id: int
    reference_number: str
    title: str
    workflow: str
    status: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "reference_number": self.reference_number,
            "title": self.title,
            "workflow": self.workflow,
            "status": self.status,
        }


def event_payload(
    event: DomainEvent, *, request: RequestSummary, actor: Actor | None, at: datetime
) -> dict[str, Any]:
    """The CONTRACT §5 event without its id (the cursor); `actor` is None for godkend's own."""
    da, en = MESSAGES.get(_message_key(event), ("{ref}", "{ref}"))
    values = {
        "actor": "godkend" if actor is None else actor.name,
        "ref": request.reference_number,
        "title": request.title,
    }
    return {
        "type": event.type,
        "occurred_at": at.isoformat().replace("+00:00", "Z"),
        "request": request.as_json(),
        "actor": None if actor is None else {"id": actor.user_id, "name": actor.name},
        "data": dict(event.data),
        "message": {"da": da.format(**values), "en": en.format(**values)},
    }


async def emit(
    session: Session,
    events: tuple[DomainEvent, ...],
    *,
    request: RequestSummary,
    actor: Actor | None,
    visible_to_roles: tuple[str, ...],
    awaiting: Collection[int],
    at: datetime,
) -> None:
    """Insert the events after the state change; the audience is fixed now, as it stands.

    A reminder is for `awaiting` only (who the step awaits, and whom substitutes stand in
    for); every other event is for everyone involved in the request.
    """
    involved = await session.fetchval("request_audience_users", request_id=request.id) or []
    roles = sorted({*visible_to_roles, AUDITOR})
    for event in events:
        users = awaiting if event.type == "request.reminder" else involved
        await session.execute(
            "insert_event",
            type=event.type,
            request_id=request.id,
            audience_users=sorted(set(users)),
            audience_roles=roles,
            payload=event_payload(event, request=request, actor=actor, at=at),
        )
