"""Privacy tests run against a live Croupier (its job worker included) and the sandbox provider."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.payments.support import Live, live, live_settings, serve
from tests.psp_sandbox import PspSandbox

__all__ = ["live", "live_without_jobs"]


@pytest.fixture
async def live_without_jobs(
    database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox
) -> AsyncIterator[Live]:
    """A live Croupier whose jobs are left to `croupier jobs worker` processes."""
    settings = live_settings(database_url, keyring_json, tmp_path, psp, jobs_worker="off")
    async for runtime, base_url in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Live(http=http, runtime=runtime, psp=psp, base_url=base_url)
