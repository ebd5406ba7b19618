"""What every service call needs: the database port, the post-commit wake-up and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from godkend.services.ports import Database, Wakeup


def utc_now() -> datetime:
    return datetime.now(UTC)


def _no_wakeup() -> None:
    """Without a realtime runtime (CLI, tests), listeners still find events by polling."""


def _nobody_listening(session_hash: bytes, user_id: int) -> None:
    """Without a realtime runtime there are no open streams to end."""


@dataclass(frozen=True)
class Services:
    """The wiring the services run with; built once by the app factory or the CLI."""

    db: Database
    wake: Wakeup = field(default=_no_wakeup)
    # After a logout commits: (the session's hash, its user). The app ends that session's open
    # event streams on this instance at once; other instances notice at their next check.
    logged_out: Callable[[bytes, int], None] = field(default=_nobody_listening)
    clock: Callable[[], datetime] = field(default=utc_now)
