"""A casino served over real HTTP with its gaming day in Malta (turning at 06:00 local time),
players who play in-house rounds and a studio that calls the Hub88 wallet."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from croupier.kit.clock import utcnow
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from croupier.risk.gaming_day import gaming_day_of
from tests.cli_support import env_for
from tests.conftest import make_settings
from tests.factories import SignedIn, signed_in_player
from tests.payments.support import serve
from tests.providers.support import Studio, register
from tests.wallet.support import deposit

ZONE, CUTOVER = "Europe/Malta", "06:00"
DICE = {"stake": 100, "currency": "EUR", "target": 49.5, "direction": "under"}


@dataclass
class Casino:
    runtime: Runtime
    http: httpx.AsyncClient

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def today(self) -> date:
        return gaming_day_of(utcnow(), self.settings)

    def env(self) -> dict[str, str]:
        """What ``croupier`` needs to read this casino's database the way the server does."""
        return env_for(self.settings, CROUPIER_GAMING_DAY_TIMEZONE=ZONE, CROUPIER_GAMING_DAY_CUTOVER=CUTOVER)

    async def player(self, funds: int = 100_000) -> SignedIn:
        """A player registered and signed in over HTTP, with ``funds`` euro cents to play with."""
        player = await signed_in_player(self.http, runtime=self.runtime)
        if funds:
            await deposit(self.runtime, uuid.UUID(player.id), funds, "EUR")
        return player

    async def dice(self, player: SignedIn) -> dict[str, Any]:
        headers = {**player.headers, "Idempotency-Key": str(uuid.uuid4())}
        response = await self.http.post("/v1/games/dice/rounds", json=DICE, headers=headers)
        assert response.status_code == 201, response.text
        played: dict[str, Any] = response.json()
        return played

    async def studio(self, key: rsa.RSAPrivateKey, name: str = "studio") -> Studio:
        await register(self.runtime, name, key, EUR=Decimal("50.00"))
        return Studio(http=self.http, runtime=self.runtime, name=name, key=key)

    async def report(
        self, name: str, headers: dict[str, str], first: date, last: date, output: str = "json"
    ) -> httpx.Response:
        params = {"from": first.isoformat(), "to": last.isoformat(), "format": output}
        return await self.http.get(f"/v1/staff/reports/{name}", params=params, headers=headers)


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]


@pytest.fixture
def settings(database_url: str, keyring_json: str, tmp_path: Path) -> Settings:
    return make_settings(
        database_url, keyring_json, tmp_path, gaming_day_timezone=ZONE, gaming_day_cutover=CUTOVER
    )


@pytest.fixture
async def casino(settings: Settings) -> AsyncIterator[Casino]:
    async for runtime, base_url in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Casino(runtime, http)
