"""What the workflow-runtime tests share: a clock the test moves, and reading what was written."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from fastapi import FastAPI

from godkend.services.context import Services


class Clock:
    """The services' clock in a test: starts at the real now (never earlier, so a scheduler on
    the real clock has nothing due that the test has not made due) and moves only when told."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


def use_clock(app: FastAPI, clock: Clock) -> Services:
    """Make the app's services read `clock`; returns them."""
    svc: Services = dataclasses.replace(app.state.services, clock=clock)
    app.state.services = svc
    return svc


async def user_id(db: asyncpg.Connection, username: str) -> int:
    found: int = await db.fetchval("SELECT id FROM users WHERE username = $1", username)
    return found


async def events_of(db: asyncpg.Connection, request_id: int) -> list[dict[str, Any]]:
    """The request's outbox events in commit order: type, audience and payload."""
    rows = await db.fetch(
        "SELECT type, audience_users, payload FROM events WHERE request_id = $1 ORDER BY tx, id",
        request_id,
    )
    return [
        {
            "type": r["type"],
            "audience": list(r["audience_users"]),
            "payload": json.loads(r["payload"]),
        }
        for r in rows
    ]
