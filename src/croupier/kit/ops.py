"""Health, readiness and metrics for load balancers and Prometheus.

Metrics tell a lot about the service (routes, traffic, outcomes), so the API's
public port does not serve them by default. ``CROUPIER_METRICS_PORT`` serves them
on a listener of their own, bound to loopback unless ``CROUPIER_METRICS_HOST``
says otherwise; ``CROUPIER_METRICS_TOKEN`` also serves ``/metrics`` on the API's
port, to a bearer of that token.
"""

from __future__ import annotations

import asyncio
import hmac
import os
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
    multiprocess,
    start_http_server,
)
from pydantic import SecretStr
from sqlalchemy import text

from croupier.kit.deps import RuntimeDep
from croupier.kit.errors import PROBLEM_JSON, PROBLEM_SCHEMA, Unauthenticated, problem
from croupier.kit.metrics import REGISTRY
from croupier.kit.settings import Settings

router = APIRouter(tags=["operations"])
_READINESS_TIMEOUT_SECONDS = 2.0


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database answers",
    response_model=None,
    responses={
        503: {
            "description": "`not_ready`, or `shutting_down` once the process was asked to stop",
            "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
        }
    },
)
async def readyz(request: Request, runtime: RuntimeDep) -> dict[str, str] | Response:
    # Asked to stop (kit.shutdown): still serving, but the balancer should send nothing new.
    if request.app.state.drain.started:
        return problem(503, "shutting_down", "Shutting down", "This node is draining before it stops.")
    # Its own two-connection pool: a probe must not queue behind requests that
    # have taken every main-pool connection, nor take one of theirs.
    try:
        async with asyncio.timeout(_READINESS_TIMEOUT_SECONDS):
            async with runtime.database.health_engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return problem(503, "not_ready", "Not ready", "The database is unreachable.")
    return {"status": "ready"}


def metrics_registry() -> CollectorRegistry:
    """This process's metrics, or with several workers the sum of what each wrote to the shared folder."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def metrics_router(token: SecretStr) -> APIRouter:
    """``/metrics`` on the API's port, for a bearer of ``token`` only."""
    expected = token.get_secret_value().encode()
    bearer_only = APIRouter(tags=["operations"])

    @bearer_only.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics(authorization: Annotated[str | None, Header()] = None) -> Response:
        scheme, _, offered = (authorization or "").partition(" ")
        # Compared in constant time: the comparison must not tell how much of a guess was right.
        if not (scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), expected)):
            refused = Unauthenticated("Metrics need the metrics bearer token.")
            refused.headers["WWW-Authenticate"] = "Bearer"
            raise refused
        return Response(generate_latest(metrics_registry()), media_type=CONTENT_TYPE_LATEST)

    return bearer_only


def start_metrics_listener(settings: Settings) -> None:
    """Serve metrics on ``CROUPIER_METRICS_PORT``, from a thread of the serving process.

    Called where ``croupier serve`` starts: in the process that supervises the workers
    when there are several (it reads what every worker writes), or in the one that
    serves when there is one.
    """
    if settings.metrics_port is None:
        return
    try:
        start_http_server(settings.metrics_port, addr=settings.metrics_host, registry=metrics_registry())
    except OSError as exc:
        where = f"{settings.metrics_host}:{settings.metrics_port}"
        raise SystemExit(f"croupier serve: cannot serve metrics on {where}: {exc.strerror}") from exc
