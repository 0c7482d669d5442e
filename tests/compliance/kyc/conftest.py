"""KYC is tested against a live Croupier, the sandbox payment provider and the sandbox KYC provider."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.kyc_sandbox import KycSandbox
from tests.payments.support import Live, live, live_settings, serve
from tests.psp_sandbox import PspSandbox

__all__ = ["kyc_live", "live"]
MAX_DOCUMENT_BYTES = 64 * 1024


@pytest.fixture
async def kyc_live(
    database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox, kyc_sandbox: KycSandbox
) -> AsyncIterator[Live]:
    """A live Croupier wired to both sandboxes; documents up to 64 KiB."""
    settings = live_settings(
        database_url,
        keyring_json,
        tmp_path,
        psp,
        kyc_url=kyc_sandbox.base_url,
        kyc_api_key=kyc_sandbox.api_key,
        kyc_webhook_secrets=kyc_sandbox.webhook_secret,
        kyc_document_max_bytes=MAX_DOCUMENT_BYTES,
    )
    async for runtime, base_url in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Live(http=http, runtime=runtime, psp=psp, base_url=base_url)
