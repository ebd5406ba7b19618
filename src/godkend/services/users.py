"""Users and org units: adding people with their roles."""

from __future__ import annotations

import re
from collections.abc import Sequence

from godkend.domain.errors import InvalidInput
from godkend.services import audit
from godkend.services.auth import hash_password
from godkend.services.context import Services
from godkend.services.ports import Session

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


async def do_add_user(
    svc: Services,
    *,
    username: str,
    name: str,
    email: str,
    org_unit: str,
    roles: Sequence[str],
    password: str | None,
    actor_id: int | None = None,
) -> int:
    """Add a user holding `roles` in their org unit (an existing username is a conflict)."""
    if not USERNAME.match(username):
        raise InvalidInput("use lower-case letters, digits, '.', '_' or '-'", field="username")
    if not name.strip():
        raise InvalidInput("a name is required", field="name")
    if not EMAIL.match(email):
        raise InvalidInput("not an e-mail address", field="email")
    password_hash = None if password is None else hash_password(password)
    async with svc.db.transaction() as s:
        unit = await s.fetchrow("get_org_unit_by_key", key=org_unit)
        if unit is None:
            raise InvalidInput(f"unknown org unit {org_unit!r}", field="org_unit")
        await _check_roles(s, roles)
        user_id: int = await s.fetchval(
            "insert_user",
            username=username,
            name=name.strip(),
            email=email,
            org_unit_id=unit["id"],
            password_hash=password_hash,
        )
        for role in dict.fromkeys(roles):
            await s.execute("grant_role", user_id=user_id, role=role, org_unit_id=unit["id"])
        await audit.append(
            s,
            request_id=None,
            actor_id=actor_id,
            action="user.saved",
            data={
                "user_id": user_id,
                "username": username,
                "org_unit": org_unit,
                "roles": list(roles),
            },
            at=svc.clock(),
        )
    return user_id


async def _check_roles(s: Session, roles: Sequence[str]) -> None:
    known = {r["key"] for r in await s.fetch("list_roles")}
    for role in roles:
        if role not in known:
            raise InvalidInput(
                f"unknown role {role!r}; known roles: {', '.join(sorted(known))}", field="role"
            )


async def do_save_org_unit(svc: Services, *, key: str, name: str, parent: str | None) -> int:
    async with svc.db.transaction() as s:
        parent_id = None
        if parent is not None:
            row = await s.fetchrow("get_org_unit_by_key", key=parent)
            if row is None:
                raise InvalidInput(f"unknown org unit {parent!r}", field="parent")
            parent_id = row["id"]
        unit_id: int = await s.fetchval("upsert_org_unit", key=key, name=name, parent_id=parent_id)
        return unit_id


async def usernames(svc: Services) -> frozenset[str]:
    async with svc.db.connection() as s:
        return frozenset(r["username"] for r in await s.fetch("list_users"))
