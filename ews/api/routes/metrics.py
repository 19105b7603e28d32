"""``GET /metrics`` in the Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ews.metrics import build_registry

router = APIRouter(tags=["metrics"])


@router.get("/metrics", summary="Métricas Prometheus / Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    registry = getattr(request.app.state, "metrics_registry", None)
    if registry is None:
        registry = request.app.state.metrics_registry = build_registry(
            request.app.state.session_factory
        )
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
