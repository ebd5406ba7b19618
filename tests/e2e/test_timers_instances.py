"""Three scheduler processes on one database: every due timer fires exactly once, none is lost.

200 leave requests each have a reminder and a deadline (400 timers); the instances run on a
clock a month later, as if every instance had been down meanwhile. Each request must get exactly
one reminder and one escalation (events and audit entries), and end up awaiting the director.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from godkend.domain.model import Actor
from godkend.services.context import Services
from godkend.services.requests import do_submit_request
from godkend.services.users import do_add_user, do_save_org_unit
from godkend.services.workflows import do_publish_workflow
from godkend.store.db import PgDatabase
from godkend.workflows import builtin_definition_texts

REPO = Path(__file__).resolve().parents[2]
REQUESTS = 200
INSTANCES = 3
RUN_TIMEOUT = 90.0


async def _organisation(svc: Services) -> Actor:
    """anna in an office headed by bo, under carl; only ferie published. Returns anna."""
    await do_save_org_unit(svc, key="styrelsen", name="Styrelsen", parent=None)
    await do_save_org_unit(svc, key="kontor", name="Kontoret", parent="styrelsen")
    ids = {}
    for username, unit, roles in (
        ("carl", "styrelsen", ("manager", "director")),
        ("bo", "kontor", ("manager",)),
        ("anna", "kontor", ("employee",)),
    ):
        ids[username] = await do_add_user(
            svc,
            username=username,
            name=username.title(),
            email=f"{username}@example.dk",
            org_unit=unit,
            roles=roles,
            password=None,
        )
    ferie = dict(builtin_definition_texts())["ferie.yaml"]
    await do_publish_workflow(svc, ferie, source="ferie.yaml")
    return Actor(ids["anna"], "anna", "Anna", frozenset({"employee"}))


async def _prepare(url: str) -> None:
    db = await PgDatabase.connect(url, min_size=1, max_size=2)
    try:
        svc = Services(db=db)
        anna = await _organisation(svc)
        fields = {"from": "2027-07-05", "to": "2027-07-09"}
        for n in range(REQUESTS):
            await do_submit_request(
                svc, workflow="ferie", title=f"Ferie {n}", fields=fields, actor=anna
            )
    finally:
        await db.close()


def _run_instances(url: str, now: datetime) -> list[dict[str, object]]:
    start = time.time() + 2.0  # every process has imported godkend by then
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.e2e.timers_worker",
                url,
                now.isoformat(),
                str(start),
                f"instance-{i}",
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(INSTANCES)
    ]
    reports = []
    try:
        for worker in workers:
            out, err = worker.communicate(timeout=RUN_TIMEOUT)
            assert worker.returncode == 0, err
            reports.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    return reports


async def test_three_instances_fire_each_due_timer_exactly_once(db_url: str) -> None:
    await _prepare(db_url)
    conn = await asyncpg.connect(db_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM timers") == 2 * REQUESTS
        reports = _run_instances(db_url, datetime.now(UTC) + timedelta(days=30))

        timers = await conn.fetch("SELECT id, kind, fired_at, fired_by, attempts FROM timers")
        assert len(timers) == 2 * REQUESTS
        assert all(t["fired_at"] is not None and t["attempts"] == 0 for t in timers)
        by_instance = Counter(t["fired_by"] for t in timers)
        assert sum(int(str(r["fired"])) for r in reports) == 2 * REQUESTS
        assert by_instance == Counter({str(r["instance"]): int(str(r["fired"])) for r in reports})
        assert len(by_instance) >= 2, by_instance  # they really ran side by side

        # Exactly one audit entry per timer, and one reminder and one escalation per request.
        per_timer = await conn.fetch(
            "SELECT (data->>'timer')::bigint AS timer, count(*) AS n FROM audit_log"
            " WHERE data ? 'timer' GROUP BY 1"
        )
        assert sorted(r["timer"] for r in per_timer) == sorted(t["id"] for t in timers)
        assert {r["n"] for r in per_timer} == {1}
        per_request = await conn.fetch(
            "SELECT request_id, type, count(*) AS n FROM events"
            " WHERE type IN ('request.reminder', 'request.escalated') GROUP BY 1, 2"
        )
        assert len(per_request) == 2 * REQUESTS
        assert {r["n"] for r in per_request} == {1}
        awaiting = await conn.fetch(
            "SELECT DISTINCT u.username FROM assignments a JOIN users u ON u.id = a.user_id"
            " WHERE a.active"
        )
        assert [r["username"] for r in awaiting] == ["carl"]
    finally:
        await conn.close()
