"""Every built-in workflow walked end to end on the demo organisation, through the services.

The database is the demo (godkend.services.demo.load_demo, loaded once into a template by the
`demo_db_url` fixture and cloned per test). Each walk submits a request as its requester, then
at every step checks who is assigned and approves with them, as many as the step needs, until
the request is decided; the walks together take every conditional step both ways.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from godkend.domain.conditions import compile_condition
from godkend.domain.engine import Verdict
from godkend.domain.forms import validate_fields
from godkend.domain.model import Actor
from godkend.domain.workflow import Approvers, WorkflowDefinition
from godkend.services import queries
from godkend.services.context import Services
from godkend.services.demo import USERS
from godkend.services.directory import load_actor, resolve
from godkend.services.requests import do_decide_request, do_submit_request
from godkend.services.workflows import list_latest
from godkend.store.db import PgDatabase
from godkend.workflows import builtin_definition_texts
from tests.integration.catalogue_walks import WALKS, Walk
from tests.unit.test_catalogue import builtins

MAX_DECISIONS = 20  # a walk that has not ended after this many decisions is stuck


class Demo:
    """The services on a demo database, and the demo users as actors."""

    def __init__(self, svc: Services, actors: Mapping[str, Actor]) -> None:
        self.svc = svc
        self.actors = actors
        self.usernames = {a.user_id: name for name, a in actors.items()}

    async def request(self, request_id: int, requester: str) -> dict[str, Any]:
        return await queries.get_request(self.svc, request_id, actor=self.actors[requester])

    def pending(self, request: Mapping[str, Any]) -> frozenset[str]:
        return frozenset(self.usernames[p["id"]] for p in request["pending_approvers"])


@pytest.fixture
async def demo(demo_db_url: str) -> AsyncIterator[Demo]:
    db = await PgDatabase.connect(demo_db_url, min_size=1, max_size=2)
    svc = Services(db=db)
    actors: dict[str, Actor] = {}
    async with db.connection() as session:
        for user in USERS:
            row = await session.fetchrow("get_user_by_username", username=user.username)
            assert row is not None, user.username
            actors[user.username] = await load_actor(session, row["id"])
    yield Demo(svc, actors)
    await db.close()


def _requester_attributes(username: str) -> dict[str, object]:
    user = next(u for u in USERS if u.username == username)
    return {"username": user.username, "org_unit": user.org_unit, "roles": list(user.roles)}


def _applies(definition: WorkflowDefinition, walk: Walk) -> dict[str, bool]:
    values = validate_fields(definition, walk.fields)
    requester = _requester_attributes(walk.requester)
    return {
        s.key: s.when is None or compile_condition(s.when).evaluate(values, requester)
        for s in definition.steps
    }


def test_the_walks_cover_every_workflow_and_both_sides_of_every_condition() -> None:
    definitions = {d.key: d for d in builtins().values()}
    assert {w.workflow for w in WALKS} == set(definitions)
    for key, definition in definitions.items():
        outcomes = [_applies(definition, w) for w in WALKS if w.workflow == key]
        for step in definition.steps:
            if step.when is not None:
                seen = {applies[step.key] for applies in outcomes}
                assert seen == {True, False}, f"{key}: step {step.key} is only ever {seen}"


@pytest.mark.parametrize("walk", WALKS, ids=[f"{w.workflow}: {w.name}" for w in WALKS])
async def test_walk(demo: Demo, walk: Walk) -> None:
    requester = demo.actors[walk.requester]
    request_id = await do_submit_request(
        demo.svc, workflow=walk.workflow, title=walk.name, fields=walk.fields, actor=requester
    )
    seen: list[tuple[str, frozenset[str]]] = []
    request = await demo.request(request_id, walk.requester)
    for _ in range(MAX_DECISIONS):
        if request["status"] != "pending":
            break
        step, pending = request["current_step"], demo.pending(request)
        if not seen or seen[-1][0] != step:
            seen.append((step, pending))
        verdict = Verdict.APPROVE
        if walk.stop_at is not None and walk.stop_at[0] == step:
            verdict = Verdict(walk.stop_at[1])
        decider = demo.actors[min(pending)]
        comment = "" if verdict is Verdict.APPROVE else "Ikke tilstrækkeligt begrundet"
        await do_decide_request(
            demo.svc, request_id, verdict=verdict, comment=comment, version=None, actor=decider
        )
        after = await demo.request(request_id, walk.requester)
        if after["status"] == "pending" and after["current_step"] == step:
            # A step that needs more approvals waits on the others, never on who approved.
            assert demo.pending(after) == pending - {decider.username}
        request = after
    assert tuple(seen) == walk.steps
    assert request["status"] == walk.final_status
    assert request["pending_approvers"] == []


async def test_every_escalation_reaches_somebody_else(demo: Demo) -> None:
    """An escalation target that resolves to nobody, or to the requester, would strand a step."""
    anna = demo.actors["anna"]
    async with demo.svc.db.connection() as session:
        for definition in builtins().values():
            for step in definition.steps:
                if step.escalation is None:
                    continue
                target = step.escalation.to
                if target is None:
                    assert step.approvers.manager is not None
                    target = Approvers(manager=step.approvers.manager + 1)
                found = set(await resolve(session, target, requester_id=anna.user_id))
                where = f"{definition.key}.{step.key}"
                assert found - {anna.user_id}, f"{where}: escalation reaches nobody"
                step_approvers = await resolve(session, step.approvers, requester_id=anna.user_id)
                assert found != set(step_approvers), f"{where}: escalates to the same people"


async def test_the_demo_publishes_the_whole_catalogue(demo: Demo) -> None:
    published = {p.key for p in await list_latest(demo.svc)}
    expected = {name.removesuffix(".yaml") for name, _ in builtin_definition_texts()}
    assert published >= expected
    assert len(expected) >= 25
