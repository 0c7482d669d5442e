"""Registration does not say whether an address is registered: not in the answer, not in the work."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import httpx
import pytest

from croupier.identity.passwords import Passwords
from croupier.kit.runtime import Runtime
from tests.factories import player_data, register
from tests.mail.helpers import deliver, mails
from tests.sql import sql

# Headers that differ between any two requests, whatever they ask.
_PER_REQUEST = {"x-request-id"}
SAMPLES = 15


def comparable(response: httpx.Response) -> tuple[int, bytes, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k.lower() not in _PER_REQUEST}
    return response.status_code, response.content, headers


async def counts(runtime: Runtime) -> Counter[str]:
    rows = await sql(
        runtime,
        "SELECT 'mail', count(*) FROM mail_outbox UNION ALL SELECT 'audit', count(*) FROM audit_events",
    )
    return Counter({name: int(n) for name, n in rows})


@pytest.fixture
def argon2_hashes(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many argon2 hashes were computed, counted at Passwords.hash."""
    seen: Counter[str] = Counter()
    original = Passwords.hash

    async def counting(self: Passwords, password: str) -> str:
        seen["hash"] += 1
        return await original(self, password)

    monkeypatch.setattr(Passwords, "hash", counting)
    return seen


class TestTheAnswer:
    async def test_is_byte_for_byte_the_same_for_a_new_and_a_registered_address(
        self, client: httpx.AsyncClient
    ) -> None:
        _, taken = await register(client)
        existing = await client.post("/v1/players", json=player_data(email=taken["email"].upper()))
        new = await client.post("/v1/players", json=player_data())
        assert existing.status_code == 202
        assert comparable(existing) == comparable(new)

    async def test_the_owner_of_a_registered_address_is_told_instead(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player_id, taken = await register(client)
        assert (await client.post("/v1/players", json=player_data(email=taken["email"]))).status_code == 202
        await deliver(runtime)
        [note] = mails(runtime.settings, to=taken["email"], template="registration_attempt")
        assert "already has an account" in note.body
        assert runtime.settings.public_url in note.body
        [(players,)] = await sql(runtime, "SELECT count(*) FROM players")
        assert players == 1
        [(outcome, target, details)] = await sql(
            runtime,
            "SELECT outcome, target_id, details FROM audit_events"
            " WHERE action = 'identity:player:register' ORDER BY seq DESC LIMIT 1",
        )
        assert (outcome, target, details) == ("denied", player_id, {"reason": "email_taken"})


class TestTheWork:
    async def test_both_paths_hash_once_queue_one_mail_and_write_one_audit_entry(
        self, client: httpx.AsyncClient, runtime: Runtime, argon2_hashes: Counter[str]
    ) -> None:
        _, taken = await register(client)

        async def cost(body: dict[str, str]) -> Counter[str]:
            before, hashes = await counts(runtime), argon2_hashes["hash"]
            assert (await client.post("/v1/players", json=body)).status_code == 202
            after = await counts(runtime)
            return Counter({**(after - before), "argon2": argon2_hashes["hash"] - hashes})

        existing = await cost(player_data(email=taken["email"]))
        new = await cost(player_data())
        assert existing == new == Counter({"argon2": 1, "mail": 1, "audit": 1})

    async def test_both_paths_take_about_as_long(self, client: httpx.AsyncClient) -> None:
        """Generous on purpose (a shared, loaded machine): it catches a path that skips the hash,
        which would make one path several times faster, not small differences."""
        _, taken = await register(client)

        async def timed(request: Callable[[], Awaitable[httpx.Response]]) -> float:
            started = time.perf_counter()
            assert (await request()).status_code == 202
            return time.perf_counter() - started

        existing: list[float] = []
        new: list[float] = []
        for _ in range(SAMPLES):  # interleaved, so that load on the machine hits both alike
            existing.append(
                await timed(lambda: client.post("/v1/players", json=player_data(email=taken["email"])))
            )
            new.append(await timed(lambda: client.post("/v1/players", json=player_data())))
        ratio = statistics.median(new) / statistics.median(existing)
        assert 1 / 1.5 < ratio < 1.5, (statistics.median(new), statistics.median(existing))
