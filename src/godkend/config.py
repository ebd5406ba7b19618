"""Settings from the environment (CONTRACT §2)."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything godkend reads from its environment; names are part of the public contract."""

    model_config = SettingsConfigDict(env_prefix="GODKEND_", extra="ignore")

    database_url: str | None = None
    data_dir: Path = Path(".godkend")
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    event_retention_days: int = Field(default=30, ge=1)
    base_url: str | None = None
    session_hours: int = Field(default=10, ge=1)

    @property
    def public_base_url(self) -> str:
        return self.base_url or f"http://{self.host}:{self.port}"

    def resolved_secret_key(self) -> str:
        """The configured key, else one generated once and kept (0600) in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key, encoding="utf-8")
        return key
