"""The pre-bet check every game calls before taking a stake: disabled accounts and stake limits."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from croupier.kit.errors import NotFound
from croupier.kit.runtime import Runtime
from croupier.risk.pre_bet import PlayerDisabled, StakeBelowMinimum, StakeLimitExceeded, pre_bet_check
from tests.wallet.support import make_player


async def _check(
    runtime: Runtime, player_id: uuid.UUID, stake: int, limit: int | None, **kw: str | int
) -> None:
    async with runtime.database.unit_of_work() as session:
        await pre_bet_check(
            session, player_id=player_id, currency="EUR", stake=stake, stake_limit=limit, **kw
        )


async def test_an_active_player_may_stake_up_to_the_limit(runtime: Runtime) -> None:
    player_id = await make_player(runtime)

    await _check(runtime, player_id, 500, 500)
    await _check(runtime, player_id, 10**12, None)


async def test_a_stake_above_the_limit_is_refused(runtime: Runtime) -> None:
    player_id = await make_player(runtime)

    with pytest.raises(StakeLimitExceeded) as refused:
        await _check(runtime, player_id, 501, 500)

    assert refused.value.status == 422
    assert refused.value.extra == {"limit": 500, "currency": "EUR"}


async def test_a_stake_below_the_minimum_is_refused(runtime: Runtime) -> None:
    player_id = await make_player(runtime)
    await _check(runtime, player_id, 10, 500, stake_minimum=10)

    with pytest.raises(StakeBelowMinimum) as refused:
        await _check(runtime, player_id, 9, 500, stake_minimum=10)

    assert (refused.value.status, refused.value.code) == (422, "stake_below_minimum")
    assert refused.value.extra == {"minimum": 10, "currency": "EUR"}


async def test_a_disabled_player_is_refused_whatever_the_stake(runtime: Runtime) -> None:
    player_id = await make_player(runtime)
    async with runtime.database.unit_of_work() as session:
        await session.execute(
            text("UPDATE players SET status = 'disabled' WHERE id = :id"), {"id": player_id}
        )

    with pytest.raises(PlayerDisabled):
        await _check(runtime, player_id, 0, None)


async def test_a_status_read_with_the_bet_spares_the_query(runtime: Runtime) -> None:
    with pytest.raises(PlayerDisabled):
        await _check(runtime, uuid.uuid4(), 1, None, player_status="disabled")
    await _check(runtime, uuid.uuid4(), 1, None, player_status="active")


async def test_an_unknown_player_is_not_found(runtime: Runtime) -> None:
    with pytest.raises(NotFound):
        await _check(runtime, uuid.uuid4(), 1, None)
