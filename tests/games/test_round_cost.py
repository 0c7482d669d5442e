"""What one dice round costs the database, counted: every statement on the hot path is deliberate.

Counted where every statement passes, SQLAlchemy's and the plain ones on the
driver's connection alike: psycopg's cursor (BEGIN and COMMIT are not cursor
executions and come on top). A change that adds a query to every bet fails here
and must say why by raising the bound.
"""

from __future__ import annotations

from typing import Any

import httpx

from croupier.games import repository
from croupier.kit.runtime import Runtime
from croupier.wallet.service import REVENUE_BUCKETS, HouseAccount, HouseBook, account_code
from tests.factories import SignedIn
from tests.games.test_rounds_api import DICE, bet, funded
from tests.sql import sql, statements_sent

# The session and its player; the replay check, the nonce and the seed's data key; the
# player's responsible-gambling limits, checked and counted (and the session's standing
# read) on their locked row, one statement; the transfer, the round and its domain events (the
# bet and any win), one statement; the pool's liveness ping.
STATEMENTS_PER_ROUND = 5


async def test_a_dice_round_takes_at_most_five_statements(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    player = await funded(client, runtime)
    assert (await bet(client, player, "dice", DICE)).status_code == 201  # creates the seed pair
    # Steady state: every revenue bucket exists (the ledger creates them on first use).
    for bucket in range(REVENUE_BUCKETS):
        await sql(
            runtime,
            "INSERT INTO ledger_accounts (code, kind, currency, balance, held, is_player)"
            " VALUES (:code, 'revenue', 'EUR', 0, 0, false) ON CONFLICT (code) DO NOTHING",
            code=account_code(HouseAccount(HouseBook.REVENUE, "EUR"), bucket=bucket),
        )
    with statements_sent() as seen:
        response = await bet(client, player, "dice", DICE)

    assert response.status_code == 201
    assert 0 < len(seen) <= STATEMENTS_PER_ROUND, "\n".join(seen)


class TestOneTableOneWay:
    """Every game writes its round, and checks a replay, with the same statements as dice."""

    @staticmethod
    async def _statements(
        client: httpx.AsyncClient, player: SignedIn, game: str, body: dict[str, Any], key: str
    ) -> list[str]:
        with statements_sent() as seen:
            response = await bet(client, player, game, body, key=key)
        assert response.status_code in (200, 201), response.text
        return seen

    async def test_blackjack_deals_and_replays_through_the_statements_dice_uses(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime)
        assert (await bet(client, player, "dice", DICE)).status_code == 201  # creates the seed pair
        draw, settle, deal = (
            " ".join(s.split())
            for s in (
                repository.DRAW_UNLESS_PLAYED,
                repository.SETTLE_NEW_ROUND,
                repository.SAVE_ROUND_WITH_EVENTS,
            )
        )
        # Dice settles at once, with its transfer; blackjack is dealt to its first decision, its
        # stake held. Both write the same row, the replay check and the nonce first.
        for game, body, save in (
            ("dice", DICE, settle),
            ("blackjack", {"currency": "EUR", "stake": 100}, deal),
        ):
            first = await self._statements(client, player, game, body, key=f"{game}-1")
            # The replay check and the nonce in one statement, first; the round written once, by one.
            assert first.count(draw) == 1, game
            assert [s for s in first if "game_rounds" in s and s != draw] == [save], game

            again = await self._statements(client, player, game, body, key=f"{game}-1")
            assert draw in again, game
            assert not any(s.startswith(("INSERT", "UPDATE")) for s in again if s != draw), game
