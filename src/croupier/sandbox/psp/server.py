"""What Croupier's servers call, with the API key: payments, refunds, payouts, token look-ups."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from croupier.sandbox.psp.deps import IdempotencyKey, StateDep, idempotent_answer, require_api_key
from croupier.sandbox.psp.schemas import PaymentRequest, PayoutRequest, RefundRequest

router = APIRouter(prefix="/v1", tags=["server"], dependencies=[Depends(require_api_key)])


@router.get("/tokens/{token_id}", summary="A vaulted card, without its number")
async def get_token(token_id: str, state: StateDep) -> JSONResponse:
    return JSONResponse(state.token(token_id).public())


@router.post("/payments", status_code=201, summary="Charge a tokenized card")
async def create_payment(
    body: PaymentRequest, request: Request, state: StateDep, key: IdempotencyKey
) -> JSONResponse:
    base_url = str(request.base_url)
    return idempotent_answer(
        state, "payments", key, body, lambda: state.create_payment(**body.model_dump(), base_url=base_url)
    )


@router.get("/payments/{payment_id}")
async def get_payment(payment_id: str, state: StateDep) -> JSONResponse:
    return JSONResponse(state.payment(payment_id).public())


@router.post("/refunds", status_code=201, summary="Refund part or all of a succeeded payment")
async def create_refund(body: RefundRequest, state: StateDep, key: IdempotencyKey) -> JSONResponse:
    return idempotent_answer(state, "refunds", key, body, lambda: state.create_refund(**body.model_dump()))


@router.get("/refunds/{refund_id}")
async def get_refund(refund_id: str, state: StateDep) -> JSONResponse:
    return JSONResponse(state.refund(refund_id).public())


@router.post("/payouts", status_code=201, summary="Pay money out to a tokenized card")
async def create_payout(body: PayoutRequest, state: StateDep, key: IdempotencyKey) -> JSONResponse:
    return idempotent_answer(state, "payouts", key, body, lambda: state.create_payout(**body.model_dump()))


@router.get("/payouts/{payout_id}")
async def get_payout(payout_id: str, state: StateDep) -> JSONResponse:
    return JSONResponse(state.payout(payout_id).public())
