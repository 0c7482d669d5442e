"""What the endpoints share: the state, the API key check, the Idempotency-Key header and its answer."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from croupier.sandbox.psp.config import PspConfig
from croupier.sandbox.psp.errors import PspError
from croupier.sandbox.psp.state import PspState, Public
from croupier.sandbox.psp.webhooks import WebhookDispatcher


async def _state(request: Request) -> PspState:
    return cast(PspState, request.app.state.psp)


async def _webhooks(request: Request) -> WebhookDispatcher:
    return cast(WebhookDispatcher, request.app.state.webhooks)


async def require_api_key(request: Request) -> None:
    config = cast(PspConfig, request.app.state.config)
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    expected = config.api_key.encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(credential.strip().encode(), expected):
        raise PspError(
            401, "unauthorized", "A valid API key is required.", headers={"WWW-Authenticate": "Bearer"}
        )


def _idempotency_key(request: Request) -> str:
    key = request.headers.get("idempotency-key", "").strip()
    if not key:
        raise PspError(400, "missing_idempotency_key", "The Idempotency-Key header is required.")
    if len(key) > 255:
        raise PspError(400, "invalid_idempotency_key", "The Idempotency-Key header is too long.")
    return key


def _optional_idempotency_key(request: Request) -> str | None:
    return _idempotency_key(request) if "idempotency-key" in request.headers else None


StateDep = Annotated[PspState, Depends(_state)]
WebhooksDep = Annotated[WebhookDispatcher, Depends(_webhooks)]
IdempotencyKey = Annotated[str, Depends(_idempotency_key)]
OptionalIdempotencyKey = Annotated[str | None, Depends(_optional_idempotency_key)]


def idempotent_answer(
    state: PspState, scope: str, key: str, request: BaseModel, create: Callable[[], Public]
) -> JSONResponse:
    """201 with what ``create`` made, or 200 with what ``key`` made before (``PspState.idempotent``)."""
    obj, created = state.idempotent(scope, key, request.model_dump(mode="json"), create)
    return JSONResponse(obj, status_code=201 if created else 200)
