"""Responsible-gambling tests run against a live Croupier and the sandbox provider; the register's
against ``croupier sandbox register``, one process per test process.

One server and one database per test module: each test works with players of its own, so
they share them safely, and the directory does not pay a server start-up per test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.compliance.responsible.register_sandbox import RegisterSandbox
from tests.payments.support import Live, live_settings, serve
from tests.psp_sandbox import PspSandbox


@pytest.fixture(scope="module")
async def live(
    module_database_url: str, keyring_json: str, tmp_path_factory: pytest.TempPathFactory, psp: PspSandbox
) -> AsyncIterator[Live]:
    settings = live_settings(module_database_url, keyring_json, tmp_path_factory.mktemp("live"), psp)
    async for runtime, base_url in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Live(http=http, runtime=runtime, psp=psp, base_url=base_url)


@pytest.fixture(scope="session")
def register_sandbox() -> Iterator[RegisterSandbox]:
    sandbox = RegisterSandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()
