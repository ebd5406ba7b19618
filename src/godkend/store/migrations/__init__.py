"""Alembic migrations whose revisions are plain SQL files."""

from __future__ import annotations

import asyncio
from importlib import resources
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.util import CommandError as AlembicError
from sqlalchemy.exc import SQLAlchemyError

from godkend.domain.errors import DatabaseUnavailable


def _config(url: str) -> Config:
    here = Path(str(resources.files("godkend.store.migrations")))
    cfg = Config()
    cfg.set_main_option("script_location", str(here))
    cfg.set_main_option("sqlalchemy.url", to_sqlalchemy_url(url))
    return cfg


def to_sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def migrate(url: str) -> None:
    """Upgrade the database at `url` to the newest revision (blocking; call from sync code).

    Driver and Alembic errors become DatabaseUnavailable naming the first line of the cause.
    """
    try:
        command.upgrade(_config(url), "head")
    except (OSError, asyncpg.PostgresError, SQLAlchemyError, AlembicError) as e:
        cause = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise DatabaseUnavailable(f"cannot migrate the database: {cause}") from e


async def migrate_async(url: str) -> None:
    await asyncio.to_thread(migrate, url)


def read_sql(name: str) -> str:
    return (resources.files("godkend.store.migrations") / "versions" / name).read_text("utf-8")
