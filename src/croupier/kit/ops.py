"""Health, readiness and metrics for load balancers and Prometheus."""

from __future__ import annotations

import asyncio
import os

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from sqlalchemy import text

from croupier.kit.deps import RuntimeDep
from croupier.kit.errors import PROBLEM_JSON, PROBLEM_SCHEMA, problem
from croupier.kit.metrics import REGISTRY

router = APIRouter(tags=["operations"])
_READINESS_TIMEOUT_SECONDS = 2.0


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database answers",
    response_model=None,
    responses={503: {"description": "`not_ready`", "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}},
)
async def readyz(runtime: RuntimeDep) -> dict[str, str] | Response:
    # Its own one-connection pool: a probe must not queue behind requests that
    # have taken every main-pool connection, nor take one of theirs.
    try:
        async with asyncio.timeout(_READINESS_TIMEOUT_SECONDS):
            async with runtime.database.health_engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return problem(503, "not_ready", "Not ready", "The database is unreachable.")
    return {"status": "ready"}


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several workers: add up what every process wrote to the shared folder.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
