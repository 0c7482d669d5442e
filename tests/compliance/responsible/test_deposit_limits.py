"""Deposit limits hold under concurrency: the check and the count are one locked step."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from tests.compliance.responsible.support import limits, set_limit
from tests.payments.support import VISA, Live

DEPOSITS, AMOUNT, LIMIT = 50, 1000, 10_000


async def test_fifty_concurrent_deposits_never_together_pass_a_daily_limit(live: Live) -> None:
    player = await live.player()
    await set_limit(live.http, player, kind="deposit", period="day", amount=LIMIT)
    tokens = [(await live.psp.tokenize(VISA))["token"] for _ in range(DEPOSITS)]

    responses = await asyncio.gather(
        *(
            live.post_deposit(
                player, {"amount": AMOUNT, "currency": "EUR", "payment_token": token}, str(uuid.uuid4())
            )
            for token in tokens
        )
    )

    outcomes = Counter((r.status_code, r.json()["code" if r.is_error else "status"]) for r in responses)
    assert outcomes == {
        (201, "succeeded"): LIMIT // AMOUNT,
        (403, "limit_reached"): DEPOSITS - LIMIT // AMOUNT,
    }
    assert (await live.wallet(player))["available"] == LIMIT
    assert (await limits(live.http, player))[0]["used"] == LIMIT
    await live.books_balance()
