"""Alembic migrations whose revisions are plain SQL files."""

from __future__ import annotations

import asyncio
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config


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
    """Upgrade the database at `url` to the newest revision (blocking; call from sync code)."""
    command.upgrade(_config(url), "head")


async def migrate_async(url: str) -> None:
    await asyncio.to_thread(migrate, url)


def read_sql(name: str) -> str:
    return (resources.files("godkend.store.migrations") / "versions" / name).read_text("utf-8")
