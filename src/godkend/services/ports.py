"""The ports the services need: a database that runs named SQL, and a wake-up after commit."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

Row = Mapping[str, Any]


class Session(Protocol):
    """A connection, inside a transaction when opened by `Database.transaction`."""

    async def fetch(self, query: str, /, **params: Any) -> list[Row]: ...

    async def fetchrow(self, query: str, /, **params: Any) -> Row | None: ...

    async def fetchval(self, query: str, /, **params: Any) -> Any: ...

    async def execute(self, query: str, /, **params: Any) -> None: ...


class Database(Protocol):
    """Runs named queries; `transaction()` is the only way the services change state."""

    def transaction(self) -> AbstractAsyncContextManager[Session]: ...

    def connection(self) -> AbstractAsyncContextManager[Session]: ...


class Wakeup(Protocol):
    """Called after a commit that wrote events, so listeners read the outbox now."""

    def __call__(self) -> None: ...
