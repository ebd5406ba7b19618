"""Writes events into the outbox in the action's transaction, with their audience and messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from godkend.domain.engine import DomainEvent
from godkend.domain.model import AUDITOR, Actor
from godkend.services.ports import Session

# One Danish and one English sentence per event type; {actor}, {ref} and {title} are filled in.
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
}


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
    event: DomainEvent, *, request: RequestSummary, actor: Actor, at: datetime
) -> dict[str, Any]:
    da, en = MESSAGES.get(event.type, ("{ref}", "{ref}"))
    values = {"actor": actor.name, "ref": request.reference_number, "title": request.title}
    return {
        "type": event.type,
        "occurred_at": at.isoformat().replace("+00:00", "Z"),
        "request": request.as_json(),
        "actor": {"id": actor.user_id, "name": actor.name},
        "data": dict(event.data),
        "message": {"da": da.format(**values), "en": en.format(**values)},
    }


async def emit(
    session: Session,
    events: tuple[DomainEvent, ...],
    *,
    request: RequestSummary,
    actor: Actor,
    visible_to_roles: tuple[str, ...],
    at: datetime,
) -> None:
    """Insert the events after the state change; the audience is fixed now, as it stands."""
    users = await session.fetchval("request_audience_users", request_id=request.id) or []
    roles = sorted({*visible_to_roles, AUDITOR})
    for event in events:
        await session.execute(
            "insert_event",
            type=event.type,
            request_id=request.id,
            audience_users=sorted(users),
            audience_roles=roles,
            payload=event_payload(event, request=request, actor=actor, at=at),
        )
