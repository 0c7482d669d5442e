"""A request whose transaction PostgreSQL aborts to break a deadlock (or a serialization
conflict) is run again by the service, so the client sees it succeed."""

from __future__ import annotations

import asyncio

import httpx
import psycopg
from fastapi import APIRouter, Body, FastAPI
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from croupier.api import create_app
from croupier.kit.deps import DbSession
from croupier.kit.errors import install_error_handlers
from croupier.kit.retry import RetryConflicts
from croupier.kit.runtime import Runtime
from tests.wallet.support import deposit, make_player


def _deadlock() -> OperationalError:
    return OperationalError("SELECT 1", {}, psycopg.errors.DeadlockDetected("deadlock detected"))


def _flaky_app(failures: int) -> tuple[FastAPI, list[bytes]]:
    seen: list[bytes] = []
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/echo")
    async def echo(body: dict[str, str] = Body()) -> dict[str, str]:  # noqa: B008 - FastAPI parameter
        seen.append(body["value"].encode())
        if len(seen) <= failures:
            raise _deadlock()
        return body

    app.add_middleware(RetryConflicts)
    return app, seen


async def _post(app: FastAPI, value: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.post("/echo", json={"value": value})


async def test_a_deadlocked_request_runs_again_with_its_body() -> None:
    app, seen = _flaky_app(failures=2)

    response = await _post(app, "stake 100")

    assert response.status_code == 200
    assert response.json() == {"value": "stake 100"}
    assert seen == [b"stake 100"] * 3
    assert "x-croupier-retryable" not in response.headers


async def test_after_the_last_attempt_the_client_is_asked_to_retry() -> None:
    app, seen = _flaky_app(failures=99)

    response = await _post(app, "x")

    assert len(seen) == 4
    assert response.status_code == 503
    assert response.json()["code"] == "transaction_conflict"
    assert response.headers["retry-after"] == "1"
    assert "x-croupier-retryable" not in response.headers


async def test_other_database_errors_are_not_retried() -> None:
    seen: list[int] = []
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/broken")
    async def broken() -> None:
        seen.append(1)
        raise OperationalError("SELECT 1", {}, psycopg.errors.UndefinedTable("no such table"))

    app.add_middleware(RetryConflicts)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.post("/broken")

    assert (response.status_code, len(seen)) == (500, 1)


async def test_a_real_deadlock_between_two_requests_ends_with_both_done(runtime: Runtime) -> None:
    first, second = await make_player(runtime), await make_player(runtime)
    await deposit(runtime, first, 100)
    await deposit(runtime, second, 100)
    codes = [f"player:{first}:cash:EUR", f"player:{second}:cash:EUR"]
    attempts: list[str] = []
    both_hold_one = asyncio.Barrier(2)
    router = APIRouter()

    @router.post("/lock/{order}")
    async def lock_both(order: str, session: DbSession) -> dict[str, str]:
        attempts.append(order)
        pair = codes if order == "forward" else codes[::-1]
        lock = text("SELECT id FROM ledger_accounts WHERE code = :code FOR UPDATE")
        await session.execute(lock, {"code": pair[0]})
        if len(attempts) <= 2:  # the first two attempts meet in the middle: a certain deadlock
            await both_hold_one.wait()
        await session.execute(lock, {"code": pair[1]})
        return {"done": order}

    app = create_app(runtime=runtime)
    app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as client:
        forward, backward = await asyncio.gather(client.post("/lock/forward"), client.post("/lock/backward"))

    assert (forward.status_code, backward.status_code) == (200, 200)
    assert sorted(attempts) == sorted(["forward", "backward", attempts[2]])  # one of them ran twice
