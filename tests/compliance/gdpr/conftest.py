"""Privacy tests run against a live Croupier (its job worker included) and the sandbox provider.

One server and one database per test module: each test works with players of its own, so
they share them safely, and the directory does not pay a server start-up per test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.payments.support import Live, live_settings, serve
from tests.psp_sandbox import PspSandbox


async def _live(
    url: str, keyring_json: str, data_dir: Path, psp: PspSandbox, **overrides: str
) -> AsyncIterator[Live]:
    async for runtime, base_url in serve(live_settings(url, keyring_json, data_dir, psp, **overrides)):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Live(http=http, runtime=runtime, psp=psp, base_url=base_url)


@pytest.fixture(scope="module")
async def live(
    module_database_url: str, keyring_json: str, tmp_path_factory: pytest.TempPathFactory, psp: PspSandbox
) -> AsyncIterator[Live]:
    async for shared in _live(module_database_url, keyring_json, tmp_path_factory.mktemp("live"), psp):
        yield shared


@pytest.fixture
async def live_without_jobs(
    database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox
) -> AsyncIterator[Live]:
    """A live Croupier whose jobs are left to `croupier jobs worker` processes."""
    async for alone in _live(database_url, keyring_json, tmp_path, psp, jobs_worker="off"):
        yield alone
