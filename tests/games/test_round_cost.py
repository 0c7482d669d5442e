"""What one dice round costs the database, counted: every statement on the hot path is deliberate.

Counted where every statement passes, SQLAlchemy's and the plain ones on the
driver's connection alike: psycopg's cursor (BEGIN and COMMIT are not cursor
executions and come on top). A change that adds a query to every bet fails here
and must say why by raising the bound.
"""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest

from croupier.kit.runtime import Runtime
from croupier.wallet.service import REVENUE_BUCKETS, HouseAccount, HouseBook, account_code
from tests.games.test_rounds_api import DICE, bet, funded
from tests.mail.helpers import sql

# The session and its player; the replay check, the nonce and the seed's data key; the
# transfer; the round; the pool's liveness ping.
STATEMENTS_PER_ROUND = 5


async def test_a_dice_round_takes_at_most_five_statements(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
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
    seen: list[str] = []

    execute = psycopg.AsyncCursor.execute

    async def counting(cursor: psycopg.AsyncCursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(" ".join(str(query).split())[:80])
        return await execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncCursor, "execute", counting)
    response = await bet(client, player, "dice", DICE)
    monkeypatch.undo()

    assert response.status_code == 201
    assert 0 < len(seen) <= STATEMENTS_PER_ROUND, "\n".join(seen)
