"""``create_psp_app(config)``: the sandbox provider as one FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from croupier.sandbox.psp import public, server, simulation
from croupier.sandbox.psp.config import PspConfig
from croupier.sandbox.psp.errors import install_error_handlers
from croupier.sandbox.psp.state import PspState
from croupier.sandbox.psp.webhooks import WebhookDispatcher


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
    install_error_handlers(app)
    # The player's browser posts card data here straight from Croupier's pages, another origin;
    # no credentials and no Authorization header, so server-side endpoints stay out of reach.
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
