"""What one Hub88 bet costs: every statement on its path is deliberate, and no dependency is solved.

Counted where every statement passes, SQLAlchemy's and the plain ones alike: psycopg's
cursor (BEGIN and COMMIT are not cursor executions and come on top). A change that adds
a query to every bet fails here and must say why by raising the bound.
"""

from __future__ import annotations

import pytest

from croupier.kit.metrics import HTTP_REQUESTS
from tests.providers.support import EUR_CENT, Studio
from tests.sql import statements_sent

# The provider; the call's context (a repeat? the referenced bet, the token and its sign-in,
# the player's standing, the game); the claim of its uuid; the player's limits, checked and
# counted; the transfer; the answer with the balance after it and its domain event, one statement.
STATEMENTS_PER_BET = 6


async def test_a_hub88_bet_takes_at_most_six_statements(studio: Studio) -> None:
    player = await studio.player()
    await studio.bet(player, 10 * EUR_CENT)  # the player's first bet creates their counters
    with statements_sent() as seen:
        answer = await studio.post("transaction/bet", studio.bet_body(player, 10 * EUR_CENT))

    assert answer["status"] == "RS_OK", answer
    assert 0 < len(seen) <= STATEMENTS_PER_BET, "\n".join(seen)


async def test_a_hub88_call_is_answered_without_solving_dependencies(
    studio: Studio, request: pytest.FixtureRequest
) -> None:
    """Its endpoint takes nothing but the request (``kit.hot_routes``)."""
    player = await studio.player()
    request.getfixturevalue("no_dependency_solving")

    bets = HTTP_REQUESTS.labels("/providers/hub88/{provider}/transaction/bet", "POST", "200")
    counted = bets._value.get()

    assert (await studio.post("transaction/bet", studio.bet_body(player, 10 * EUR_CENT)))["status"] == "RS_OK"
    assert (await studio.balance(player))["status"] == "RS_OK"
    assert bets._value.get() == counted + 1  # counted under its route, as every route is
