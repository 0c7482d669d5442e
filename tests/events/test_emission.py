"""Every security and money change writes its domain event in its own transaction."""

from __future__ import annotations

import uuid

import httpx

from croupier.kit.runtime import Runtime
from croupier.wallet.cli import app as wallet_app
from tests.events.support import data, events_of, kinds
from tests.factories import PASSWORD, sign_in, signed_in_player
from tests.games.test_rounds_api import DICE, bet, funded
from tests.identity.mfa_support import enable_totp
from tests.identity.test_password_reset import NEW_PASSWORD, confirm, lock, mailed_token
from tests.mail.helpers import invoke
from tests.payments.support import DECLINED, VISA, Live, eventually, payment_of
from tests.providers.support import Studio
from tests.wallet.support import make_player

EUR_CENT = 1_000  # Hub88 units are 1/100000 of a euro
DEVICE = {"X-Device-Id": "app-install-7f3a", "User-Agent": "croupier-app/2.1"}


class TestIdentityEvents:
    async def test_registration_and_sign_in_are_recorded_with_the_device(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        again = await sign_in(client, player.email, headers=DEVICE)
        assert again.status_code == 201

        found = await events_of(runtime, player.id)
        assert kinds(found) == ["registered", "sign_in_succeeded", "sign_in_succeeded"]
        assert found[0].data == {"country": "MT"}
        last = found[-1]
        assert (last.device_id, last.user_agent) == ("app-install-7f3a", "croupier-app/2.1")
        assert last.data["mfa"] is False

    async def test_a_failed_sign_in_for_an_unknown_address_records_no_player(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        response = await sign_in(client, "nobody-here@example.com", "wrong password!", headers=DEVICE)
        assert response.status_code == 401

        [failed] = await events_of(runtime, None, "sign_in_failed")
        assert failed.player_id is None
        assert failed.data == {"reason": "invalid_credentials"}
        assert failed.device_id == "app-install-7f3a"

    async def test_a_wrong_password_is_recorded_against_the_player_although_the_request_fails(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        assert (await sign_in(client, player.email, "not the password at all")).status_code == 401

        failed = await events_of(runtime, player.id, "sign_in_failed")
        assert data(failed) == [{"reason": "invalid_credentials"}]

    async def test_a_password_change_is_recorded_without_the_password(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        new = "an entirely different passphrase"
        response = await client.post(
            "/v1/me/password",
            json={"current_password": PASSWORD, "new_password": new},
            headers={**player.headers, **DEVICE},
        )
        assert response.status_code in (200, 204), response.text

        [changed] = await events_of(runtime, player.id, "password_changed")
        assert changed.device_id == "app-install-7f3a"
        assert PASSWORD not in str(changed.data)
        assert new not in str(changed.data)

    async def test_a_password_reset_and_a_locked_sign_in_are_recorded(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        await lock(runtime, player)
        assert (await sign_in(client, player.email, player.password)).status_code == 423
        token = await mailed_token(client, runtime, player.email)
        assert (await confirm(client, token)).status_code == 204

        found = await events_of(runtime, player.id, "sign_in_failed", "password_reset")
        assert [(e.kind, e.data.get("reason")) for e in found] == [
            ("sign_in_failed", "locked"),
            ("password_reset", None),
        ]
        assert found[-1].data["mfa"] is False
        assert NEW_PASSWORD not in str(found[-1].data)

    async def test_enabling_an_authenticator_app_is_an_mfa_change(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        secret, _ = await enable_totp(client, player)

        [changed] = await events_of(runtime, player.id, "mfa_changed")
        assert changed.data == {"change": "totp_enabled"}
        assert secret not in str(changed.data)


class TestManualAdjustments:
    async def test_an_operator_adjustment_is_recorded_once_per_key(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        args = ["adjust", str(player), "1250", "EUR", "--reason", "goodwill: ticket 42", "--key", "t42"]
        assert (await invoke(wallet_app, args, runtime.settings)).exit_code == 0
        assert (await invoke(wallet_app, args, runtime.settings)).exit_code == 0

        [adjusted] = await events_of(runtime, player, "manual_adjustment")
        assert (adjusted.data["amount"], adjusted.data["currency"]) == (1_250, "EUR")
        assert adjusted.data["reason"] == "goodwill: ticket 42"
        assert adjusted.user_agent == "croupier-cli"


class TestGameEvents:
    async def test_a_round_records_its_bet_and_a_win_only_when_it_pays(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime)
        rounds = []
        for _ in range(6):
            response = await bet(client, player, "dice", DICE)
            assert response.status_code == 201
            rounds.append(response.json())

        found = await events_of(runtime, player.id, "bet", "win")
        for played in rounds:
            mine = [e for e in found if e.data["round_id"] == played["id"]]
            expected = ["bet", "win"] if played["payout"] else ["bet"]
            assert kinds(mine) == expected
            assert mine[0].data == {
                "source": "games",
                "game": "dice",
                "round_id": played["id"],
                "currency": "EUR",
                "amount": DICE["stake"],
            }
            if played["payout"]:
                assert mine[1].data["amount"] == played["payout"]

    async def test_a_refused_bet_leaves_no_event(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)  # no money: the transfer refuses and rolls it all back

        response = await bet(client, player, "dice", DICE)

        assert response.status_code == 422, response.text
        assert await events_of(runtime, player.id, "bet", "win") == []

    async def test_a_replayed_bet_records_nothing_more(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime)
        key = str(uuid.uuid4())
        assert (await bet(client, player, "dice", DICE, key=key)).status_code == 201
        assert (await bet(client, player, "dice", DICE, key=key)).headers.get("Idempotent-Replayed") == "true"

        assert len(await events_of(runtime, player.id, "bet")) == 1


class TestStudioEvents:
    async def test_bet_win_and_rollback_of_a_studio_are_recorded(self, studio: Studio) -> None:
        player = await studio.player()
        placed = studio.bet_body(player, 1_500 * EUR_CENT)
        assert (await studio.post("transaction/bet", placed))["status"] == "RS_OK"
        assert (await studio.win(player, 2_000 * EUR_CENT, placed["transaction_uuid"]))["status"] == "RS_OK"
        other = studio.bet_body(player, 700 * EUR_CENT)
        assert (await studio.post("transaction/bet", other))["status"] == "RS_OK"
        assert (await studio.rollback(player, other["transaction_uuid"]))["status"] == "RS_OK"

        found = await events_of(studio.runtime, player.id, "bet", "win", "rollback")
        assert kinds(found) == ["bet", "win", "bet", "rollback"]
        assert [e.data["amount"] for e in found] == [1_500, 2_000, 700, 700]
        assert found[0].data["transaction_uuid"] == placed["transaction_uuid"]
        assert found[1].data["reference_transaction_uuid"] == placed["transaction_uuid"]
        assert {e.data["source"] for e in found} == {"hub88:studio"}
        assert {e.data["currency"] for e in found} == {"EUR"}


class TestPaymentEvents:
    async def test_a_deposit_records_initiated_then_confirmed_with_the_card_but_never_its_number(
        self, live: Live
    ) -> None:
        player = await live.player()
        token = (await live.psp.tokenize(VISA))["token"]
        response = await live.http.post(
            "/v1/deposits",
            json={"amount": 2_500, "currency": "EUR", "payment_token": token},
            headers={**player.headers, **DEVICE, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 201, response.text
        deposit = response.json()

        found = await events_of(live.runtime, player.id, "deposit_initiated", "deposit_confirmed")
        assert kinds(found) == ["deposit_initiated", "deposit_confirmed"]
        assert found[0].device_id == "app-install-7f3a"
        for event in found:
            assert event.data["deposit_id"] == deposit["id"]
            assert (event.data["amount"], event.data["currency"]) == (2_500, "EUR")
            assert event.data["method_id"] == deposit["payment_method_id"]
            assert (event.data["card_bin"], event.data["card_last4"]) == (VISA[:6], VISA[-4:])
            assert event.data["card_fingerprint"]
            assert VISA not in str(event.data)

    async def test_a_declined_card_records_a_failed_deposit_with_its_reason(self, live: Live) -> None:
        player = await live.player()
        response = await live.deposit(player, 1_000, card=DECLINED)
        assert response.status_code in (201, 402), response.text

        [failed] = await events_of(live.runtime, player.id, "deposit_failed")
        assert failed.data["failure_code"]
        assert failed.data["card_last4"] == DECLINED[-4:]

    async def test_a_withdrawal_request_is_recorded_with_its_card(self, live: Live) -> None:
        player, method_id = await live.funded(5_000)
        response = await live.withdraw(player, 1_000, method_id)
        assert response.status_code == 201, response.text

        [requested] = await events_of(live.runtime, player.id, "withdrawal_requested")
        assert requested.data["withdrawal_id"] == response.json()["id"]
        assert (requested.data["amount"], requested.data["method_id"]) == (1_000, method_id)

    async def test_a_paid_out_withdrawal_is_recorded_when_the_provider_confirms_it(self, live: Live) -> None:
        player, method_id = await live.funded(5_000)
        withdrawal = (await live.withdraw(player, 1_500, method_id)).json()

        [paid] = await eventually(
            lambda: events_of(live.runtime, player.id, "withdrawal_paid"), lambda found: len(found) == 1
        )
        assert paid.data["withdrawal_id"] == withdrawal["id"]
        assert (paid.data["amount"], paid.data["currency"], paid.data["method_id"]) == (
            1_500,
            "EUR",
            method_id,
        )

    async def test_a_chargeback_is_recorded_with_the_deposit_and_the_card(self, live: Live) -> None:
        player = await live.player()
        deposit = (await live.deposit(player, 3_000)).json()
        await live.psp.chargeback(await payment_of(live, deposit["id"]), amount=1_000, reason="fraudulent")

        [charged] = await eventually(
            lambda: events_of(live.runtime, player.id, "chargeback"), lambda found: len(found) == 1
        )
        assert charged.data["deposit_id"] == deposit["id"]
        assert (charged.data["amount"], charged.data["reason"]) == (1_000, "fraudulent")
        assert charged.data["card_last4"] == VISA[-4:]
