"""The FastAPI application, built from settings by ``create_app``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ews import web
from ews.alerting.urgent import urgent_report_listener
from ews.api.errors import document_error_shape
from ews.api.handlers import install_error_handlers
from ews.api.limits import ConcurrencyLimitMiddleware, RateLimiter, RequestLimitsMiddleware
from ews.api.routes import (
    alerts,
    checks,
    contacts,
    feeds,
    health,
    indicators,
    intake,
    jobs,
    metrics,
    notifications,
    owned_photos,
    patrols,
    photos,
    reference,
    reports,
    silences,
)
from ews.db import build_engine, build_session_factory
from ews.intake.listeners import ReportListener
from ews.metrics import build_registry
from ews.settings import Settings

DESCRIPTION = """
Servicio de alerta temprana para comunidades nativas de la Amazonía peruana.
Early warning service for native communities of the Peruvian Amazon.

Autenticación / Authentication: `Authorization: Bearer <clave>` (`ews keys create`).
"""

PHOTO_FORM_MARGIN = 1_000_000
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

    # /docs and /redoc with their scripts and styles served from the installed package, not a CDN.
    app = FastAPIOffline(
        title="EWS - Alerta temprana / Early warning",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = factory
    # Read at each scrape, not counted in memory (see ews.metrics): building it touches no database.
    app.state.metrics_registry = build_registry(factory)
    # Run with each new report's id after its request committed (see ews.intake.listeners): the
    # fast path raises a defender alert within seconds, never holding up the monitor's request.
    listeners: list[ReportListener] = [
        urgent_report_listener(settings=settings, session_factory=factory)
    ]
    app.state.report_listeners = listeners
    app.state.intake_rate_limiter = RateLimiter(settings.intake_rate_per_minute)
    app.state.photo_rate_limiter = RateLimiter(settings.photo_rate_per_minute)
    app.add_middleware(RequestLimitsMiddleware, limit_for=_body_limit(settings))
    # Outermost: bounds the requests inside, so the thread pool never runs dry (see its docstring).
    app.add_middleware(ConcurrencyLimitMiddleware, limit=settings.max_concurrent_requests)
    install_error_handlers(app)
    for router in _routers():
        app.include_router(router)
    app.add_api_route("/", _to_dashboard, include_in_schema=False)
    document_error_shape(app)
    return app


def _to_dashboard() -> RedirectResponse:
    """The service's root opens the dashboard (its first page is the map of every community)."""
    return RedirectResponse("/dashboard", status_code=303)


# The paths under which ``{id}/photos`` takes a photo upload.
PHOTO_OWNERS = ("/api/v1/reports/", "/api/v1/checks/", "/api/v1/patrols/")


def _body_limit(settings: Settings) -> Callable[[str], int]:
    """Feed files may be large (they stream); every other body is small JSON."""

    def limit_for(path: str) -> int:
        if path.startswith("/api/v1/feeds/"):
            return settings.max_csv_bytes
        if path.startswith(PHOTO_OWNERS) and path.endswith("/photos"):
            # The photo plus its multipart framing; the route names the field when it is too big.
            return settings.photo_max_bytes + PHOTO_FORM_MARGIN
        return settings.max_body_bytes

    return limit_for


def _routers() -> list[Any]:
    return [
        health.router,
        metrics.router,
        reference.router,
        reports.router,
        photos.router,
        owned_photos.router,
        checks.router,
        patrols.router,
        intake.router,
        feeds.router,
        alerts.router,
        silences.router,
        notifications.router,
        contacts.router,
        indicators.router,
        jobs.router,
        web.router,
    ]
