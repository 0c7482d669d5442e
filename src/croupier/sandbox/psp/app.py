"""``create_psp_app(config)``: the sandbox provider as one FastAPI application."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from croupier.sandbox.psp import public, server, simulation
from croupier.sandbox.psp.config import PspConfig
from croupier.sandbox.psp.errors import install_error_handlers
from croupier.sandbox.psp.state import PspState
from croupier.sandbox.psp.webhooks import WebhookDispatcher

# The server API calls kept for /sandbox/requests, newest last.
RECORDED_CALLS = 1000


class RecordCalls:
    """Keeps the method, path and trace context of every call to the server API (``/v1/...``)."""

    def __init__(self, app: ASGIApp, *, calls: deque[dict[str, str | None]]) -> None:
        self.app = app
        self.calls = calls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            headers = dict(scope["headers"])
            traceparent = headers.get(b"traceparent")
            self.calls.append(
                {
                    "method": scope["method"],
                    "path": scope["path"],
                    "traceparent": traceparent.decode("latin-1") if traceparent else None,
                }
            )
        await self.app(scope, receive, send)


def create_psp_app(config: PspConfig) -> FastAPI:
    webhooks = WebhookDispatcher(config)
    state = PspState(config, webhooks)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await webhooks.start()
        try:
            yield
        finally:
            state.close()
            await webhooks.stop()

    app = FastAPI(
        title="Croupier sandbox payment provider",
        summary="An in-memory card vault and payment provider for development and tests.",
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.psp = state
    app.state.webhooks = webhooks
    app.state.calls = deque(maxlen=RECORDED_CALLS)
    install_error_handlers(app)
    # The player's browser posts card data here straight from Croupier's pages, another origin;
    # no credentials and no Authorization header, so server-side endpoints stay out of reach.
    app.add_middleware(RecordCalls, calls=app.state.calls)
    app.add_middleware(
        CORSMiddleware, allow_origins=["*"], allow_methods=["POST"], allow_headers=["Content-Type"]
    )

    @app.get("/healthz", tags=["operations"], summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(public.router)
    app.include_router(server.router)
    app.include_router(simulation.router)
    return app
