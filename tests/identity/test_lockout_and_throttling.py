from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, text, update

from croupier.api import create_app
from croupier.audit.models import AuditEvent
from croupier.identity.models import Player, SignInGuard
from croupier.kit.runtime import Runtime
from tests.conftest import TEST_IP, make_settings
from tests.factories import PASSWORD, register, sign_in

WRONG = "definitely not it"


async def _fail_times(client: httpx.AsyncClient, email: str, times: int) -> list[httpx.Response]:
    return [await sign_in(client, email, WRONG) for _ in range(times)]


class TestAccountLockout:
    async def test_ten_failures_lock_the_account_even_for_the_right_password(
        self, client: httpx.AsyncClient
    ) -> None:
        _, data = await register(client)
        failures = await _fail_times(client, data["email"], 10)
        assert [r.status_code for r in failures] == [401] * 10
        locked = await sign_in(client, data["email"])
        assert locked.status_code == 423
        assert locked.json()["code"] == "account_locked"

    async def test_nine_failures_then_success_resets_the_count(self, client: httpx.AsyncClient) -> None:
        _, data = await register(client)
        await _fail_times(client, data["email"], 9)
        assert (await sign_in(client, data["email"])).status_code == 201
        await _fail_times(client, data["email"], 9)
        assert (await sign_in(client, data["email"])).status_code == 201

    async def test_lockout_lasts_at_least_thirty_minutes(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        _, data = await register(client)
        await _fail_times(client, data["email"], 10)
        async with runtime.database.unit_of_work() as session:
            until = await session.scalar(select(SignInGuard.locked_until))
            now = await session.scalar(select(func.now()))
        assert until is not None
        assert now is not None
        assert (until - now).total_seconds() >= 30 * 60 - 5

    async def test_the_lock_lifts_when_it_expires(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        _, data = await register(client)
        await _fail_times(client, data["email"], 10)
        async with runtime.database.unit_of_work() as session:
            await session.execute(
                update(SignInGuard).values(locked_until=func.now() - text("interval '1 second'"))
            )
        assert (await sign_in(client, data["email"])).status_code == 201

    async def test_an_unknown_address_locks_exactly_like_a_real_one(self, client: httpx.AsyncClient) -> None:
        _, data = await register(client)
        real = await _fail_times(client, data["email"], 11)
        ghost = await _fail_times(client, "nobody-at-all@example.com", 11)

        def shape(responses: list[httpx.Response]) -> list[tuple[int, str]]:
            return [(r.status_code, r.json()["code"]) for r in responses]

        assert shape(real) == shape(ghost)
        assert shape(real)[-1] == (423, "account_locked")

    async def test_failures_are_audited_although_the_request_fails(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player_id, data = await register(client)
        await _fail_times(client, data["email"], 10)
        async with runtime.database.unit_of_work() as session:
            rows = (await session.scalars(select(AuditEvent).where(AuditEvent.target_id == player_id))).all()
        actions = [(row.action, row.outcome) for row in rows]
        assert actions.count(("identity:session:sign_in", "failure")) == 10
        assert ("identity:account:lock", "success") in actions


class TestTiming:
    async def test_unknown_accounts_cost_about_as_much_as_wrong_passwords(
        self, client: httpx.AsyncClient
    ) -> None:
        """No account enumeration by timing: both paths verify one argon2 hash."""
        _, data = await register(client)

        async def median(email: str) -> float:
            samples = []
            for _ in range(7):
                started = time.perf_counter()
                await sign_in(client, email, WRONG)
                samples.append(time.perf_counter() - started)
            return sorted(samples)[3]

        # Each address gets fewer than 10 failures, so neither locks.
        known, unknown = await median(data["email"]), await median("ghost-timing@example.com")
        assert 0.5 < known / unknown < 2.0


class TestPasswordHashing:
    async def test_stored_hashes_are_argon2id(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        await register(client)
        async with runtime.database.unit_of_work() as session:
            stored = await session.scalar(select(Player.password_hash))
        assert stored is not None
        assert stored.startswith("$argon2id$")
        assert PASSWORD not in stored

    async def test_a_hash_is_upgraded_at_sign_in_when_parameters_change(
        self, client: httpx.AsyncClient, runtime: Runtime, tmp_path: Path, keyring_json: str
    ) -> None:
        _, data = await register(client)
        assert runtime.settings.database_url is not None
        stronger = make_settings(
            runtime.settings.database_url.get_secret_value(),
            keyring_json,
            tmp_path,
            argon2_memory_kib=runtime.settings.argon2_memory_kib * 2,
        )
        upgraded = await Runtime.start(stronger)
        try:
            transport = httpx.ASGITransport(app=create_app(runtime=upgraded), client=(TEST_IP, 1))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as other:
                assert (await sign_in(other, data["email"])).status_code == 201
            async with upgraded.database.unit_of_work() as session:
                stored = await session.scalar(select(Player.password_hash))
            assert stored is not None
            assert f"m={runtime.settings.argon2_memory_kib * 2}," in stored
            assert not PasswordHasher(
                memory_cost=runtime.settings.argon2_memory_kib * 2,
                time_cost=runtime.settings.argon2_time_cost,
                parallelism=runtime.settings.argon2_parallelism,
            ).check_needs_rehash(stored)
        finally:
            await upgraded.close()


@pytest.fixture
async def strict_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    runtime.settings = runtime.settings.model_copy(update={"ip_sign_in_rate": "5/minute"})
    transport = httpx.ASGITransport(app=create_app(runtime=runtime), client=("203.0.113.50", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


class TestAddressThrottling:
    async def test_one_address_is_slowed_down_across_many_accounts(
        self, strict_client: httpx.AsyncClient
    ) -> None:
        answers = [await sign_in(strict_client, f"spray-{i}@example.com", WRONG) for i in range(7)]
        assert [r.status_code for r in answers[:5]] == [401] * 5
        assert answers[5].status_code == 429
        assert answers[5].json()["code"] == "rate_limited"
        assert answers[5].headers["retry-after"] == "60"


class TestFailureBookkeepingUnderLoad:
    async def test_more_concurrent_failures_than_pooled_connections_all_complete(
        self, database_url: str, keyring_json: str, tmp_path: Path
    ) -> None:
        """Each failing request holds a pooled connection while it records the failure on
        another: with a shared pool, a burst larger than the pool would wait on itself."""
        tight = make_settings(
            database_url, keyring_json, tmp_path, database_pool_size=2, database_max_overflow=0
        )
        runtime = await Runtime.start(tight)
        try:
            transport = httpx.ASGITransport(app=create_app(runtime=runtime), client=(TEST_IP, 1))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                _, data = await register(http)
                burst = [sign_in(http, data["email"], WRONG) for _ in range(8)]
                answers = await asyncio.wait_for(asyncio.gather(*burst), timeout=20)
            assert [r.status_code for r in answers] == [401] * 8
        finally:
            await runtime.close()
