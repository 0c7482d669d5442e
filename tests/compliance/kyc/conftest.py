"""KYC is tested against a live Croupier, the sandbox payment provider and the sandbox KYC provider."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from croupier.kit.settings import Settings
from tests.kyc_sandbox import KycSandbox
from tests.payments.support import Live, live, live_settings, serve
from tests.psp_sandbox import PspSandbox

__all__ = ["kyc_live", "live"]
MAX_DOCUMENT_BYTES = 64 * 1024


def kyc_live_settings(
    database_url: str,
    keyring_json: str,
    data_dir: Path,
    psp: PspSandbox,
    kyc_sandbox: KycSandbox,
    **overrides: Any,
) -> Settings:
    """Settings wired to both sandboxes; documents up to 64 KiB."""
    return live_settings(
        database_url,
        keyring_json,
        data_dir,
        psp,
        kyc_url=kyc_sandbox.base_url,
        kyc_api_key=kyc_sandbox.api_key,
        kyc_webhook_secrets=kyc_sandbox.webhook_secret,
        kyc_document_max_bytes=MAX_DOCUMENT_BYTES,
        **overrides,
    )


async def served(settings: Settings, psp: PspSandbox) -> AsyncIterator[Live]:
    async for runtime, base_url in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Live(http=http, runtime=runtime, psp=psp, base_url=base_url)


@pytest.fixture
async def kyc_live(
    database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox, kyc_sandbox: KycSandbox
) -> AsyncIterator[Live]:
    """A live Croupier wired to both sandboxes, documents kept in files."""
    settings = kyc_live_settings(database_url, keyring_json, tmp_path, psp, kyc_sandbox)
    async for found in served(settings, psp):
        yield found
