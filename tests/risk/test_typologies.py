"""Each typology, driven through the real HTTP API: the changes emit their domain events, the
consumer (running in the served app) delivers them to the engine, and an alert names the typology, the
rule and the events behind it. A redelivered event changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

from croupier.kit.runtime import Runtime
from tests.factories import PASSWORD, SignedIn, mailed_link, player_data, verify_email
from tests.games.test_rounds_api import DICE
from tests.kyc_support import verify_kyc
from tests.payments.support import DECLINED, MASTERCARD, NO_FUNDS, VISA, Live
from tests.risk.engine_support import alerts, publish_rules, redeliver, rule, settled, staff_headers
from tests.sql import sql


def client_headers(device: str, ip: str) -> dict[str, str]:
    # The live server believes X-Forwarded-For from loopback, as from a trusted proxy.
    return {"X-Device-Id": device, "X-Forwarded-For": ip, "User-Agent": "CroupierTest/1.0"}


async def join(live: Live, device: str, ip: str) -> SignedIn:
    """Register, verify (email and identity, so deposits and withdrawals are not held at the KYC
    gate) and sign in from one device and address."""
    headers = client_headers(device, ip)
    data = player_data()
    response = await live.http.post("/v1/players", json=data, headers=headers)
    assert response.status_code == 202, response.text
    player_id, token = await mailed_link(live.runtime, data["email"])
    assert (await verify_email(live.http, token)).status_code == 204
    await verify_kyc(live.http, live.runtime, player_id)
    return await sign_in_from(live, data["email"], PASSWORD, player_id, headers)


async def sign_in_from(
    live: Live, email: str, password: str, player_id: str, headers: dict[str, str]
) -> SignedIn:
    response = await live.http.post(
        "/v1/sessions", json={"email": email, "password": password}, headers=headers
    )
    assert response.status_code == 201, response.text
    return SignedIn(id=player_id, email=email, password=password, token=response.json()["token"])


async def deposit(
    live: Live, player: SignedIn, amount: int, headers: dict[str, str], card: str = VISA
) -> Any:
    token = (await live.psp.tokenize(card))["token"]
    response = await live.http.post(
        "/v1/deposits",
        json={"amount": amount, "currency": "EUR", "payment_token": token},
        headers={**player.headers, **headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code in (201, 402, 403, 422), response.text
    return response


async def play(live: Live, player: SignedIn, stake: int, headers: dict[str, str]) -> None:
    response = await live.http.post(
        "/v1/games/dice/rounds",
        json={**DICE, "stake": stake},
        headers={**player.headers, **headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.text


async def withdraw(
    live: Live, player: SignedIn, amount: int, method_id: str, headers: dict[str, str]
) -> None:
    response = await live.http.post(
        "/v1/withdrawals",
        json={"amount": amount, "currency": "EUR", "payment_method_id": method_id},
        headers={**player.headers, **headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.text


async def _kinds(runtime: Runtime, ids: list[int]) -> list[str]:
    rows = await sql(runtime, "SELECT kind FROM domain_events WHERE id = ANY(:ids) ORDER BY id", ids=ids)
    return [r.kind for r in rows]


class TestAccountTakeover:
    async def test_a_new_device_and_address_then_a_password_change_then_a_withdrawal_is_flagged(
        self, live: Live
    ) -> None:
        home = client_headers("phone-of-ada", "198.51.100.10")
        player = await join(live, "phone-of-ada", "198.51.100.10")
        method_id = (await deposit(live, player, 20_000, home)).json()["payment_method_id"]
        await settled(live.runtime)
        assert await alerts(live.runtime, player.id) == []

        thief = client_headers("laptop-of-mallory", "203.0.113.66")
        stolen = await sign_in_from(live, player.email, player.password, player.id, thief)
        changed = await live.http.post(
            "/v1/me/password",
            json={"current_password": player.password, "new_password": "a different passphrase 77"},
            headers={**stolen.headers, **thief},
        )
        assert changed.status_code == 204, changed.text
        again = await sign_in_from(live, player.email, "a different passphrase 77", player.id, thief)
        await withdraw(live, again, 15_000, method_id, thief)
        await settled(live.runtime)

        [alert] = [a for a in await alerts(live.runtime, player.id) if a.typology == "account_takeover"]
        assert alert.source == "rule:takeover_chain@1"
        assert await _kinds(live.runtime, alert.event_ids) == [
            "sign_in_succeeded",
            "password_changed",
            "withdrawal_requested",
        ]


class TestMultiAccounting:
    async def test_two_accounts_on_one_device_are_not_yet_a_ring(self, live: Live) -> None:
        players = [await join(live, "pair-tablet", f"192.0.2.{n}") for n in (41, 42)]
        await settled(live.runtime)

        assert [await alerts(live.runtime, p.id) for p in players] == [[], []]

    async def test_every_account_of_a_three_account_device_ring_is_flagged_once(self, live: Live) -> None:
        players = [await join(live, "shared-tablet", f"192.0.2.{n}") for n in (1, 2, 3)]
        await settled(live.runtime)

        for player in players:
            [alert] = await alerts(live.runtime, player.id)
            assert (alert.typology, alert.source) == ("multi_accounting", "rule:shared_device@1")
        earlier = [(await alerts(live.runtime, p.id))[0] for p in players[:2]]
        assert all("ring:device" in a.reasons for a in earlier)

    async def test_two_accounts_paying_with_one_card_are_flagged(self, live: Live) -> None:
        first = await join(live, "device-1", "192.0.2.21")
        second = await join(live, "device-2", "192.0.2.22")
        await deposit(live, first, 1_000, client_headers("device-1", "192.0.2.21"), card=MASTERCARD)
        await deposit(live, second, 1_000, client_headers("device-2", "192.0.2.22"), card=MASTERCARD)
        await settled(live.runtime)

        assert {a.source for a in await alerts(live.runtime, second.id)} == {"rule:shared_card@1"}
        [ring] = await alerts(live.runtime, first.id)  # the account that shared its card first, too
        assert (ring.source, ring.reasons[-1]) == ("rule:shared_card@1", "ring:card")


class TestStructuring:
    async def test_deposits_each_just_under_the_threshold_that_together_exceed_it_are_flagged(
        self, live: Live
    ) -> None:
        headers = client_headers("device-s", "192.0.2.30")
        player = await join(live, "device-s", "192.0.2.30")
        await deposit(live, player, 190_000, headers)
        await settled(live.runtime)
        assert await alerts(live.runtime, player.id) == []  # one deposit under the threshold is fine

        await deposit(live, player, 180_000, headers)
        await deposit(live, player, 185_000, headers)
        await settled(live.runtime)

        [alert] = await alerts(live.runtime, player.id)  # once per gaming day
        assert (alert.typology, alert.source) == ("structuring", "rule:structuring@1")
        assert await _kinds(live.runtime, alert.event_ids) == ["deposit_confirmed", "deposit_confirmed"]


class TestMinimalPlay:
    async def test_a_deposit_withdrawn_after_wagering_a_tenth_of_it_is_flagged(self, live: Live) -> None:
        headers = client_headers("device-m", "192.0.2.40")
        player = await join(live, "device-m", "192.0.2.40")
        method_id = (await deposit(live, player, 10_000, headers)).json()["payment_method_id"]
        for _ in range(5):
            await play(live, player, 200, headers)  # 1,000 wagered: 10 %
        await withdraw(live, player, 8_000, method_id, headers)
        await settled(live.runtime)

        [alert] = await alerts(live.runtime, player.id)
        assert (alert.typology, alert.source) == ("minimal_play", "rule:minimal_play@1")
        assert await _kinds(live.runtime, alert.event_ids) == ["deposit_confirmed", "withdrawal_requested"]

    async def test_a_withdrawal_after_wagering_the_deposit_through_is_not(self, live: Live) -> None:
        headers = client_headers("device-n", "192.0.2.41")
        player = await join(live, "device-n", "192.0.2.41")
        method_id = (await deposit(live, player, 2_000, headers)).json()["payment_method_id"]
        for _ in range(10):
            await play(live, player, 100, headers)  # half of it wagered
        await withdraw(live, player, 1_000, method_id, headers)
        await settled(live.runtime)

        assert await alerts(live.runtime, player.id) == []


class TestVelocity:
    async def test_many_failed_sign_ins_for_one_account_are_flagged(self, live: Live) -> None:
        player = await join(live, "device-v", "192.0.2.50")
        for _ in range(5):
            response = await live.http.post(
                "/v1/sessions",
                json={"email": player.email, "password": "not the password at all"},
                headers=client_headers("bot", "203.0.113.99"),
            )
            assert response.status_code in (401, 423, 429), response.text
        await settled(live.runtime)

        assert {(a.typology, a.source) for a in await alerts(live.runtime, player.id)} == {
            ("velocity", "rule:sign_in_failure_velocity@1")
        }

    async def test_many_failed_deposits_are_flagged(self, live: Live) -> None:
        headers = client_headers("device-w", "192.0.2.51")
        player = await join(live, "device-w", "192.0.2.51")
        for _ in range(5):
            await deposit(live, player, 1_000, headers, card=DECLINED)
        await settled(live.runtime)

        assert "rule:failed_deposit_velocity@1" in {a.source for a in await alerts(live.runtime, player.id)}

    async def test_after_several_declined_cards_the_next_deposit_is_refused_inline(self, live: Live) -> None:
        # The default card-testing rule wants three declined cards; the sandbox declines two kinds.
        desk = await staff_headers(live.runtime)
        await publish_rules(
            live.http,
            live.runtime,
            desk,
            rule(
                "card_testing",
                "declined_cards_1h >= max_cards",
                "decide:deposit",
                "event:deposit_failed",
                typology="velocity",
                params={"max_cards": 2},
                action="deny",
                score=0.9,
            ),
        )
        headers = client_headers("device-c", "192.0.2.52")
        player = await join(live, "device-c", "192.0.2.52")
        for card in (DECLINED, NO_FUNDS):
            await deposit(live, player, 1_000, headers, card=card)
        await settled(live.runtime)

        refused = await deposit(live, player, 1_000, headers, card=VISA)

        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "risk_denied"
        assert "rule:card_testing@2" in {a.source for a in await alerts(live.runtime, player.id)}


class TestRapidEscalation:
    async def test_stakes_far_above_the_players_history_soon_after_a_deposit_are_flagged(
        self, live: Live
    ) -> None:
        headers = client_headers("device-r", "192.0.2.60")
        player = await join(live, "device-r", "192.0.2.60")
        await deposit(live, player, 50_000, headers)
        for _ in range(10):
            await play(live, player, 100, headers)
        await play(live, player, 5_000, headers)
        await settled(live.runtime)

        [alert] = [a for a in await alerts(live.runtime, player.id) if a.typology == "rapid_escalation"]
        assert alert.source == "rule:rapid_escalation@1"
        assert await _kinds(live.runtime, alert.event_ids) == ["deposit_confirmed", "bet"]


class TestRedelivery:
    async def test_a_redelivered_event_changes_nothing(self, live: Live) -> None:
        headers = client_headers("device-i", "192.0.2.70")
        player = await join(live, "device-i", "192.0.2.70")
        await deposit(live, player, 190_000, headers)
        await deposit(live, player, 180_000, headers)
        await settled(live.runtime)
        state = "SELECT deposited, day_deposit_count, stake_count FROM risk_player_money"
        before = (await sql(live.runtime, state), await alerts(live.runtime), await _counters(live.runtime))

        await redeliver(live.runtime)  # every event again, from the first

        after = (await sql(live.runtime, state), await alerts(live.runtime), await _counters(live.runtime))
        assert after == before
        assert len(before[1]) == 1


async def _counters(runtime: Runtime) -> list[Any]:
    return await sql(runtime, "SELECT key, bucket, count, amount FROM risk_counters ORDER BY key, bucket")
