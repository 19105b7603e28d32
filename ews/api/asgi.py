"""ASGI entry for several uvicorn workers: ``uvicorn --factory ews.api.asgi:create_app_from_environment``."""

from __future__ import annotations

from fastapi import FastAPI

from ews.api.app import create_app
from ews.settings import Settings


def create_app_from_environment() -> FastAPI:
    """Each worker process reads the settings and builds its own engine; no background jobs here
    (the scheduler and the delivery worker run as their own services)."""
    return create_app(Settings())
