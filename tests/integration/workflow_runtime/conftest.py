"""Fixtures of the workflow-runtime tests (substitutes, groups, timers, bulk decisions): the app
on a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from godkend.api.app import create_app
from godkend.config import Settings
from godkend.services.context import Services
from tests.integration.workflow_runtime.support import Clock, use_clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def app(demo_db_url: str, tmp_path: Path, clock: Clock) -> AsyncIterator[FastAPI]:
    """The app on the test's demo database, on the test's clock."""
    settings = Settings(data_dir=tmp_path, secret_key="test")
    application = create_app(settings, database_url=demo_db_url)
    async with application.router.lifespan_context(application):
        use_clock(application, clock)
        yield application


@pytest.fixture
def svc(app: FastAPI) -> Services:
    """The app's services (on the test's clock)."""
    services: Services = app.state.services
    return services
