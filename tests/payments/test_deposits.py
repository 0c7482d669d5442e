"""Card deposits: the card goes to the provider, Croupier keeps a token and display digits,
and the wallet is credited exactly once when the provider confirms."""

from __future__ import annotations

import uuid

from tests.payments.support import (
    AMEX,
    CHALLENGE,
    DECLINED,
    MASTERCARD,
    NO_FUNDS,
    VISA,
    Live,
    eventually,
)
from tests.sql import sql


class TestCardDeposits:
    async def test_a_card_deposit_is_credited_and_only_the_token_and_display_digits_are_kept(
        self, live: Live
    ) -> None:
        player = await live.player()

        response = await live.deposit(player, 2_500, card=MASTERCARD)

        assert response.status_code == 201, response.text
        deposit = response.json()
        assert deposit["status"] == "succeeded"
        assert (deposit["amount"], deposit["currency"]) == (2_500, "EUR")
        assert deposit["three_d_secure"] is None
        assert await live.wallet(player) == {"available": 2_500, "held": 0}
        [method] = (await live.get(player, "/v1/payment-methods"))["items"]
        assert method["id"] == deposit["payment_method_id"]
        assert (method["brand"], method["bin"], method["last4"]) == ("mastercard", "555555", "4444")
        assert method["withdrawal_currencies"] == ["EUR"]
        [row] = await sql(live.runtime, "SELECT token, bin, last4 FROM payment_methods")
        assert row.token.startswith("tok_")
        statement = (await live.get(player, "/v1/wallet/transactions"))["items"]
        assert [(e["kind"], e["amount"]) for e in statement] == [("deposit", 2_500)]
        await live.books_balance()

    async def test_the_answer_and_the_webhook_credit_once_whichever_comes_first(self, live: Live) -> None:
        player = await live.player()
        deposit = (await live.deposit(player, 1_000)).json()

        events = await eventually(
            lambda: live.psp.events(reference=deposit["id"]), lambda found: all(e["delivered"] for e in found)
        )

        assert [e["type"] for e in events] == ["payment.succeeded"]
        assert await live.wallet(player) == {"available": 1_000, "held": 0}
        [(outcome,)] = await sql(live.runtime, "SELECT outcome FROM payment_events")
        assert outcome in {"already_applied", "credited"}
        [(transfers,)] = await sql(
            live.runtime, "SELECT count(*) FROM ledger_transfers WHERE kind = 'deposit'"
        )
        assert transfers == 1

    async def test_other_brands_and_currencies(self, live: Live) -> None:
        # Currencies without a KYC deposit threshold (JPY, KWD) need a verified player.
        player = await live.player(kyc="full")
        for card, amount, currency in ((VISA, 500, "EUR"), (AMEX, 12_000, "JPY"), (MASTERCARD, 1_234, "KWD")):
            response = await live.deposit(player, amount, card=card, currency=currency)
            assert response.json()["status"] == "succeeded", response.text
        balances = (await live.get(player, "/v1/wallet"))["balances"]
        assert {(b["currency"], b["available"]) for b in balances} == {
            ("EUR", 500),
            ("JPY", 12_000),
            ("KWD", 1_234),
        }
        brands = {m["brand"] for m in (await live.get(player, "/v1/payment-methods"))["items"]}
        assert brands == {"visa", "amex", "mastercard"}


class TestDeclines:
    async def test_a_declined_card_credits_nothing(self, live: Live) -> None:
        player = await live.player()
        for card, code in ((DECLINED, "card_declined"), (NO_FUNDS, "insufficient_funds")):
            response = await live.deposit(player, 1_000, card=card)

            assert response.status_code == 201, response.text
            assert (response.json()["status"], response.json()["failure_code"]) == ("failed", code)
        assert await live.wallet(player) == {"available": 0, "held": 0}
        assert (await live.get(player, "/v1/payment-methods"))["items"][0]["withdrawal_currencies"] == []
        await live.books_balance()

    async def test_a_token_the_provider_never_issued_is_refused(self, live: Live) -> None:
        player = await live.player()

        response = await live.post_deposit(
            player, {"amount": 100, "currency": "EUR", "payment_token": "tok_doesnotexist"}
        )

        assert response.status_code == 422
        assert response.json()["code"] == "payment_method_invalid"

    async def test_another_players_token_is_refused(self, live: Live) -> None:
        owner, stranger = await live.player(), await live.player()
        token = (await live.psp.tokenize(VISA))["token"]
        assert (
            await live.post_deposit(owner, {"amount": 100, "currency": "EUR", "payment_token": token})
        ).is_success

        response = await live.post_deposit(
            stranger, {"amount": 100, "currency": "EUR", "payment_token": token}
        )

        assert response.status_code == 422
        assert response.json()["code"] == "payment_method_invalid"
        assert await live.wallet(stranger) == {"available": 0, "held": 0}

    async def test_an_unknown_currency_is_refused_before_the_card_is_charged(self, live: Live) -> None:
        player = await live.player()

        response = await live.deposit(player, 100, currency="XXX")

        assert response.status_code == 422
        assert response.json()["code"] == "unknown_currency"
        assert await sql(live.runtime, "SELECT id FROM deposits") == []

    async def test_bad_bodies_are_problems_not_crashes(self, live: Live) -> None:
        player = await live.player()
        token = (await live.psp.tokenize(VISA))["token"]
        for body in (
            {"amount": 0, "currency": "EUR", "payment_token": token},
            {"amount": -5, "currency": "EUR", "payment_token": token},
            {"amount": "100", "currency": "EUR", "payment_token": token},
            {"amount": 10.5, "currency": "EUR", "payment_token": token},
            {"amount": 2**63, "currency": "EUR", "payment_token": token},
            {"amount": 100, "currency": "eur", "payment_token": token},
            {"amount": 100, "currency": "EUR", "payment_token": "4242424242424242 "},
            {"amount": 100, "currency": "EUR", "payment_token": token, "card_number": VISA},
        ):
            response = await live.post_deposit(player, body)
            assert response.status_code == 422, body
            assert response.headers["content-type"] == "application/problem+json"
        assert await sql(live.runtime, "SELECT id FROM deposits") == []


