"""One scheduler instance for tests/e2e/test_timers_instances.py, as its own process.

Usage: python -m tests.e2e.timers_worker DATABASE_URL NOW_ISO START_EPOCH INSTANCE

Runs the scheduler on a fixed clock (NOW_ISO) from START_EPOCH (so that all instances start
together) until no timer is due, then prints how many this instance fired, as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import datetime

from godkend.services.context import Services
from godkend.services.scheduler import Scheduler
from godkend.store.db import PgDatabase

TIME_LIMIT = 60.0  # seconds: a worker never runs longer than this


async def main(url: str, now: datetime, start: float, instance: str) -> int:
    db = await PgDatabase.connect(url, min_size=1, max_size=2)
    try:
        scheduler = Scheduler(Services(db=db, clock=lambda: now), batch=10, instance=instance)
        await asyncio.sleep(max(0.0, start - time.time()))
        fired, passes, until = 0, 0, time.monotonic() + TIME_LIMIT
        while time.monotonic() < until:
            fired += await scheduler.run_once()
            passes += 1
            async with db.connection() as s:
                due = await s.fetchval("next_timer_due")
            if due is None or due > now:
                break
            await asyncio.sleep(0.01)  # the rest are held by the other instances
        print(json.dumps({"instance": instance, "fired": fired, "passes": passes}))
        return 0
    finally:
        await db.close()


if __name__ == "__main__":
    url, now_iso, start, name = sys.argv[1:5]
    sys.exit(asyncio.run(main(url, datetime.fromisoformat(now_iso), float(start), name)))
