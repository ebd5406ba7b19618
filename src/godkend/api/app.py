"""The FastAPI app factory: the one place (with cli.py) where concrete adapters are wired."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from godkend.api import errors
from godkend.api.deps import credentials_check, session_credential
from godkend.api.limits import BodyLimit
from godkend.api.routers import auth, bulk, delegations, events, health, me, requests, workflows
from godkend.config import Settings
from godkend.realtime.runtime import Realtime
from godkend.services.context import Services
from godkend.services.scheduler import Scheduler
from godkend.store.db import PgDatabase
from godkend.store.outbox import PgEventSource
from godkend.web import routes as web_routes

API_PREFIX = "/api/v1"


def create_app(settings: Settings, *, database_url: str) -> FastAPI:
    """An app serving the API on `database_url`; the pool opens and closes with the lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = await PgDatabase.connect(database_url)
        realtime = Realtime(PgEventSource(db), retention_days=settings.event_retention_days)
        scheduler: Scheduler | None = None
        try:
            await realtime.start()

            def logged_out(session_hash: bytes, user_id: int) -> None:
                realtime.sessions.end(session_credential(session_hash, user_id))

            services = Services(db=db, wake=realtime.wake, logged_out=logged_out)
            app.state.realtime = realtime
            app.state.services = services
            realtime.sessions.check = credentials_check(services)
            # Every instance runs the timers; SKIP LOCKED makes each fire once (docs/workflows.md).
            scheduler = Scheduler(services)
            scheduler.start()
            yield
        finally:
            if scheduler is not None:
                await scheduler.stop()
            await realtime.stop()
            await db.close()

    app = FastAPI(
        title="godkend",
        version="1",
        summary="Approval workflows for public-sector agencies, live in the browser.",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url=f"{API_PREFIX}/openapi.json",
    )
    app.state.settings = settings
    app.state.secret_key = settings.resolved_secret_key()
    errors.install(app)
    app.add_middleware(BodyLimit)
    api = APIRouter(prefix=API_PREFIX)
    routers = (
        auth.router,
        me.router,
        workflows.router,
        requests.router,
        requests.inbox_router,
        bulk.router,
        delegations.router,
        events.router,
    )
    for router in routers:
        api.include_router(router)
    app.include_router(api)
    app.include_router(health.router)
    web_routes.mount(app)  # pages, /static, CSP headers, HTML error pages outside /api
    # Added last, so outermost: the event WebSocket skips the HTTP middleware and routing.
    app.add_middleware(events.EventSocket, path=f"{API_PREFIX}/events/ws")
    return app
