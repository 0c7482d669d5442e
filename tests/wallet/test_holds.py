"""Holds: reserve, post (partly), void, expire; every balance check counts held funds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from croupier.kit.errors import NotFound
from croupier.kit.runtime import Runtime
from croupier.wallet import books
from croupier.wallet import service as wallet
from croupier.wallet.service import (
    HoldNotPending,
    HoldResult,
    HouseBook,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidAmount,
    UnbalancedTransfer,
)
from tests.sql import sql
from tests.wallet.support import available, bet, cash, deposit, house, key, later, make_player


async def place_hold(
    runtime: Runtime,
    player: uuid.UUID,
    amount: int,
    *,
    idem: str | None = None,
    expires_at: datetime | None = None,
) -> HoldResult:
    async with runtime.database.unit_of_work() as session:
        return await wallet.hold(
            session,
            source="test",
            key=idem or key(),
            account=cash(player),
            amount=amount,
            expires_at=expires_at or later(),
        )


async def post(
    runtime: Runtime, hold_id: uuid.UUID, amount: int, *, idem: str | None = None
) -> wallet.TransferResult:
    async with runtime.database.unit_of_work() as session:
        return await wallet.post_hold(
            session,
            hold_id=hold_id,
            amount=amount,
            to=house(HouseBook.PENDING_WITHDRAWALS),
            source="test",
            key=idem or key(),
            kind="withdrawal",
        )


async def void(runtime: Runtime, hold_id: uuid.UUID) -> HoldResult:
    async with runtime.database.unit_of_work() as session:
        return await wallet.void_hold(session, hold_id=hold_id)


async def books_ok(runtime: Runtime) -> None:
    async with runtime.database.unit_of_work() as session:
        assert await books.check_books(session) == []


class TestHolding:
    async def test_a_hold_moves_funds_from_available_to_held(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)

        held = await place_hold(runtime, player, 400)

        assert (held.status, held.amount, held.posted_amount, held.replayed) == ("pending", 400, 0, False)
        assert held.account == cash(player)
        assert await available(runtime, player) == (600, 400)
        [(balance,)] = await sql(
            runtime, "SELECT balance FROM ledger_accounts WHERE code = :c", c=f"player:{player}:cash:EUR"
        )
        assert balance == 1_000  # a hold moves nothing
        await books_ok(runtime)

    async def test_a_hold_cannot_exceed_the_available_funds(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        await place_hold(runtime, player, 700)

        with pytest.raises(InsufficientFunds):
            await place_hold(runtime, player, 301)
        with pytest.raises(InsufficientFunds):
            await place_hold(runtime, await make_player(runtime), 1)

        await place_hold(runtime, player, 300)
        assert await available(runtime, player) == (0, 1_000)

    async def test_blnk_181_a_debit_that_fits_the_balance_but_not_the_available_funds_is_refused(
        self, runtime: Runtime
    ) -> None:
        """Blnk issue #181: an inflight (held) amount was not counted, so the balance went negative."""
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        await place_hold(runtime, player, 900)

        with pytest.raises(InsufficientFunds):
            await bet(runtime, player, 500)  # 500 <= balance 1000, but > available 100

        await bet(runtime, player, 100)
        assert await available(runtime, player) == (0, 900)
        await books_ok(runtime)

    @pytest.mark.parametrize("amount", [0, -5])
    async def test_a_hold_is_for_a_positive_amount(self, runtime: Runtime, amount: int) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        with pytest.raises(InvalidAmount):
            await place_hold(runtime, player, amount)


