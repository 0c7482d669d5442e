"""Hub88 bets are held to the same limits: a refusal is answered ``RS_ERROR_LIMIT_REACHED``, and
wins and rollbacks count back against the net loss."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx

from croupier.kit.runtime import Runtime
from tests.compliance.responsible.support import limits, set_limit
from tests.factories import signed_in_player
from tests.providers.support import EUR_CENT, Player, Studio, new_key, register, uid
from tests.wallet.support import deposit


async def test_a_hub88_bet_past_a_limit_is_refused_and_a_win_counts_against_the_net_loss(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    key = new_key()
    await register(runtime, "studio", key, EUR=Decimal("50.00"))
    studio = Studio(http=client, runtime=runtime, name="studio", key=key)
    signed_in = await signed_in_player(client)
    player_id = uuid.UUID(signed_in.id)
    await deposit(runtime, player_id, 10_000, "EUR")
    player = Player(id=player_id, token=await studio.token(player_id))
    await set_limit(client, signed_in, kind="loss", period="day", amount=300)

    placed = await studio.bet(player, 300 * EUR_CENT, transaction_uuid=(bet_uuid := uid()))
    refused = await studio.bet(player, 100 * EUR_CENT)

    assert placed["status"] == "RS_OK"
    assert refused["status"] == "RS_ERROR_LIMIT_REACHED"
    assert await studio.cash(player) == 10_000 - 300
    # A win of 200 brings the net loss to 100: a stake of 200 fits again, one of 201 would not.
    assert (await studio.win(player, 200 * EUR_CENT, bet_uuid))["status"] == "RS_OK"
    assert (await limits(client, signed_in))[0]["used"] == 100
    assert (await studio.bet(player, 201 * EUR_CENT))["status"] == "RS_ERROR_LIMIT_REACHED"
    assert (await studio.bet(player, 200 * EUR_CENT))["status"] == "RS_OK"
    await studio.books_balance()
