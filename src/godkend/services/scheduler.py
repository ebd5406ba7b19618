"""The scheduler every instance runs: about once a second it fires the step timers that are due
and re-routes requests for delegations that started or ended. Instances never coordinate: row
locks (SKIP LOCKED) hand each due timer to exactly one of them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket

from godkend.services.context import Services
from godkend.services.delegations import apply_delegation_changes
from godkend.services.timers import fire_due_timers

log = logging.getLogger(__name__)


def instance_name() -> str:
    """Which instance fired a timer, for the timers table and the logs."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Scheduler:
    """Runs `run_once` every `interval` seconds (±`jitter`, so instances drift apart).

    `start()` and `stop()` go in the app's lifespan; tests call `run_once()` with an injected
    clock on the services.
    """

    def __init__(
        self,
        services: Services,
        *,
        interval: float = 1.0,
        jitter: float = 0.2,
        batch: int = 20,
        max_batches: int = 50,
        instance: str | None = None,
    ) -> None:
        self.services = services
        self.interval = interval
        self.jitter = jitter
        self.batch = batch
        self.max_batches = max_batches
        self.instance = instance or instance_name()
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """One pass: fire what is due (in batches, bounded) and apply delegation changes.

        Returns the number of timers fired.
        """
        fired = 0
        for _ in range(self.max_batches):
            claimed, done = await fire_due_timers(
                self.services, limit=self.batch, instance=self.instance
            )
            fired += done
            # Nothing claimed: nothing is due. None fired: the rest are busy for now. Otherwise
            # go on: firing a reminder may have let its request's deadline through.
            if claimed == 0 or done == 0:
                break
        for _ in range(self.max_batches):
            if await apply_delegation_changes(self.services) == 0:
                break
        return fired

    async def run(self) -> None:
        """Pass after pass until cancelled; a failed pass is logged and the next one tries again."""
        while True:
            try:
                await self.run_once()
            except Exception as error:  # the database may be away: the next pass catches up
                log.warning("scheduler pass failed: %s", error)
            spread = random.uniform(1 - self.jitter, 1 + self.jitter)  # noqa: S311 - jitter only
            await asyncio.sleep(self.interval * spread)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="godkend-scheduler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
