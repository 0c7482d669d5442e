"""What one dice round costs the database, counted: every statement on the hot path is deliberate.

Counted through SQLAlchemy's cursor events (the pool's pre-ping, BEGIN and
COMMIT are not cursor executions and come on top). A change that adds a query
to every bet fails here and must say why by raising the bound.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import event

from croupier.kit.runtime import Runtime
from croupier.wallet import repository
from croupier.wallet.service import REVENUE_BUCKETS, HouseAccount, HouseBook, account_code
from tests.games.test_rounds_api import DICE, bet, funded

STATEMENTS_PER_ROUND = 13


async def test_a_dice_round_takes_at_most_thirteen_statements(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    player = await funded(client, runtime)
    assert (await bet(client, player, "dice", DICE)).status_code == 201  # creates the seed pair
    # Steady state: every revenue bucket exists (the ledger creates them on first use).
    async with runtime.database.unit_of_work() as session:
        await repository.create_accounts(
            session,
            [
                repository.NewAccount(
                    code=account_code(HouseAccount(HouseBook.REVENUE, "EUR"), bucket=bucket),
                    kind="revenue",
                    player_id=None,
                    currency="EUR",
                )
                for bucket in range(REVENUE_BUCKETS)
            ],
        )
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]).split(None, 1)[0])

    engine = runtime.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = await bet(client, player, "dice", DICE)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert response.status_code == 201
    assert 0 < len(seen) <= STATEMENTS_PER_ROUND, "\n".join(seen)
