"""Many `godkend serve` instances on one database: fan-out everywhere, and kill -9 with resume."""

from __future__ import annotations

import asyncio
import signal

import asyncpg
import pytest

from tests.e2e.realtime.conftest import Launch
from tests.integration.realtime.actions import decide, expected_ids, head, requests_of, submit
from tests.integration.realtime.live import User, login
from tests.integration.realtime.streams import wait_until
from tests.integration.realtime.transports import EventClient

USERS = ("anna", "bo", "eva", "dorte")


def counts(client: EventClient, expected: list[str]) -> tuple[int, int]:
    """(lost, duplicated)"""
    return len(set(expected) - set(client.ids)), len(client.ids) - len(set(client.ids))


def report(capsys: pytest.CaptureFixture[str], title: str, lines: list[str]) -> None:
    with capsys.disabled():
        print(f"\n[{title}]\n  " + "\n  ".join(lines))


async def test_actions_through_one_instance_reach_every_entitled_stream_on_every_instance(
    instances: Launch, demo_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, c = await instances(3)
    users = {name: await login(a.base_url, name) for name in USERS}
    start = await head(users["anna"])
    streams = [
        await EventClient(kind, inst.base_url, headers=u.headers, name=f"{name}@{inst.name}").start(
            start
        )
        for inst, kind in ((a, "ws"), (b, "sse"), (c, "longpoll"))
        for name, u in users.items()
    ]
    first = await submit(users["anna"], "Sommerferie")
    second = await submit(users["anna"], "Vinterferie")
    await submit(users["eva"], "Evas ferie")
    await decide(users["bo"], first, "approve")
    await decide(users["bo"], second, "reject")
    db = await asyncpg.connect(demo_db_url)
    try:
        expected = {name: await expected_ids(db, u, start) for name, u in users.items()}
        annas = await requests_of(db, "anna")
        total = await db.fetchval("SELECT count(*) FROM events")
    finally:
        await db.close()

    def want(client: EventClient) -> list[str]:
        return expected[client.name.split("@")[0]]

    await wait_until(lambda: all(s.ids == want(s) for s in streams), within=20)
    for s in streams:
        await s.stop()
    report(
        capsys,
        f"3 instances, actions through {a.name}: {total} events written",
        [
            f"{s.name} ({s.kind}): expected {len(want(s))}, received {len(s.ids)}, "
            f"lost {counts(s, want(s))[0]}, duplicated {counts(s, want(s))[1]}"
            for s in streams
        ],
    )
    for s in streams:
        assert s.ids == want(s), s.name
        if s.name.startswith("eva"):
            assert not {e["request"]["id"] for e in s.events} & annas
        if s.name.startswith("dorte"):
            assert {e["request"]["id"] for e in s.events} >= annas


async def keep_acting(users: dict[str, User], *, rounds: int, done_rounds: list[int]) -> None:
    """anna submits and bo approves, over and over, through one instance; eva now and then."""
    for n in range(rounds):
        request = await submit(users["anna"], f"Ferie {n}")
        await decide(users["bo"], request, "approve")
        if n % 4 == 3:
            await submit(users["eva"], f"Evas ferie {n}")
        done_rounds.append(n)
        await asyncio.sleep(0.05)


async def test_clients_of_a_killed_instance_resume_elsewhere_without_loss_or_repeat(
    instances: Launch, demo_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    acting, victim, survivor = await instances(3)
    users = {name: await login(acting.base_url, name) for name in USERS}
    start = await head(users["anna"])
    streams = [
        await EventClient(
            kind,
            victim.base_url,
            headers=users[name].headers,
            name=f"{name}/{kind}",
            fallbacks=[survivor.base_url],
        ).start(start)
        for name in USERS
        for kind in ("ws", "sse", "longpoll")
    ]
    done: list[int] = []
    acting_task = asyncio.create_task(keep_acting(users, rounds=12, done_rounds=done))
    await wait_until(lambda: len(done) >= 4, within=30)
    victim.kill()
    await acting_task
    db = await asyncpg.connect(demo_db_url)
    try:
        expected = {name: await expected_ids(db, u, start) for name, u in users.items()}
        total = await db.fetchval("SELECT count(*) FROM events")
    finally:
        await db.close()

    def want(client: EventClient) -> list[str]:
        return expected[client.name.split("/")[0]]

    await wait_until(lambda: all(s.ids == want(s) for s in streams), within=30)
    for s in streams:
        await s.stop()
    report(
        capsys,
        f"kill -9 of {victim.name} mid-stream: {total} events written, clients resumed on "
        f"{survivor.name}",
        [
            f"{s.name}: expected {len(want(s))}, received {len(s.ids)}, lost "
            f"{counts(s, want(s))[0]}, duplicated {counts(s, want(s))[1]}, "
            f"reconnects {s.reconnects}"
            for s in streams
        ],
    )
    for s in streams:
        assert s.ids == want(s), s.name
        assert s.reconnects >= 1, s.name


async def test_an_instance_stopped_for_a_deploy_lets_its_streams_go_and_they_resume_elsewhere(
    instances: Launch, demo_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    leaving, staying = await instances(2)
    users = {name: await login(staying.base_url, name) for name in ("anna", "bo", "dorte")}
    start = await head(users["anna"])
    streams = [
        await EventClient(
            kind,
            leaving.base_url,
            headers=users["dorte"].headers,
            name=f"dorte/{kind}",
            fallbacks=[staying.base_url],
        ).start(start)
        for kind in ("ws", "sse", "longpoll")
    ]
    await submit(users["anna"], "Før")
    stopped_at = asyncio.get_running_loop().time()
    leaving.process.send_signal(signal.SIGTERM)
    exited = await asyncio.to_thread(leaving.process.wait, 30)
    took = asyncio.get_running_loop().time() - stopped_at
    await submit(users["anna"], "Efter")
    db = await asyncpg.connect(demo_db_url)
    try:
        expected = await expected_ids(db, users["dorte"], start)
    finally:
        await db.close()
    await wait_until(lambda: all(s.ids == expected for s in streams), within=20)
    for s in streams:
        await s.stop()
    report(
        capsys,
        f"SIGTERM with open streams: exited {exited} after {took:.1f}s",
        [
            f"{s.name}: expected {len(expected)}, received {len(s.ids)}, "
            f"lost {counts(s, expected)[0]}, duplicated {counts(s, expected)[1]}"
            for s in streams
        ],
    )
    assert took < 10  # open streams must not hold a deploy up
    for s in streams:
        assert s.ids == expected, s.name
