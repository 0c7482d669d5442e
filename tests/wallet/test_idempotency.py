"""Idempotency: one transfer per (source, key), replayed from storage; failures stick."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from typing import Any

import pytest

from croupier.kit.runtime import Runtime
from croupier.wallet import service as wallet
from croupier.wallet.service import (
    HouseBook,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidIdempotencyKey,
    Leg,
    TransferAlreadyFailed,
    TransferResult,
)
from tests.sql import sql
from tests.wallet.support import available, cash, deposit, house, make_player


async def stake(
    runtime: Runtime,
    player: uuid.UUID,
    amount: int,
    *,
    idem: str,
    source: str = "games",
    kind: str = "bet",
    metadata: dict[str, Any] | None = None,
) -> TransferResult:
    async with runtime.database.unit_of_work() as session:
        return await wallet.transfer(
            session,
            source=source,
            key=idem,
            kind=kind,
            legs=[Leg(cash(player), -amount), Leg(house(HouseBook.REVENUE), amount)],
            metadata=metadata,
        )


async def transfer_count(runtime: Runtime, idem: str) -> list[tuple[str, str | None]]:
    rows = await sql(
        runtime, "SELECT status, error_code FROM ledger_transfers WHERE idempotency_key = :k", k=idem
    )
    return [(status, error_code) for status, error_code in rows]


class TestReplays:
    async def test_the_same_key_and_content_returns_the_original_and_moves_nothing(
        self, runtime: Runtime
    ) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)

        first = await stake(runtime, player, 300, idem="round-1", metadata={"round": "r1", "n": 1})
        again = await stake(runtime, player, 300, idem="round-1", metadata={"n": 1, "round": "r1"})

        assert not first.replayed
        assert again.replayed
        assert (again.id, again.kind, again.created_at) == (first.id, first.kind, first.created_at)
        # Rebuilt from the stored entries, the revenue bucket folded back into its book.
        assert again.legs == first.legs
        assert await available(runtime, player) == (700, 0)
        [(entries,)] = await sql(runtime, "SELECT count(*) FROM ledger_entries")
        assert entries == 4

    async def test_a_replay_answers_the_original_once_the_funds_are_gone(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        first = await stake(runtime, player, 300, idem="early")
        await stake(runtime, player, 700, idem="all-the-rest")

        again = await stake(runtime, player, 300, idem="early")

        assert again.replayed
        assert again.id == first.id
        assert await available(runtime, player) == (0, 0)
        assert await transfer_count(runtime, "early") == [("posted", None)]

    async def test_the_stored_hash_keeps_non_ascii_characters_as_they_are(self, runtime: Runtime) -> None:
        """Hashes stored before are compared with new ones: their form must not change."""
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)

        await stake(runtime, player, 300, idem="café", metadata={"table": "Hôtel de Paris"})

        [(stored,)] = await sql(
            runtime, "SELECT request_hash FROM ledger_transfers WHERE idempotency_key = 'café'"
        )
        legs = sorted([[f"player:{player}:cash:EUR", -300], ["house:revenue:EUR", 300]])
        document = {"op": "transfer", "kind": "bet", "legs": legs, "metadata": {"table": "Hôtel de Paris"}}
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert bytes(stored) == hashlib.sha256(canonical.encode()).digest()

    async def test_legs_in_another_order_are_the_same_request(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        legs = [Leg(cash(player), -300), Leg(house(HouseBook.REVENUE), 300)]

        async with runtime.database.unit_of_work() as session:
            first = await wallet.transfer(session, source="games", key="k", kind="bet", legs=legs)
        async with runtime.database.unit_of_work() as session:
            again = await wallet.transfer(session, source="games", key="k", kind="bet", legs=legs[::-1])

        assert (again.id, again.replayed) == (first.id, True)

    @pytest.mark.parametrize(
        "change",
        [
            pytest.param({"amount": 301}, id="amount"),
            pytest.param({"kind": "side_bet"}, id="kind"),
            pytest.param({"metadata": {"round": "r2"}}, id="metadata"),
        ],
    )
    async def test_the_same_key_with_other_content_is_refused(
        self, runtime: Runtime, change: dict[str, Any]
    ) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        await stake(runtime, player, 300, idem="round-1", metadata={"round": "r1"})

        request: dict[str, Any] = {"amount": 300, "kind": "bet", "metadata": {"round": "r1"}} | change
        with pytest.raises(IdempotencyKeyReused) as refused:
            await stake(runtime, player, request.pop("amount"), idem="round-1", **request)

        assert refused.value.status == 409
        assert await available(runtime, player) == (700, 0)

    async def test_keys_are_scoped_by_source(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)

        one = await stake(runtime, player, 100, idem="same", source="dice")
        other = await stake(runtime, player, 100, idem="same", source="roulette")

        assert one.id != other.id
        assert not other.replayed
        assert await available(runtime, player) == (800, 0)

    @pytest.mark.parametrize("bad", ["", "k" * 256])
    async def test_a_key_is_one_to_255_characters(self, runtime: Runtime, bad: str) -> None:
        player = await make_player(runtime)
        with pytest.raises(InvalidIdempotencyKey):
            await stake(runtime, player, 1, idem=bad)


class TestFailuresStick:
    async def test_a_failed_key_keeps_failing_after_funds_arrive(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 100)

        with pytest.raises(InsufficientFunds):
            await stake(runtime, player, 500, idem="round-9")
        # The request rolled back, but its failure was recorded on its own.
        assert await transfer_count(runtime, "round-9") == [("failed", "insufficient_funds")]

        await deposit(runtime, player, 1_000)
        with pytest.raises(TransferAlreadyFailed) as again:
            await stake(runtime, player, 500, idem="round-9")

        assert again.value.extra["original_code"] == "insufficient_funds"
        assert again.value.status == 422
        assert await available(runtime, player) == (1_100, 0)

    async def test_other_content_on_a_failed_key_is_a_reused_key(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        with pytest.raises(InsufficientFunds):
            await stake(runtime, player, 500, idem="round-9")

        with pytest.raises(IdempotencyKeyReused):
            await stake(runtime, player, 400, idem="round-9")

    async def test_the_failure_survives_a_rollback_of_the_whole_request(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 100)

        class Abort(Exception):
            pass

        async def request() -> None:
            async with runtime.database.unit_of_work() as session:
                await wallet.transfer(
                    session,
                    source="games",
                    key="ok",
                    kind="bet",
                    legs=[Leg(cash(player), -50), Leg(house(HouseBook.REVENUE), 50)],
                )
                try:
                    await wallet.transfer(
                        session,
                        source="games",
                        key="too-much",
                        kind="bet",
                        legs=[Leg(cash(player), -80), Leg(house(HouseBook.REVENUE), 80)],
                    )
                except InsufficientFunds:
                    raise Abort from None

        with pytest.raises(Abort):
            await request()

        assert await transfer_count(runtime, "ok") == []
        assert await transfer_count(runtime, "too-much") == [("failed", "insufficient_funds")]
        assert await available(runtime, player) == (100, 0)


class TestConcurrentAttempts:
    async def test_concurrent_first_attempts_of_one_key_make_exactly_one_transfer(
        self, runtime: Runtime
    ) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)

        results = await asyncio.gather(*(stake(runtime, player, 100, idem="race") for _ in range(8)))

        assert len({r.id for r in results}) == 1
        assert sorted(r.replayed for r in results) == [False] + [True] * 7
        assert await transfer_count(runtime, "race") == [("posted", None)]
        assert await available(runtime, player) == (900, 0)

    async def test_concurrent_failing_attempts_of_one_key_record_one_failure(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 50)

        outcomes = await asyncio.gather(
            *(stake(runtime, player, 100, idem="race") for _ in range(8)), return_exceptions=True
        )

        assert all(isinstance(o, InsufficientFunds | TransferAlreadyFailed) for o in outcomes), outcomes
        assert any(isinstance(o, InsufficientFunds) for o in outcomes)
        assert await transfer_count(runtime, "race") == [("failed", "insufficient_funds")]
        assert await available(runtime, player) == (50, 0)

    async def test_many_keys_at_once_on_one_account_keep_the_books(self, runtime: Runtime) -> None:
        """More concurrent failures than pooled connections: recording them must not starve the pool."""
        player = await make_player(runtime)
        await deposit(runtime, player, 500)

        outcomes = await asyncio.wait_for(
            asyncio.gather(
                *(stake(runtime, player, 100, idem=f"k{i % 20}") for i in range(40)), return_exceptions=True
            ),
            timeout=60,
        )

        posted = {o.id for o in outcomes if isinstance(o, TransferResult)}
        assert len(posted) == 5
        assert all(
            isinstance(o, TransferResult | InsufficientFunds | TransferAlreadyFailed) for o in outcomes
        )
        [(failed,)] = await sql(runtime, "SELECT count(*) FROM ledger_transfers WHERE status = 'failed'")
        assert failed == 15
        assert await available(runtime, player) == (0, 0)