class TestPosting:
    async def test_posting_part_of_a_hold_moves_that_part_and_releases_the_rest(
        self, runtime: Runtime
    ) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        held = await place_hold(runtime, player, 400)

        posted = await post(runtime, held.id, 250)

        assert posted.kind == "withdrawal"
        assert [leg.amount for leg in posted.legs] == [-250, 250]
        assert posted.legs[0].account == cash(player)
        assert await available(runtime, player) == (750, 0)
        [(status, posted_amount, transfer_id)] = await sql(
            runtime, "SELECT status, posted_amount, transfer_id FROM ledger_holds WHERE id = :i", i=held.id
        )
        assert (status, posted_amount, transfer_id) == ("posted", 250, posted.id)
        [(pending,)] = await sql(
            runtime, "SELECT balance FROM ledger_accounts WHERE code = 'house:pending_withdrawals:EUR'"
        )
        assert pending == 250
        await books_ok(runtime)

    async def test_posting_the_whole_hold(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 400)
        held = await place_hold(runtime, player, 400)

        await post(runtime, held.id, 400)

        assert await available(runtime, player) == (0, 0)
        await books_ok(runtime)

    async def test_a_hold_cannot_post_more_than_it_holds(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        held = await place_hold(runtime, player, 400)

        with pytest.raises(InsufficientFunds):
            await post(runtime, held.id, 401)
        with pytest.raises(InvalidAmount):
            await post(runtime, held.id, 0)

        assert await available(runtime, player) == (600, 400)

    async def test_a_hold_posts_only_in_its_own_currency(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        held = await place_hold(runtime, player, 400)

        with pytest.raises(UnbalancedTransfer):
            async with runtime.database.unit_of_work() as session:
                await wallet.post_hold(
                    session,
                    hold_id=held.id,
                    amount=100,
                    to=house(HouseBook.REVENUE, "USD"),
                    source="test",
                    key=key(),
                    kind="bet",
                )

    async def test_posting_a_repeated_key_replays_and_moves_nothing(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        held = await place_hold(runtime, player, 400)

        first = await post(runtime, held.id, 300, idem="post-1")
        again = await post(runtime, held.id, 300, idem="post-1")

        assert (again.id, again.legs, again.replayed) == (first.id, first.legs, True)
        assert await available(runtime, player) == (700, 0)
        with pytest.raises(IdempotencyKeyReused):
            await post(runtime, held.id, 200, idem="post-1")

    async def test_an_unknown_hold_is_not_found(self, runtime: Runtime) -> None:
        with pytest.raises(NotFound):
            await post(runtime, uuid.uuid4(), 1)
        with pytest.raises(NotFound):
            await void(runtime, uuid.uuid4())


class TestReleasing:
    async def test_voiding_releases_the_hold(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        held = await place_hold(runtime, player, 400)

        voided = await void(runtime, held.id)

        assert (voided.id, voided.status, voided.posted_amount) == (held.id, "voided", 0)
        assert await available(runtime, player) == (1_000, 0)
        await books_ok(runtime)

    async def test_a_resolved_hold_can_be_neither_posted_nor_voided(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        voided = await place_hold(runtime, player, 100)
        posted = await place_hold(runtime, player, 100)
        await void(runtime, voided.id)
        await post(runtime, posted.id, 100)

        for hold_id in (voided.id, posted.id):
            with pytest.raises(HoldNotPending) as refused:
                await void(runtime, hold_id)
            assert refused.value.status == 409
            with pytest.raises(HoldNotPending):
                await post(runtime, hold_id, 50)

        assert await available(runtime, player) == (900, 0)
        await books_ok(runtime)

    async def test_expiry_releases_holds_past_their_time_only(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        soon = await place_hold(runtime, player, 100, expires_at=later(minutes=5))
        await place_hold(runtime, player, 200, expires_at=later(minutes=60))

        async with runtime.database.unit_of_work() as session:
            assert await wallet.expire_holds(session) == 0
        async with runtime.database.unit_of_work() as session:
            assert await wallet.expire_holds(session, now=datetime.now(UTC) + timedelta(minutes=10)) == 1

        assert await available(runtime, player) == (800, 200)
        [(status, resolved_at)] = await sql(
            runtime, "SELECT status, resolved_at FROM ledger_holds WHERE id = :i", i=soon.id
        )
        assert status == "expired"
        assert resolved_at is not None
        with pytest.raises(HoldNotPending):
            await post(runtime, soon.id, 100)
        await books_ok(runtime)

    async def test_a_hold_past_its_expiry_cannot_be_posted_even_before_the_sweep(
        self, runtime: Runtime
    ) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        lapsed = await place_hold(runtime, player, 100, expires_at=datetime.now(UTC) - timedelta(seconds=1))

        with pytest.raises(HoldNotPending, match="expired"):
            await post(runtime, lapsed.id, 100)

        async with runtime.database.unit_of_work() as session:
            assert await wallet.expire_holds(session) == 1
        assert await available(runtime, player) == (1_000, 0)

    async def test_expiry_works_in_batches(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        for _ in range(5):
            await place_hold(runtime, player, 10, expires_at=later(minutes=1))
        future = datetime.now(UTC) + timedelta(minutes=2)

        async with runtime.database.unit_of_work() as session:
            assert await wallet.expire_holds(session, now=future, limit=3) == 3
        async with runtime.database.unit_of_work() as session:
            assert await wallet.expire_holds(session, now=future, limit=3) == 2

        assert await available(runtime, player) == (1_000, 0)


class TestHoldIdempotency:
    async def test_the_same_hold_key_returns_the_same_hold(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        expires_at = later()

        first = await place_hold(runtime, player, 600, idem="hold-1", expires_at=expires_at)
        again = await place_hold(runtime, player, 600, idem="hold-1", expires_at=expires_at)

        assert (again.id, again.amount, again.status, again.replayed) == (first.id, 600, "pending", True)
        assert await available(runtime, player) == (400, 600)

    async def test_a_granted_hold_is_replayed_even_once_the_funds_are_gone(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        expires_at = later()
        first = await place_hold(runtime, player, 600, idem="hold-1", expires_at=expires_at)
        await post(runtime, first.id, 600)
        await bet(runtime, player, 400)

        again = await place_hold(runtime, player, 600, idem="hold-1", expires_at=expires_at)

        assert (again.id, again.status, again.posted_amount, again.replayed) == (
            first.id,
            "posted",
            600,
            True,
        )

    async def test_the_same_hold_key_with_other_content_is_refused(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        await place_hold(runtime, player, 100, idem="hold-1")

        with pytest.raises(IdempotencyKeyReused):
            await place_hold(runtime, player, 101, idem="hold-1")
        assert await available(runtime, player) == (900, 100)
