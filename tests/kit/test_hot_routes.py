"""Hot routes: the plainly well-formed request skips FastAPI's dependency solving; any other
request, and any route with something to solve, is answered by the framework as before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse

from croupier.kit.hot_routes import HotRoute, answered_first_by, bearer_token, json_object


async def _fast(request: Request) -> JSONResponse | None:
    body = await json_object(request)
    if body is None:
        return None
    return JSONResponse({"answered_by": "fast", "token": bearer_token(request)})


def _app(*, dependencies: list[Any] | None = None) -> FastAPI:
    router = APIRouter(route_class=HotRoute)

    @router.post("/bets")
    @answered_first_by(_fast)
    async def bets(body: dict[str, Any], key: Annotated[str, Header()]) -> dict[str, str]:
        return {"answered_by": "framework"}

    @router.post("/plain")
    async def plain(request: Request) -> JSONResponse:
        return JSONResponse({"answered_by": "endpoint", "path": request.url.path})

    @router.post("/solved")
    async def solved(key: Annotated[str, Header()]) -> dict[str, str]:
        return {"answered_by": "framework"}

    app = FastAPI()
    app.include_router(router, dependencies=dependencies or [])
    return app


async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hot.test") as client:
        yield client


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async for found in _client(_app()):
        yield found


@pytest.mark.usefixtures("no_dependency_solving")
async def test_a_well_formed_request_is_answered_by_the_fast_path_without_solving(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/bets", json={"stake": 1}, headers={"Authorization": "Bearer  abc "})

    assert answer.status_code == 200
    assert answer.json() == {"answered_by": "fast", "token": "abc"}


async def test_anything_else_is_answered_by_the_framework_its_refusal_included(
    client: httpx.AsyncClient,
) -> None:
    not_json = await client.post("/bets", content=b"stake=1", headers={"Content-Type": "text/plain"})
    not_an_object = await client.post("/bets", json=[1, 2], headers={"key": "k"})

    # The framework's validation answers them, naming what it found wrong.
    assert not_json.status_code == 422
    assert {tuple(error["loc"]) for error in not_json.json()["detail"]} == {("body",), ("header", "key")}
    assert not_an_object.status_code == 422
    assert [tuple(error["loc"]) for error in not_an_object.json()["detail"]] == [("body",)]


@pytest.mark.usefixtures("no_dependency_solving")
async def test_an_endpoint_that_takes_only_the_request_is_called_with_it(client: httpx.AsyncClient) -> None:
    answer = await client.post("/plain")

    assert answer.json() == {"answered_by": "endpoint", "path": "/plain"}


async def test_a_route_with_something_to_solve_is_the_framework_s(client: httpx.AsyncClient) -> None:
    assert (await client.post("/solved")).status_code == 422  # the missing header, found by solving
    assert (await client.post("/solved", headers={"key": "k"})).json() == {"answered_by": "framework"}


async def test_a_router_included_with_dependencies_has_them_solved_on_every_route() -> None:
    async def forbidden() -> None:
        raise HTTPException(403, "no")

    async for client in _client(_app(dependencies=[Depends(forbidden)])):
        assert (await client.post("/plain")).status_code == 403
        assert (await client.post("/bets", json={"stake": 1}, headers={"key": "k"})).status_code == 403
