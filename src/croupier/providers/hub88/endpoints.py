"""Hub88's operator Wallet API over HTTP: ``POST /providers/hub88/<provider>/{user/info, user/balance,
transaction/bet, transaction/win, transaction/rollback}``.

As Hub88 specifies, every answer is HTTP 200 with a JSON body whose ``status``
says how it went; the body is read raw, because the signature covers its exact
bytes. These routes are not in Croupier's OpenAPI document: their contract is
Hub88's, not Croupier's problem+json one.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from croupier.kit.deps import Client, DbSession, SettingsDep
from croupier.kit.settings import Settings
from croupier.providers.hub88.gateway import Operation, handle
from croupier.providers.hub88.signature import HEADER

router = APIRouter(prefix="/providers/hub88/{provider}", tags=["hub88"], include_in_schema=False)


async def _answer(
    operation: Operation,
    provider: str,
    request: Request,
    session: DbSession,
    client: Client,
    *,
    settings: Settings,
) -> JSONResponse:
    answer = await handle(
        session,
        provider_name=provider,
        operation=operation,
        body=await request.body(),
        signed=request.headers.get(HEADER),
        client=client,
        settings=settings,
    )
    return JSONResponse(answer.body())


@router.post("/user/info")
async def user_info(
    provider: str, request: Request, session: DbSession, client: Client, settings: SettingsDep
) -> JSONResponse:
    return await _answer(Operation.USER_INFO, provider, request, session, client, settings=settings)


@router.post("/user/balance")
async def user_balance(
    provider: str, request: Request, session: DbSession, client: Client, settings: SettingsDep
) -> JSONResponse:
    return await _answer(Operation.BALANCE, provider, request, session, client, settings=settings)


@router.post("/transaction/bet")
async def transaction_bet(
    provider: str, request: Request, session: DbSession, client: Client, settings: SettingsDep
) -> JSONResponse:
    return await _answer(Operation.BET, provider, request, session, client, settings=settings)


@router.post("/transaction/win")
async def transaction_win(
    provider: str, request: Request, session: DbSession, client: Client, settings: SettingsDep
) -> JSONResponse:
    return await _answer(Operation.WIN, provider, request, session, client, settings=settings)


@router.post("/transaction/rollback")
async def transaction_rollback(
    provider: str, request: Request, session: DbSession, client: Client, settings: SettingsDep
) -> JSONResponse:
    return await _answer(Operation.ROLLBACK, provider, request, session, client, settings=settings)
