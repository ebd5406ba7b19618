"""Deadlines, reminders and escalation fired by the scheduler against real PostgreSQL, on a clock
the test moves (ferie: remind after 2 working days, escalate to the next manager after 3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg

from godkend.domain.deadlines import due_at
from godkend.services.context import Services
from godkend.services.scheduler import Scheduler
from tests.integration.clients import (
    API,
    ClientFactory,
    assert_problem,
    decide,
    get,
    history,
    login,
    submit,
)
from tests.integration.workflow_runtime.support import Clock, events_of, user_id

MINUTE = timedelta(minutes=1)


def ferie_due(start: datetime) -> tuple[datetime, datetime]:
    """When ferie's reminder and deadline fall due for a step that started at `start`."""
    return due_at(start, "P2D", working_days=True), due_at(start, "P3D", working_days=True)


async def timers(db: asyncpg.Connection, request_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT kind, round, due_at, fired_at, cancelled_at FROM timers"
        " WHERE request_id = $1 ORDER BY id",
        request_id,
    )
    return [dict(r) for r in rows]


def pending(request: dict[str, Any]) -> list[str]:
    return [p["name"].split()[0].lower() for p in request["pending_approvers"]]


async def test_a_step_with_a_deadline_stores_its_reminder_and_deadline(
    client_factory: ClientFactory, db: asyncpg.Connection, clock: Clock
) -> None:
    anna = await login(client_factory, "anna")
    request = await submit(anna)
    reminder, deadline = ferie_due(clock.now)
    assert [(t["kind"], t["due_at"], t["fired_at"]) for t in await timers(db, request["id"])] == [
        ("reminder", reminder, None),
        ("deadline", deadline, None),
    ]


async def test_the_reminder_fires_once_for_whom_the_step_awaits(
    client_factory: ClientFactory, db: asyncpg.Connection, clock: Clock, svc: Services
) -> None:
    anna = await login(client_factory, "anna")
    request = await submit(anna)
    reminder, _ = ferie_due(clock.now)
    scheduler = Scheduler(svc, instance="test")
    clock.now = reminder - MINUTE
    assert await scheduler.run_once() == 0
    clock.now = reminder + MINUTE
    assert await scheduler.run_once() == 1
    assert await scheduler.run_once() == 0
    anna = await login(client_factory, "anna")  # days later: a new session

    event = (await events_of(db, request["id"]))[-1]
    bo = await user_id(db, "bo")
    assert event["type"] == "request.reminder"
    assert event["audience"] == [bo]  # the reminder is for bo, not for anna
    assert event["payload"]["actor"] is None
    assert event["payload"]["data"] == {"step": "manager", "users": [bo]}
    assert event["payload"]["message"]["en"].startswith("Reminder: GK-")
    entry = (await history(anna, request["id"]))[-1]
    assert (entry["action"], entry["actor"]) == ("request.remind", None)
    assert (await get(anna, request["id"]))["version"] == request["version"]
    fired = [t for t in await timers(db, request["id"]) if t["fired_at"] is not None]
    assert [t["kind"] for t in fired] == ["reminder"]


async def test_the_deadline_escalates_to_the_next_manager(
    client_factory: ClientFactory, db: asyncpg.Connection, clock: Clock, svc: Services
) -> None:
    request = await submit(await login(client_factory, "anna"))
    _, deadline = ferie_due(clock.now)
    # Every instance was down until well after the deadline: one pass catches up, in order.
    clock.now = deadline + timedelta(days=5)
    assert await Scheduler(svc).run_once() == 2
    assert await Scheduler(svc).run_once() == 0
    anna, bo = await login(client_factory, "anna"), await login(client_factory, "bo")
    carl = await login(client_factory, "carl")

    escalated = await get(anna, request["id"])
    assert pending(escalated) == ["carl"]
    assert request["id"] in [r["id"] for r in (await carl.get(f"{API}/inbox")).json()["data"]]
    kinds = [e["type"] for e in await events_of(db, request["id"])]
    assert kinds[-3:] == ["request.reminder", "request.escalated", "request.assigned"]
    data = (await events_of(db, request["id"]))[-2]["payload"]["data"]
    assert data == {
        "step": "manager",
        "from": [await user_id(db, "bo")],
        "users": [await user_id(db, "carl")],
        "reason": "deadline",
    }
    actions = [(e["action"], e["actor"]) for e in await history(anna, request["id"])]
    assert actions[-2:] == [("request.remind", None), ("request.escalate", None)]
    assert_problem(await decide(bo, request["id"], "approve"), 403)
    assert (await decide(carl, request["id"], "approve")).json()["status"] == "approved"


