"""`godkend listen`: every event after a cursor as JSON lines, resumable, for audit taps."""

from __future__ import annotations

from collections.abc import Callable, Collection

from godkend.domain.errors import InvalidInput
from godkend.realtime.cursor import Cursor
from godkend.realtime.frames import encode, reset_frame
from godkend.realtime.listener import Listener
from godkend.realtime.ports import CursorState, EventSource, Scan


def _printer(types: Collection[str], write: Callable[[str], None]) -> Callable[[Scan], None]:
    wanted = frozenset(types)
    first = True

    def deliver(scan: Scan) -> None:
        nonlocal first
        if first and scan.state is not CursorState.VALID:
            # Events before the pruning mark are gone; say so once, then go on from there.
            write(reset_frame(scan.pruned, reason=scan.state.value, terminal=False).text)
        first = False
        for row in scan.rows:
            if not wanted or row.type in wanted:
                write(encode(row).text)

    return deliver


async def tap(
    source: EventSource,
    after: Cursor | None,
    types: Collection[str],
    write: Callable[[str], None],
    *,
    poll_interval: float = 1.0,
) -> None:
    """Write each event after `after` (None: from now) as one JSON line, until cancelled.

    Each line's `id` is the cursor to pass as `--after` to resume without a gap or a repeat.
    Unauthorized: whoever can connect to the database can read the outbox anyway.
    """
    if after is not None and after > await source.head():
        raise InvalidInput(f"cursor {after} is ahead of the event stream", field="after")
    listener = Listener(source, _printer(types, write), start=after, poll_interval=poll_interval)
    await listener.run()
