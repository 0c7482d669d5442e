"""``/sandbox``: what tests use to make the provider misbehave or to look inside it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from croupier.sandbox.psp.deps import (
    OptionalIdempotencyKey,
    StateDep,
    WebhooksDep,
    idempotent_answer,
    require_api_key,
)
from croupier.sandbox.psp.errors import PspError
from croupier.sandbox.psp.schemas import ChargebackRequest, ResumeRequest
from croupier.sandbox.psp.state import Chargeback

router = APIRouter(prefix="/sandbox", tags=["simulation"], dependencies=[Depends(require_api_key)])


@router.post("/payments/{payment_id}/chargeback", status_code=201, summary="The cardholder disputes")
async def chargeback(
    payment_id: str, state: StateDep, key: OptionalIdempotencyKey, body: ChargebackRequest | None = None
) -> JSONResponse:
    request = body or ChargebackRequest()

    def create() -> Chargeback:
        return state.create_chargeback(payment_id=payment_id, amount=request.amount, reason=request.reason)

    # The key is optional here: a test that simulates a dispute has nothing to retry.
    if key is None:
        return JSONResponse(create().public(), status_code=201)
    return idempotent_answer(state, f"chargeback:{payment_id}", key, request, create)


@router.post("/webhooks/pause", summary="Hold every delivery until resumed")
async def pause(webhooks: WebhooksDep) -> dict[str, object]:
    webhooks.pause()
    return {"paused": True}


@router.post("/webhooks/resume", summary="Deliver what was held, in an order, with duplicates")
async def resume(webhooks: WebhooksDep, body: ResumeRequest | None = None) -> dict[str, object]:
    request = body or ResumeRequest()
    released = webhooks.resume(order=request.order, duplicates=request.duplicates)
    return {"paused": False, "released": released}


@router.post("/events/{event_id}/redeliver", status_code=202, summary="Deliver an event once more")
async def redeliver(event_id: str, webhooks: WebhooksDep) -> JSONResponse:
    event = webhooks.get(event_id)
    if event is None:
        raise PspError(404, "no_such_event", "No such event.")
    webhooks.redeliver(event)
    return JSONResponse(event.summary(), status_code=202)


@router.get("/events", summary="Events, optionally those about one reference, oldest first")
async def events(webhooks: WebhooksDep, reference: str | None = None) -> list[dict[str, object]]:
    return [event.summary() for event in webhooks.events(reference)]


@router.get("/requests", summary="The calls made to the server API, oldest first (method, path, traceparent)")
async def requests(request: Request) -> list[dict[str, str | None]]:
    return list(request.app.state.calls)
