"""The back-office tests run against a live Croupier (and, for withdrawals, the sandbox provider)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.backoffice.oauth.support import Server
from tests.backoffice.support import desk
from tests.conftest import make_settings
from tests.payments.support import serve


@pytest.fixture(scope="module")
async def server(
    module_database_url: str, keyring_json: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    """Croupier on a real socket, one per module: OAuth clients reach it as they would in production."""
    data_dir: Path = tmp_path_factory.mktemp("oauth")
    async for runtime, base_url in serve(make_settings(module_database_url, keyring_json, data_dir)):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Server(http, runtime, base_url)


__all__ = ["desk", "server"]
