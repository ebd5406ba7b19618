"""Retention: deletes events older than GODKEND_EVENT_RETENTION_DAYS, one instance at a time."""

from __future__ import annotations

import asyncio
import logging
import random

from godkend.realtime import metrics
from godkend.realtime.ports import EventSource

log = logging.getLogger(__name__)


class Pruner:
    """Every `every_seconds` (jittered), prune in short batches under a PostgreSQL advisory lock."""

    def __init__(
        self,
        source: EventSource,
        *,
        retention_days: int,
        every_seconds: float = 3600.0,
        first_after_seconds: float = 60.0,
        batch: int = 5000,
    ) -> None:
        self.source = source
        self.retention_days = retention_days
        self.every_seconds = every_seconds
        self.first_after_seconds = first_after_seconds
        self.batch = batch

    async def prune_once(self) -> int | None:
        """Events deleted, or None if another instance holds the pruning lock."""
        deleted = await self.source.prune(older_than_days=self.retention_days, batch=self.batch)
        if deleted:
            metrics.EVENTS_PRUNED.inc(deleted)
            log.info("pruned %d outbox events older than %d days", deleted, self.retention_days)
        return deleted

    async def run(self) -> None:
        await asyncio.sleep(self.first_after_seconds * random.uniform(1.0, 2.0))  # noqa: S311
        while True:
            try:
                await self.prune_once()
            except Exception as e:  # the database may be away; try again next round
                log.warning("outbox pruning failed: %s", e)
            await asyncio.sleep(self.every_seconds * random.uniform(0.9, 1.1))  # noqa: S311
