"""Who is asking: passwords (argon2), sessions, API tokens and CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from godkend.domain.errors import InvalidInput, NotAuthenticated
from godkend.domain.model import Actor
from godkend.services.context import Services
from godkend.services.directory import actor_from_row, load_actor

# The cookie that carries a session token, for the API and the web pages alike.
SESSION_COOKIE = "godkend_session"

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of a wrong username
# the same as that of a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    if len(password) < 4:
        raise InvalidInput("a password needs at least 4 characters", field="password")
    return _hasher.hash(password)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class Login:
    token: str
    actor: Actor


async def do_login(svc: Services, *, username: str, password: str, hours: int) -> Login:
    """Check the password and open a session; the token goes into the cookie, its hash to the db."""
    now = svc.clock()
    async with svc.db.transaction() as s:
        row = await s.fetchrow("get_user_by_username", username=username.strip().lower())
        stored = row["password_hash"] if row is not None and row["is_active"] else None
        try:
            _hasher.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            stored = None
        if row is None or stored is None:
            raise NotAuthenticated("wrong username or password")
        token = secrets.token_urlsafe(32)
        await s.execute(
            "insert_session",
            token_hash=token_hash(token),
            user_id=row["id"],
            now=now,
            expires_at=now + timedelta(hours=hours),
        )
        return Login(token, actor_from_row(row))


async def do_logout(svc: Services, *, token: str) -> None:
    digest = token_hash(token)
    async with svc.db.transaction() as s:
        user_id = await s.fetchval("revoke_session", token_hash=digest, now=svc.clock())
    if user_id is not None:
        svc.logged_out(digest, user_id)


async def session_actor(svc: Services, *, token: str) -> Actor | None:
    async with svc.db.connection() as s:
        user_id = await s.fetchval("session_user", token_hash=token_hash(token), now=svc.clock())
        return None if user_id is None else await load_actor(s, user_id)


async def token_actor(svc: Services, *, token: str) -> Actor | None:
    async with svc.db.connection() as s:
        user_id = await s.fetchval("token_user", token_hash=token_hash(token), now=svc.clock())
        return None if user_id is None else await load_actor(s, user_id)


async def credential_users(
    svc: Services, *, session_hashes: Sequence[bytes], token_hashes: Sequence[bytes]
) -> dict[bytes, int]:
    """Of these sessions and API tokens (by hash), the ones still valid: hash -> user id.
    One statement per kind however many there are (open streams re-check them together)."""
    found: dict[bytes, int] = {}
    now = svc.clock()
    async with svc.db.connection() as s:
        for query, hashes in (("session_users", session_hashes), ("token_users", token_hashes)):
            if hashes:
                for row in await s.fetch(query, token_hashes=list(hashes), now=now):
                    found[bytes(row["token_hash"])] = row["user_id"]
    return found


async def do_create_api_token(
    svc: Services, *, name: str, days: int | None, actor: Actor
) -> tuple[int, str]:
    """A new bearer token for the actor; only its hash is stored, so it is shown once."""
    if not name.strip():
        raise InvalidInput("a token needs a name", field="name")
    if days is not None and not 1 <= days <= 366:
        raise InvalidInput("must be between 1 and 366", field="expires_in_days")
    now = svc.clock()
    token = "gk_" + secrets.token_urlsafe(32)
    async with svc.db.transaction() as s:
        token_id: int = await s.fetchval(
            "insert_api_token",
            token_hash=token_hash(token),
            user_id=actor.user_id,
            name=name.strip(),
            now=now,
            expires_at=None if days is None else now + timedelta(days=days),
        )
    return token_id, token


def csrf_token(secret_key: str, session_token: str) -> str:
    """Bound to the session, so a token from another session (or none) never matches."""
    mac = hmac.new(secret_key.encode(), b"csrf:" + token_hash(session_token), hashlib.sha256)
    return mac.hexdigest()


def csrf_valid(secret_key: str, session_token: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(
        csrf_token(secret_key, session_token), presented
    )
