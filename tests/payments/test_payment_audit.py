"""What a player does with money is audited with where it came from: address and user agent."""

from __future__ import annotations

import uuid

from croupier.audit import service as audit
from croupier.audit.tags import AuditAction
from tests.payments.support import VISA, Live

# The live server believes X-Forwarded-For from loopback, as from a trusted proxy.
CLIENT = {"X-Forwarded-For": "203.0.113.9", "User-Agent": "CroupierTest/1.0 (cashier)"}
THRESHOLD = 100_000  # EUR, the default: above it a withdrawal waits for review and can be cancelled


async def _entry(live: Live, action: AuditAction) -> tuple[str | None, str | None]:
    async with live.runtime.database.unit_of_work() as session:
        [event] = await audit.events(session, action=str(action))
    return event.ip, event.user_agent


class TestMoneyMovementsCarryTheClient:
    async def test_a_deposit_is_audited_with_the_players_address_and_user_agent(self, live: Live) -> None:
        player = await live.player()
        token = (await live.psp.tokenize(VISA))["token"]

        response = await live.http.post(
            "/v1/deposits",
            json={"amount": 1_000, "currency": "EUR", "payment_token": token},
            headers={**player.headers, **CLIENT, "Idempotency-Key": str(uuid.uuid4())},
        )

        assert response.status_code == 201, response.text
        assert await _entry(live, AuditAction.DEPOSIT_CREATE) == ("203.0.113.9", CLIENT["User-Agent"])

    async def test_a_withdrawal_and_its_cancellation_are_audited_with_the_client(self, live: Live) -> None:
        player, method = await live.funded(THRESHOLD + 1_000)
        headers = {**player.headers, **CLIENT}

        requested = await live.http.post(
            "/v1/withdrawals",
            json={"amount": THRESHOLD + 1, "currency": "EUR", "payment_method_id": method},
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert requested.status_code == 201, requested.text
        assert requested.json()["status"] == "pending_approval"
        cancelled = await live.http.delete(f"/v1/withdrawals/{requested.json()['id']}", headers=headers)

        assert cancelled.status_code == 200, cancelled.text
        for action in (AuditAction.WITHDRAWAL_REQUEST, AuditAction.WITHDRAWAL_CANCEL):
            assert await _entry(live, action) == ("203.0.113.9", CLIENT["User-Agent"]), action
