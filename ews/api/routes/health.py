"""Liveness with a real database round trip."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Estado del servicio / Service health")
def healthz(request: Request) -> JSONResponse:
    factory: sessionmaker[Session] = request.app.state.session_factory
    try:
        with factory() as session:
            session.connection(execution_options={"sqlite_begin": "DEFERRED"})
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"status": "degraded", "database": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/livez", summary="El proceso responde / The process answers")
def livez() -> dict[str, str]:
    """No database round trip: the floor for load measurements and a liveness probe."""
    return {"status": "ok"}
