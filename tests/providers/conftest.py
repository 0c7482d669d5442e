"""A studio registered with Croupier, calling its Hub88 wallet in process."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from croupier.kit.runtime import Runtime
from tests.providers.support import Studio, new_key, register

STAKE_LIMIT = Decimal("50.00")  # EUR


@pytest.fixture(scope="session")
def studio_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture(scope="session")
def stranger_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture
async def studio(client: httpx.AsyncClient, runtime: Runtime, studio_key: rsa.RSAPrivateKey) -> Studio:
    await register(runtime, "studio", studio_key, EUR=STAKE_LIMIT)
    return Studio(http=client, runtime=runtime, name="studio", key=studio_key)