class TestThreeDSecure:
    async def test_a_challenge_is_passed_and_the_webhook_credits_the_deposit(self, live: Live) -> None:
        player = await live.player()

        response = await live.deposit(player, 4_000, card=CHALLENGE)

        deposit = response.json()
        assert deposit["status"] == "requires_action"
        challenge = deposit["three_d_secure"]["challenge_url"]
        assert challenge.startswith(live.psp.base_url)
        assert await live.wallet(player) == {"available": 0, "held": 0}

        payment_id = challenge.rsplit("/", 1)[1]
        await live.psp.complete_challenge(payment_id, "pass")
        done = await eventually(
            lambda: live.get(player, f"/v1/deposits/{deposit['id']}"),
            lambda d: d["status"] != "requires_action",
        )

        assert done["status"] == "succeeded"
        assert done["three_d_secure"] is None
        assert await live.wallet(player) == {"available": 4_000, "held": 0}
        await live.books_balance()

    async def test_a_failed_challenge_fails_the_deposit(self, live: Live) -> None:
        player = await live.player()
        deposit = (await live.deposit(player, 4_000, card=CHALLENGE)).json()

        await live.psp.complete_challenge(
            deposit["three_d_secure"]["challenge_url"].rsplit("/", 1)[1], "fail"
        )
        done = await eventually(
            lambda: live.get(player, f"/v1/deposits/{deposit['id']}"),
            lambda d: d["status"] != "requires_action",
        )

        assert (done["status"], done["failure_code"]) == ("failed", "three_ds_failed")
        assert await live.wallet(player) == {"available": 0, "held": 0}


class TestIdempotency:
    async def test_a_retry_with_the_same_key_answers_the_same_deposit_and_credits_once(
        self, live: Live
    ) -> None:
        player = await live.player()
        token = (await live.psp.tokenize(VISA))["token"]
        body = {"amount": 700, "currency": "EUR", "payment_token": token}

        first = await live.post_deposit(player, body, key="deposit-1")
        again = await live.post_deposit(player, body, key="deposit-1")

        assert again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert await live.wallet(player) == {"available": 700, "held": 0}

    async def test_the_same_key_for_a_different_deposit_is_refused(self, live: Live) -> None:
        player = await live.player()
        token = (await live.psp.tokenize(VISA))["token"]
        await live.post_deposit(player, {"amount": 700, "currency": "EUR", "payment_token": token}, key="k")

        response = await live.post_deposit(
            player, {"amount": 900, "currency": "EUR", "payment_token": token}, key="k"
        )

        assert response.status_code == 409
        assert response.json()["code"] == "idempotency_key_reused"
        assert await live.wallet(player) == {"available": 700, "held": 0}

    async def test_keys_belong_to_one_player(self, live: Live) -> None:
        first, second = await live.player(), await live.player()
        assert (await live.deposit(first, 100, key="shared")).status_code == 201

        response = await live.deposit(second, 200, key="shared")

        assert response.status_code == 201
        assert await live.wallet(second) == {"available": 200, "held": 0}

    async def test_a_money_moving_call_needs_a_key(self, live: Live) -> None:
        player = await live.player()
        token = (await live.psp.tokenize(VISA))["token"]

        response = await live.http.post(
            "/v1/deposits",
            json={"amount": 100, "currency": "EUR", "payment_token": token},
            headers=player.headers,
        )

        assert response.status_code == 400
        assert response.json()["code"] == "idempotency_key_required"


class TestOwnership:
    async def test_a_player_sees_only_their_own_deposits(self, live: Live) -> None:
        owner, other = await live.player(), await live.player()
        deposit = (await live.deposit(owner, 300)).json()

        response = await live.http.get(f"/v1/deposits/{deposit['id']}", headers=other.headers)

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        unknown = await live.http.get(f"/v1/deposits/{uuid.uuid4()}", headers=other.headers)
        # Someone else's deposit is indistinguishable from one that does not exist.
        assert (unknown.status_code, unknown.json()["detail"]) == (404, response.json()["detail"])
        assert (await live.get(other, "/v1/deposits"))["items"] == []
        assert (await live.get(other, "/v1/payment-methods"))["items"] == []
        assert [d["id"] for d in (await live.get(owner, "/v1/deposits"))["items"]] == [deposit["id"]]

    async def test_deposits_need_a_session(self, live: Live) -> None:
        assert (await live.http.get("/v1/deposits")).status_code == 401
        assert (await live.http.post("/v1/deposits", json={})).status_code == 401
