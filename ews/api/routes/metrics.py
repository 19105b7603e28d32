"""``GET /metrics`` in the Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ews.api.deps import MetricsRegistryDep

router = APIRouter(tags=["metrics"])


@router.get("/metrics", summary="Métricas Prometheus / Prometheus metrics", response_class=Response)
def metrics(registry: MetricsRegistryDep) -> Response:
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
