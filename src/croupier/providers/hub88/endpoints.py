"""Hub88's operator Wallet API over HTTP: ``POST /providers/hub88/<provider>/{user/info, user/balance,
transaction/bet, transaction/win, transaction/rollback}``.

As Hub88 specifies, every answer is HTTP 200 with a JSON body whose ``status``
says how it went; the body is read raw, because the signature covers its exact
bytes. These routes are not in Croupier's OpenAPI document: their contract is
Hub88's, not Croupier's problem+json one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from croupier.kit.client import ClientInfo
from croupier.kit.deps import runtime_of
from croupier.kit.hot_routes import HotRoute
from croupier.providers.hub88.gateway import Operation, handle
from croupier.providers.hub88.signature import HEADER

router = APIRouter(
    prefix="/providers/hub88/{provider}", tags=["hub88"], include_in_schema=False, route_class=HotRoute
)


def _answering(operation: Operation) -> Callable[[Request], Awaitable[JSONResponse]]:
    # It takes nothing but the request, so ``HotRoute`` calls it directly: FastAPI's dependency
    # solving would only add CPU to every bet and win.
    async def answer(request: Request) -> JSONResponse:
        runtime = runtime_of(request)
        async with runtime.database.unit_of_work() as session:
            answered = await handle(
                session,
                provider_name=request.path_params["provider"],
                operation=operation,
                body=await request.body(),
                signed=request.headers.get(HEADER),
                client=ClientInfo.from_request(request),
                settings=runtime.settings,
            )
        return JSONResponse(answered.body())

    return answer


for _path, _operation in (
    ("/user/info", Operation.USER_INFO),
    ("/user/balance", Operation.BALANCE),
    ("/transaction/bet", Operation.BET),
    ("/transaction/win", Operation.WIN),
    ("/transaction/rollback", Operation.ROLLBACK),
):
    router.add_api_route(_path, _answering(_operation), methods=["POST"], name=_operation.name.lower())
