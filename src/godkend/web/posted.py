"""Reading values from posted forms defensively: a malformed value is treated as absent."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]{1,18}")


def posted_int(value: object) -> int | None:
    """A positive integer typed as ASCII digits (not `²`, which `str.isdigit` accepts), or None."""
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    return None


def posted_text(value: object, limit: int) -> str:
    """The text, cut one past `limit` so that the engine still sees (and names) an overlong one."""
    return value[: limit + 1] if isinstance(value, str) else ""
