"""Concurrent outbox writers with random commit delays, and what they wrote, for the checks."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import asyncpg

INSERT = """
INSERT INTO events (type, audience_users, audience_roles, payload)
VALUES ($1, $2, $3, $4::jsonb)
"""


@dataclass
class Written:
    """One committed transaction: its events' markers, when it began and its commit returned."""

    writer: int
    markers: list[str]
    began: float
    committed: float
    users: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()


@dataclass
class WriteLog:
    transactions: list[Written] = field(default_factory=list)

    @property
    def markers(self) -> list[str]:
        return [m for t in self.transactions for m in t.markers]

    def visible_to(self, user_id: int, roles: frozenset[str]) -> list[str]:
        return [
            m
            for t in self.transactions
            if user_id in t.users or roles & set(t.roles)
            for m in t.markers
        ]


async def write_events(
    url: str,
    *,
    total: int,
    writers: int,
    max_delay: float,
    audience: Callable[[int], tuple[tuple[int, ...], tuple[str, ...]]] = lambda _: (
        (),
        ("auditor",),
    ),
    after_commit: Callable[[], None] | None = None,
    per_transaction: tuple[int, int] = (1, 3),
    seed: int = 7,
    tag: str = "",
) -> WriteLog:
    """`writers` connections write `total` events in transactions of a few events each,
    sleeping 0..max_delay s between the first insert and the commit, so ids commit out of order."""
    log = WriteLog()
    remaining = [total]
    rng = random.Random(seed)

    async def writer(w: int) -> None:
        conn = await asyncpg.connect(url)
        try:
            seq = 0
            while remaining[0] > 0:
                n = min(remaining[0], rng.randint(*per_transaction))
                remaining[0] -= n
                delay = rng.uniform(0, max_delay)
                markers = [f"{tag}{w}.{seq + i}" for i in range(n)]
                seq += n
                users, roles = audience(rng.randrange(1 << 30))
                began = time.monotonic()
                async with conn.transaction():
                    for marker in markers:
                        payload = {"type": "test.event", "marker": marker}
                        await conn.execute(
                            INSERT, "test.event", list(users), list(roles), json.dumps(payload)
                        )
                    await asyncio.sleep(delay)
                log.transactions.append(
                    Written(w, markers, began, time.monotonic(), tuple(users), tuple(roles))
                )
                if after_commit is not None:
                    after_commit()
        finally:
            await conn.close()

    await asyncio.gather(*(writer(w) for w in range(writers)))
    return log


def marker_of(payload: object) -> str:
    assert isinstance(payload, dict)
    marker = payload["marker"]
    assert isinstance(marker, str)
    return marker


def count_problems(expected: Sequence[str], received: Sequence[str]) -> tuple[int, int]:
    """(lost, duplicated) of `received` against `expected`."""
    seen: set[str] = set()
    duplicated = 0
    for m in received:
        if m in seen:
            duplicated += 1
        seen.add(m)
    lost = len(set(expected) - seen)
    return lost, duplicated
