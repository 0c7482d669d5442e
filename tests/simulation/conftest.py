"""The simulation plays against a live Croupier and the sandbox provider.

Its actors never verify their identity, so the server opens the KYC gates, as
`croupier simulate`'s own server does and as a `--url` server must.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from tests.payments.support import Live, live_settings, serve
from tests.psp_sandbox import PspSandbox


@asynccontextmanager
async def live_server(
    database_url: str, keyring_json: str, data_dir: Path, psp: PspSandbox
) -> AsyncIterator[Live]:
    """Croupier on a real socket over DATABASE_URL, the KYC gates open, and a client for it."""
    settings = live_settings(
        database_url, keyring_json, data_dir, psp, kyc_withdrawal_level="none", kyc_deposit_level="none"
    )
    async for runtime, base_url in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Live(http=http, runtime=runtime, psp=psp, base_url=base_url)


@pytest.fixture
async def live(database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox) -> AsyncIterator[Live]:
    async with live_server(database_url, keyring_json, tmp_path, psp) as server:
        yield server
