"""The KYC gates in the money paths, over the real HTTP API with the sandbox provider.

Withdrawals need level ``full``; deposits may take a player's total in a currency up to its
threshold (EUR 2,000) unverified, and no further; a player under the minimum age deposits
nothing. Each refusal is a 403 problem with a stable code naming the level needed.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from sqlalchemy import update

from croupier.crypto.service import player_cipher
from croupier.identity.models import Player
from croupier.kit.clock import utcnow
from tests.kyc_support import kyc_staff_headers, verify_kyc
from tests.payments.support import Live


def _refused(response: object, code: str) -> dict[str, object]:
    assert getattr(response, "status_code", None) == 403, getattr(response, "text", response)
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["code"] == code
    return body


class TestWithdrawalGate:
    async def test_a_withdrawal_needs_full_verification_and_holds_nothing_until_then(
        self, live: Live
    ) -> None:
        player, method = await live.funded(10_000, kyc=None)
        body = _refused(await live.withdraw(player, 1_000, method, key="w-1"), "kyc_required")
        assert body["required_level"] == "full"
        assert body["current_level"] == "none"
        assert body["action"] == "withdrawal"
        assert await live.wallet(player) == {"available": 10_000, "held": 0}

        await verify_kyc(live.http, live.runtime, player.id, "basic")
        body = _refused(await live.withdraw(player, 1_000, method, key="w-2"), "kyc_required")
        assert body["current_level"] == "basic"

        await verify_kyc(live.http, live.runtime, player.id, "full")
        accepted = await live.withdraw(player, 1_000, method, key="w-3")
        assert accepted.status_code == 201, accepted.text


class TestDepositThreshold:
    async def test_deposits_may_reach_the_threshold_but_not_pass_it_unverified(self, live: Live) -> None:
        player = await live.player()
        assert (await live.deposit(player, 150_000)).status_code == 201
        body = _refused(await live.deposit(player, 50_001), "kyc_required")
        assert body == body | {"action": "deposit", "required_level": "full", "current_level": "none"}
        assert (await live.deposit(player, 50_000)).status_code == 201  # exactly EUR 2,000 in all
        _refused(await live.deposit(player, 1), "kyc_required")

        await verify_kyc(live.http, live.runtime, player.id)
        assert (await live.deposit(player, 500_000)).status_code == 201
        assert (await live.wallet(player))["available"] == 700_000

    async def test_concurrent_deposits_cannot_together_pass_the_threshold(self, live: Live) -> None:
        player = await live.player()
        answers = await asyncio.gather(*(live.deposit(player, 60_000) for _ in range(4)))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [201, 201, 201, 403], [a.text for a in answers]
        assert (await live.wallet(player))["available"] == 180_000

    async def test_a_currency_without_a_threshold_needs_verification_for_any_deposit(
        self, live: Live
    ) -> None:
        player = await live.player()
        _refused(await live.deposit(player, 100, currency="JPY"), "kyc_required")


class TestAgeCheck:
    async def test_a_player_under_the_minimum_age_is_refused_deposits_and_verification(
        self, live: Live
    ) -> None:
        player = await live.player()
        # Identity's record corrected to a date of birth 17 years ago.
        today = utcnow().date()
        async with live.runtime.database.unit_of_work() as session:
            cipher = await player_cipher(session, player_id=uuid.UUID(player.id))
            born = date(today.year - 17, 1, 1).isoformat()
            await session.execute(
                update(Player)
                .where(Player.id == uuid.UUID(player.id))
                .values(date_of_birth_enc=cipher.encrypt("date_of_birth", born))
            )
        _refused(await live.deposit(player, 1_000), "underage")
        response = await live.http.put(
            f"/v1/staff/kyc/players/{player.id}/level",
            json={"level": "full", "reason": "documents look fine"},
            headers=await kyc_staff_headers(live.runtime),
        )
        _refused(response, "underage")
