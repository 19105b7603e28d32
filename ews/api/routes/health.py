"""Liveness with a real database round trip."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ews.api.deps import SessionFactoryDep
from ews.db import read_only_session

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Estado del servicio / Service health")
def healthz(factory: SessionFactoryDep) -> JSONResponse:
    try:
        with read_only_session(factory) as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"status": "degraded", "database": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/livez", summary="El proceso responde / The process answers")
def livez() -> dict[str, str]:
    """No database round trip: the floor for load measurements and a liveness probe."""
    return {"status": "ok"}
