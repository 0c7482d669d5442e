"""The FastAPI application: every domain's router behind one set of middleware."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import structlog
from fastapi import FastAPI

from croupier import __version__
from croupier.backoffice.approvals.endpoints import router as approvals_router
from croupier.backoffice.console.pages import install_console, page_errors
from croupier.backoffice.oauth.endpoints import declare_oauth_errors
from croupier.backoffice.oauth.endpoints import router as oauth_router
from croupier.backoffice.oauth.staff_endpoints import router as oauth_staff_router
from croupier.backoffice.partners.endpoints import router as partners_router
from croupier.compliance.gdpr.endpoints import router as gdpr_router
from croupier.compliance.gdpr.staff_endpoints import router as gdpr_staff_router
from croupier.compliance.kyc.endpoints import router as kyc_router
from croupier.compliance.kyc.endpoints import staff_router as kyc_staff_router
from croupier.compliance.reports.endpoints import router as reports_router
from croupier.compliance.responsible.endpoints import router as responsible_router
from croupier.compliance.responsible.exclusions.endpoints import router as exclusions_router
from croupier.compliance.responsible.staff_endpoints import router as responsible_staff_router
from croupier.events.delivery import EventDelivery
from croupier.games.endpoints import install_game_errors
from croupier.games.endpoints import router as games_router
from croupier.identity.account.endpoints import router as account_router
from croupier.identity.endpoints import router as identity_router
from croupier.identity.mfa.endpoints import router as mfa_router
from croupier.jobs import serving_jobs
from croupier.kit import tracing
from croupier.kit.docs import install_docs
from croupier.kit.errors import install_error_handlers, install_problem_openapi
from croupier.kit.heap import freeze_started_heap
from croupier.kit.http import ClientCertificateGate, RequestContextMiddleware
from croupier.kit.idempotency import declare_required_keys
from croupier.kit.metrics import TLS_CERTIFICATE_EXPIRY
from croupier.kit.ops import metrics_router
from croupier.kit.ops import router as ops_router
from croupier.kit.retry import RetryConflicts
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings, get_settings
from croupier.kit.shutdown import Drain
from croupier.kit.shutdown import drain_on_sigterm as draining
from croupier.kit.tls import certificate_expiry
from croupier.mail.relay import MailRelay
from croupier.operations.monitoring.sampler import Sampler
from croupier.payments.endpoints import router as payments_router
from croupier.payments.staff_endpoints import router as payments_staff_router
from croupier.payments.submissions import SubmissionRelay
from croupier.providers.endpoints import router as games_launch_router
from croupier.providers.hub88.endpoints import router as hub88_router
from croupier.risk.endpoints import router as risk_staff_router
from croupier.risk.rule_endpoints import router as risk_rules_router
from croupier.staff.endpoints import router as staff_router
from croupier.wallet.endpoints import router as wallet_router
from croupier.wallet.staff_endpoints import router as wallet_staff_router

if TYPE_CHECKING:
    from croupier.kit.otel import OtlpRecorder

OPENAPI_PATH = "/openapi.json"
_log = structlog.get_logger("croupier.api")

# Every domain's routes, in the order they appear in the OpenAPI document.
DOMAIN_ROUTERS = (
    # The bet paths first: a request is matched against the routes in this order, one by one
    # (their paths overlap no other router's).
    games_router,
    hub88_router,
    identity_router,
    mfa_router,
    account_router,
    wallet_router,
    payments_router,
    payments_staff_router,
    wallet_staff_router,
    approvals_router,
    games_launch_router,
    risk_staff_router,
    risk_rules_router,
    gdpr_router,
    gdpr_staff_router,
    reports_router,
    responsible_router,
    exclusions_router,
    responsible_staff_router,
    kyc_router,
    kyc_staff_router,
    staff_router,
    oauth_router,
    oauth_staff_router,
    partners_router,
)


def start_span_export(settings: Settings) -> OtlpRecorder | None:
    """Spans to an OTLP collector when one is configured (the ``otel`` extra)."""
    endpoint = settings.otel_exporter_otlp_endpoint or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not endpoint:
        return None
    try:
        from croupier.kit.otel import OtlpRecorder
    except ImportError as exc:
        raise RuntimeError(
            "exporting spans (CROUPIER_OTEL_EXPORTER_OTLP_ENDPOINT) needs the otel extra:"
            " pip install 'croupier[otel]'"
        ) from exc
    recorder = OtlpRecorder(endpoint, version=__version__)
    tracing.start_recording(recorder)
    return recorder


@asynccontextmanager
async def background_work(runtime: Runtime) -> AsyncIterator[None]:
    """What an API process runs beside its requests, started before them and stopped after."""
    # Every API process relays the mail outbox; SKIP LOCKED keeps them apart.
    relay = MailRelay.for_runtime(runtime)
    relay.start()
    submissions = SubmissionRelay.for_runtime(runtime)
    if submissions is not None:
        submissions.start()
    # Domain events reach their handlers from here unless workers do it (CROUPIER_EVENT_CONSUMER=off).
    events = EventDelivery.for_runtime(runtime)
    await events.start()
    sampler = Sampler.for_runtime(runtime)
    if sampler is not None:
        sampler.start()
    exporting = start_span_export(runtime.settings)
    try:
        # Every API process can defer jobs; it runs them too unless workers do (CROUPIER_JOBS_WORKER=off).
        async with serving_jobs(runtime):
            yield
    finally:
        if sampler is not None:
            await sampler.stop()
        # Side by side: each lets its current item finish (its own grace), so a stop takes
        # the longest grace, not their sum.
        stopping = [events.stop(), relay.stop()]
        if submissions is not None:
            stopping.append(submissions.stop())
        await asyncio.gather(*stopping)
        if exporting is not None:
            tracing.stop_recording()
            await asyncio.to_thread(exporting.shutdown)


def create_app(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    drain_on_sigterm: bool = False,
    freeze_heap: bool = False,
) -> FastAPI:
    """Build the app. Given a ``runtime`` the caller owns it; otherwise the app starts its own.

    ``drain_on_sigterm``: the process serves it (``croupier serve``), and SIGTERM first turns
    ``/readyz`` unready for ``CROUPIER_SHUTDOWN_DRAIN_SECONDS`` (``kit.shutdown``).
    ``freeze_heap``: the process serves nothing else, so what it holds once started is kept
    out of the garbage collector's way (``kit.heap``).
    """
    settings = runtime.settings if runtime is not None else (settings or get_settings())
    drain = Drain()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        app.state.runtime = runtime if runtime is not None else await Runtime.start(settings)
        try:
            async with background_work(app.state.runtime):
                if freeze_heap:
                    _log.info("heap_frozen", objects=freeze_started_heap())
                if drain_on_sigterm:
                    with draining(drain, settings.shutdown_drain_seconds):
                        yield
                else:
                    yield
        finally:
            if owned:
                await app.state.runtime.close()

    app = FastAPI(
        title="Croupier",
        version=__version__,
        summary="Security-first online casino backend",
        lifespan=lifespan,
        # FastAPI's own pages load their scripts from a CDN; kit.docs serves them from the package.
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_PATH if settings.docs else None,
        # Croupier traces and measures its requests itself (kit.tracing, kit.metrics); FastAPI's
        # own OpenTelemetry would only look up the global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.drain = drain
    if runtime is not None:
        app.state.runtime = runtime
    if settings.tls_certfile is not None:
        # The certificate is loaded once, when serving starts: its expiry now is the served one's.
        TLS_CERTIFICATE_EXPIRY.set(certificate_expiry(settings.tls_certfile))
    install_error_handlers(app, pages=page_errors)
    install_game_errors(app)
    install_problem_openapi(app, finishers=[declare_required_keys, declare_oauth_errors])
    if settings.docs:
        install_docs(app, openapi_path=OPENAPI_PATH)
    app.include_router(ops_router)
    if settings.metrics_token is not None:
        app.include_router(metrics_router(settings.metrics_token))
    for router in DOMAIN_ROUTERS:
        app.include_router(router)
    install_console(app)
    app.add_middleware(RetryConflicts)
    if settings.tls_client_cert_required:
        app.add_middleware(ClientCertificateGate)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        # A document upload: the file and its multipart envelope.
        body_limits={"/v1/kyc/documents": settings.kyc_document_max_bytes + 16 * 1024},
    )
    return app