async def test_deciding_in_time_cancels_the_timers(
    client_factory: ClientFactory, db: asyncpg.Connection, clock: Clock, svc: Services
) -> None:
    anna, bo = await login(client_factory, "anna"), await login(client_factory, "bo")
    request = await submit(anna)
    clock.advance(timedelta(hours=2))
    assert (await decide(bo, request["id"], "approve")).status_code == 200
    assert all(t["cancelled_at"] == clock.now for t in await timers(db, request["id"]))
    clock.advance(timedelta(days=30))
    assert await Scheduler(svc).run_once() == 0
    assert "request.reminder" not in [e["type"] for e in await events_of(db, request["id"])]


async def test_return_and_resubmit_start_the_timers_again(
    client_factory: ClientFactory, db: asyncpg.Connection, clock: Clock
) -> None:
    anna, bo = await login(client_factory, "anna"), await login(client_factory, "bo")
    request = await submit(anna)
    await decide(bo, request["id"], "return", comment="Hvilken uge?")
    later = clock.advance(timedelta(days=1))
    anna = await login(client_factory, "anna")
    assert (await anna.post(f"{API}/requests/{request['id']}/resubmit", json={})).status_code == 200
    rows = await timers(db, request["id"])
    assert [(t["round"], t["cancelled_at"] is not None) for t in rows] == [
        (1, True),
        (1, True),
        (2, False),
        (2, False),
    ]
    assert [t["due_at"] for t in rows[2:]] == list(ferie_due(later))


async def test_an_escalation_to_nobody_says_the_step_is_overdue(
    client_factory: ClientFactory, db: asyncpg.Connection, clock: Clock, svc: Services
) -> None:
    # bo's manager is carl, the director: there is nobody above carl to escalate to.
    request = await submit(await login(client_factory, "bo"))
    _, deadline = ferie_due(clock.now)
    clock.now = deadline + MINUTE
    assert await Scheduler(svc).run_once() == 2
    bo = await login(client_factory, "bo")
    assert pending(await get(bo, request["id"])) == ["carl"]
    event = (await events_of(db, request["id"]))[-1]
    assert event["type"] == "request.reminder"
    assert event["payload"]["data"]["overdue"] is True
    assert event["payload"]["message"]["en"].startswith("The deadline has passed")
    entry = (await history(bo, request["id"]))[-1]
    assert entry["action"] == "request.overdue"
    assert entry["data"]["escalation"].startswith("not possible")


async def test_an_escalation_target_who_is_away_is_replaced_by_their_substitute(
    client_factory: ClientFactory, clock: Clock, svc: Services
) -> None:
    carl, anna = await login(client_factory, "carl"), await login(client_factory, "anna")
    away = await carl.post(
        f"{API}/delegations",
        json={
            "substitute": "hanne",
            "starts_at": clock.now.isoformat(),
            "ends_at": (clock.now + timedelta(days=30)).isoformat(),
        },
    )
    assert away.status_code == 201, away.text
    request = await submit(anna)
    clock.now = ferie_due(clock.now)[1] + MINUTE
    await Scheduler(svc).run_once()
    anna = await login(client_factory, "anna")
    assert pending(await get(anna, request["id"])) == ["hanne"]


async def test_a_request_being_changed_is_fired_on_a_later_pass(
    client_factory: ClientFactory, db: asyncpg.Connection, clock: Clock, svc: Services
) -> None:
    anna = await login(client_factory, "anna")
    request = await submit(anna)
    clock.now = ferie_due(clock.now)[0] + MINUTE
    scheduler = Scheduler(svc)
    async with db.transaction():
        await db.execute("SELECT 1 FROM requests WHERE id = $1 FOR UPDATE", request["id"])
        assert await scheduler.run_once() == 0  # did not wait for the lock, and lost nothing
    assert await scheduler.run_once() == 1


async def test_a_timer_that_fails_is_retried_later_and_holds_up_no_other(
    client_factory: ClientFactory, db: asyncpg.Connection, clock: Clock, svc: Services
) -> None:
    anna = await login(client_factory, "anna")
    broken, fine = (await submit(anna))["id"], (await submit(anna))["id"]
    await db.execute("UPDATE requests SET state = '{}' WHERE id = $1", broken)
    clock.now = ferie_due(clock.now)[0] + MINUTE
    scheduler = Scheduler(svc)
    assert await scheduler.run_once() == 0  # the batch with the broken one rolled back
    assert await scheduler.run_once() == 1  # the next pass fires the other one
    failed = (await timers(db, broken))[0]
    assert failed["fired_at"] is None
    assert failed["due_at"] > clock.now  # retried later, not in a busy loop
    row = await db.fetchrow(
        "SELECT attempts, last_error FROM timers WHERE request_id = $1 ORDER BY id", broken
    )
    assert row is not None
    assert row["attempts"] == 1
    assert "KeyError" in row["last_error"]
    assert [t["fired_at"] is not None for t in await timers(db, fine)] == [True, False]
