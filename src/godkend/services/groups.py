"""Named approver groups (e.g. an appointments committee): `approvers: {group: key}`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from godkend.domain.errors import InvalidInput
from godkend.services import audit
from godkend.services.context import Services

KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_MEMBERS = 500


async def do_save_group(
    svc: Services,
    *,
    key: str,
    name_da: str,
    name_en: str,
    members: Sequence[str],
    actor_id: int | None = None,
) -> None:
    """Create or replace the group `key` with these members (usernames)."""
    if not KEY.match(key):
        raise InvalidInput("use lower-case letters, digits and '_'", field="key")
    for field, name in (("name_da", name_da), ("name_en", name_en)):
        if not name.strip() or len(name) > 200:
            raise InvalidInput("a name of 1 to 200 characters is required", field=field)
    usernames = list(dict.fromkeys(members))
    if len(usernames) > MAX_MEMBERS:
        raise InvalidInput(f"a group has at most {MAX_MEMBERS} members", field="members")
    async with svc.db.transaction() as s:
        ids: list[int] = []
        for username in usernames:
            row = await s.fetchrow("get_user_by_username", username=username)
            if row is None:
                raise InvalidInput(f"no user {username!r}", field="members")
            ids.append(int(row["id"]))
        await s.execute("upsert_group", key=key, name_da=name_da.strip(), name_en=name_en.strip())
        await s.execute("clear_group_members", group_key=key)
        for user_id in ids:
            await s.execute("add_group_member", group_key=key, user_id=user_id)
        await audit.append(
            s,
            request_id=None,
            actor_id=actor_id,
            action="group.saved",
            data={"key": key, "members": usernames},
            at=svc.clock(),
        )


async def list_groups(svc: Services) -> list[dict[str, Any]]:
    async with svc.db.connection() as s:
        rows = await s.fetch("list_groups")
    return [
        {"key": r["key"], "name": {"da": r["name_da"], "en": r["name_en"]}, "members": r["members"]}
        for r in rows
    ]
