"""Every bet passes decide(): in-house games answer a deny with 403 ``risk_denied``, a Hub88
studio hears ``RS_ERROR_LIMIT_REACHED`` (its protocol has no word for the engine's reasons)."""

from __future__ import annotations

import uuid

import httpx

from croupier.kit.runtime import Runtime
from tests.games.test_rounds_api import DICE, funded
from tests.providers.support import EUR_CENT, Studio
from tests.risk.engine_support import publish_rules, rule, staff_headers

HIGH_STAKE = rule("high_stake", "amount >= limit", "decide:bet", params={"limit": 1_000}, action="deny")


async def test_an_in_house_bet_the_rules_deny_is_refused_with_403_and_takes_no_money(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await publish_rules(client, runtime, await staff_headers(runtime), HIGH_STAKE)
    player = await funded(client, runtime)

    async def dice(stake: int) -> httpx.Response:
        headers = {**player.headers, "Idempotency-Key": str(uuid.uuid4())}
        return await client.post("/v1/games/dice/rounds", json={**DICE, "stake": stake}, headers=headers)

    refused = await dice(1_000)
    allowed = await dice(100)

    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "risk_denied"
    assert allowed.status_code == 201, allowed.text
    wallet = (await client.get("/v1/wallet", headers=player.headers)).json()["balances"][0]
    assert wallet["available"] == 100_000 - 100 + allowed.json()["payout"]


async def test_a_hub88_bet_the_rules_deny_is_answered_with_limit_reached(
    client: httpx.AsyncClient, runtime: Runtime, studio: Studio
) -> None:
    await publish_rules(client, runtime, await staff_headers(runtime), HIGH_STAKE)
    player = await studio.player(funds=10_000)

    refused = await studio.bet(player, 10 * 100 * EUR_CENT)  # 10.00 EUR: 1,000 minor units
    allowed = await studio.bet(player, 1 * 100 * EUR_CENT)

    assert refused["status"] == "RS_ERROR_LIMIT_REACHED"
    assert allowed["status"] == "RS_OK"
    assert await studio.cash(player) == 10_000 - 100
