"""`python -m tests.e2e.web.serve --port P`: the app as `godkend serve` will serve it.

Used by the browser tests until the app factory mounts the web UI (and the event transports)
itself; from then on the tests start `godkend serve`.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from godkend.api.app import API_PREFIX, create_app
from godkend.config import Settings
from godkend.web import routes


def _serves_events(app: FastAPI) -> bool:
    return any(getattr(r, "path", "") == f"{API_PREFIX}/events/head" for r in app.routes)


def _wire_events(app: FastAPI) -> None:
    """The event transports and the realtime runtime, as the app factory is to wire them."""
    from godkend.api.routers import events
    from godkend.realtime.runtime import Realtime
    from godkend.services.context import Services
    from godkend.store.outbox import PgEventSource

    app.include_router(events.router, prefix=API_PREFIX)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with inner(application):
            svc: Services = application.state.services
            realtime = Realtime(PgEventSource(svc.db))  # type: ignore[arg-type]
            await realtime.start()
            application.state.realtime = realtime
            application.state.services = Services(db=svc.db, wake=realtime.wake)
            try:
                yield
            finally:
                await realtime.stop()

    app.router.lifespan_context = lifespan


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = Settings(host=args.host, port=args.port)
    assert settings.database_url, "GODKEND_DATABASE_URL must be set"
    app = create_app(settings, database_url=settings.database_url)
    if not _serves_events(app):
        _wire_events(app)
    routes.mount(app)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
