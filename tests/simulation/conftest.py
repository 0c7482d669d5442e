"""The simulation plays against a live Croupier and the sandbox provider.

Its actors never verify their identity, so the server opens the KYC gates, as
`croupier simulate`'s own server does and as a `--url` server must.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.payments.support import Live, live_settings, serve
from tests.psp_sandbox import PspSandbox


@pytest.fixture
async def live(database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox) -> AsyncIterator[Live]:
    settings = live_settings(
        database_url, keyring_json, tmp_path, psp, kyc_withdrawal_level="none", kyc_deposit_level="none"
    )
    async for runtime, base_url in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Live(http=http, runtime=runtime, psp=psp, base_url=base_url)
