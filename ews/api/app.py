"""The FastAPI application, built from settings by ``create_app``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ews.api.errors import install_error_handlers
from ews.api.routes import health, indicators, jobs, reference
from ews.db import build_engine, build_session_factory
from ews.settings import Settings

DESCRIPTION = """
Servicio de alerta temprana para comunidades nativas de la Amazonía peruana.
Early warning service for native communities of the Peruvian Amazon.

Autenticación / Authentication: `Authorization: Bearer <clave>` (`ews keys create`).
"""

BackgroundStarter = Callable[[FastAPI], Callable[[], None]]


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    session_factory: sessionmaker[Session] | None = None,
    background: list[BackgroundStarter] | None = None,
) -> FastAPI:
    """Build the app. ``background`` starters run at startup and return their stop function."""
    engine = engine or build_engine(settings)
    factory = session_factory or build_session_factory(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stops = [start(app) for start in background or []]
        try:
            yield
        finally:
            for stop in reversed(stops):
                stop()

    app = FastAPI(
        title="EWS - Alerta temprana / Early warning",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = factory
    install_error_handlers(app)
    for router in _routers():
        app.include_router(router)
    return app


def _routers() -> list[Any]:
    return [health.router, reference.router, indicators.router, jobs.router]
