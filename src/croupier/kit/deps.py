"""FastAPI dependencies shared by every domain's endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.client import ClientInfo
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings


def runtime_of(request: Request) -> Runtime:
    """The process's runtime, which the app's lifespan put on its state."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def get_settings(request: Request) -> Settings:
    return runtime_of(request).settings


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    # scope="function" below: the transaction commits before the response is
    # sent, so nothing is acknowledged that was not durably written.
    async with runtime_of(request).database.unit_of_work() as session:
        yield session


async def client_info(request: Request) -> ClientInfo:
    # Dependencies are async on purpose: FastAPI runs a plain `def` one in a worker thread.
    return ClientInfo.from_request(request)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
DbSession = Annotated[AsyncSession, Depends(db_session, scope="function")]
Client = Annotated[ClientInfo, Depends(client_info)]
