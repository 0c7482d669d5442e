"""Conformance of the Hub88 operator Wallet API: every status code, as a Hub88 client meets it.

Every answer is HTTP 200 with a JSON body carrying ``status`` and the request's
``request_uuid``; answers about a known player carry their balance in Hub88
units (1/100000 of the currency). A player here starts with 100.00 EUR, which
is 10_000_000 Hub88 units.
"""

from __future__ import annotations

import json

from cryptography.hazmat.primitives.asymmetric import rsa

from croupier.audit import service as audit
from croupier.audit.tags import AuditAction
from tests.providers.support import EUR_CENT, GAME, UNIT, Studio, register, sign, uid

START = 100 * UNIT  # 100.00 EUR


class TestOk:
    async def test_user_info_names_the_player_and_shares_only_country_and_registration(
        self, studio: Studio
    ) -> None:
        player = await studio.player()

        answer = await studio.info(player)

        assert answer["status"] == "RS_OK"
        assert answer["user"] == player.user
        assert answer["request_uuid"] == studio.last_request_uuid
        assert answer["country"] == "MT"
        assert set(answer) == {"status", "user", "request_uuid", "country", "registration_date"}

    async def test_balance_is_the_available_cash_in_hub88_units(self, studio: Studio) -> None:
        player = await studio.player()

        answer = await studio.balance(player)

        assert answer == {
            "status": "RS_OK",
            "user": player.user,
            "request_uuid": studio.last_request_uuid,
            "currency": "EUR",
            "balance": START,
        }

    async def test_a_bet_takes_the_stake_and_a_win_pays_it_out(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 150 * EUR_CENT)

        placed = await studio.post("transaction/bet", bet)
        won = await studio.win(player, 400 * EUR_CENT, bet["transaction_uuid"])

        assert placed["status"] == "RS_OK"
        assert placed["balance"] == START - 150 * EUR_CENT
        assert placed["currency"] == "EUR"
        assert placed["request_uuid"] == bet["request_uuid"]
        assert won["status"] == "RS_OK"
        assert won["balance"] == START + 250 * EUR_CENT
        assert await studio.cash(player) == 10_000 + 250
        await studio.books_balance()

    async def test_a_losing_round_is_a_win_of_zero(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 100 * EUR_CENT)
        await studio.post("transaction/bet", bet)

        settled = await studio.win(player, 0, bet["transaction_uuid"])

        assert settled["status"] == "RS_OK"
        assert settled["balance"] == START - 100 * EUR_CENT
        await studio.books_balance()

    async def test_a_rollback_returns_the_stake(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 250 * EUR_CENT)
        await studio.post("transaction/bet", bet)

        answer = await studio.rollback(player, bet["transaction_uuid"])

        assert answer["status"] == "RS_OK"
        assert answer["balance"] == START
        assert await studio.cash(player) == 10_000
        await studio.books_balance()


class TestUnknown:
    async def test_an_amount_finer_than_a_cent_is_refused_not_rounded(self, studio: Studio) -> None:
        player = await studio.player()

        answer = await studio.bet(player, 123)  # 0.00123 EUR

        assert answer["status"] == "RS_ERROR_UNKNOWN"
        assert answer["balance"] == START
        assert await studio.cash(player) == 10_000

    async def test_a_free_bet_is_refused_because_croupier_granted_no_reward(self, studio: Studio) -> None:
        player = await studio.player()

        answer = await studio.bet(player, 100 * EUR_CENT, is_free=True, reward_uuid=uid())

        assert answer["status"] == "RS_ERROR_UNKNOWN"
        assert await studio.cash(player) == 10_000

    async def test_a_bet_that_paid_a_win_cannot_be_rolled_back(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 100 * EUR_CENT)
        await studio.post("transaction/bet", bet)
        await studio.win(player, 300 * EUR_CENT, bet["transaction_uuid"])

        answer = await studio.rollback(player, bet["transaction_uuid"])

        assert answer["status"] == "RS_ERROR_UNKNOWN"
        assert answer["balance"] == START + 200 * EUR_CENT
        await studio.books_balance()


class TestInvalidPartner:
    async def test_an_unknown_provider_is_refused_without_a_balance(self, studio: Studio) -> None:
        player = await studio.player()

        answer = await studio.post("user/balance", studio.bet_body(player, 0), provider="nobody")

        assert answer == {"status": "RS_ERROR_INVALID_PARTNER", "request_uuid": studio.last_request_uuid}

    async def test_a_disabled_provider_is_refused(self, studio: Studio) -> None:
        player = await studio.player()
        await studio.sql("UPDATE game_providers SET enabled = false WHERE name = 'studio'")

        answer = await studio.bet(player, 100 * EUR_CENT)

        assert answer["status"] == "RS_ERROR_INVALID_PARTNER"
        assert "balance" not in answer
        assert await studio.cash(player) == 10_000


class TestInvalidToken:
    async def test_an_unknown_token_is_refused(self, studio: Studio) -> None:
        player = await studio.player()

        answer = await studio.bet(player, 100 * EUR_CENT, token="crg_" + "x" * 43)

        assert answer == {"status": "RS_ERROR_INVALID_TOKEN", "request_uuid": studio.last_request_uuid}
        assert await studio.cash(player) == 10_000

    async def test_another_players_token_is_refused(self, studio: Studio) -> None:
        player, other = await studio.player(), await studio.player()

        answer = await studio.bet(player, 100 * EUR_CENT, token=other.token)

        assert answer["status"] == "RS_ERROR_INVALID_TOKEN"
        assert await studio.cash(player) == await studio.cash(other) == 10_000

    async def test_a_token_issued_for_another_provider_is_refused(
        self, studio: Studio, stranger_key: rsa.RSAPrivateKey
    ) -> None:
        await register(studio.runtime, "other-studio", stranger_key, games=("oth_game",))
        other = Studio(studio.http, studio.runtime, "other-studio", stranger_key, game="oth_game")
        player = await other.player()

        answer = await studio.balance(player)

        assert answer["status"] == "RS_ERROR_INVALID_TOKEN"

    async def test_an_unknown_user_is_refused(self, studio: Studio) -> None:
        player = await studio.player()

        info = await studio.info(player, user=uid())
        balance = await studio.balance(player, user="john12345")

        assert info["status"] == balance["status"] == "RS_ERROR_INVALID_TOKEN"

    async def test_user_info_is_refused_for_a_player_never_launched_with_this_provider(
        self, studio: Studio, stranger_key: rsa.RSAPrivateKey
    ) -> None:
        await register(studio.runtime, "other-studio", stranger_key, games=("oth_game",))
        other = Studio(studio.http, studio.runtime, "other-studio", stranger_key, game="oth_game")
        player = await other.player()

        assert (await studio.info(player))["status"] == "RS_ERROR_INVALID_TOKEN"
        assert (await other.info(player))["status"] == "RS_OK"


class TestInvalidGame:
    async def test_a_game_the_provider_does_not_offer_is_refused(self, studio: Studio) -> None:
        player = await studio.player()

        answer = await studio.bet(player, 100 * EUR_CENT, game_code="clt_unknown")

        assert answer["status"] == "RS_ERROR_INVALID_GAME"
        assert answer["balance"] == START

    async def test_a_live_lobby_may_switch_to_another_of_its_games(self, studio: Studio) -> None:
        player = await studio.player()

        answer = await studio.bet(player, 100 * EUR_CENT, game_code="clt_othergame")

        assert answer["status"] == "RS_OK"


class TestWrongCurrency:
    async def test_a_currency_other_than_the_tokens_is_refused(self, studio: Studio) -> None:
        player = await studio.player()

        usd = await studio.bet(player, 100 * EUR_CENT, currency="USD")
        bogus = await studio.bet(player, 100 * EUR_CENT, currency="schmeckles")

        assert usd["status"] == bogus["status"] == "RS_ERROR_WRONG_CURRENCY"
        assert usd["currency"] == "EUR"
        assert usd["balance"] == START

    async def test_a_win_in_another_currency_than_its_bet_is_refused(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 100 * EUR_CENT)
        await studio.post("transaction/bet", bet)

        answer = await studio.win(player, 100 * EUR_CENT, bet["transaction_uuid"], currency="USD")

        assert answer["status"] == "RS_ERROR_WRONG_CURRENCY"


class TestNotEnoughMoney:
    async def test_a_stake_above_the_balance_is_refused_with_the_balance(self, studio: Studio) -> None:
        player = await studio.player(funds=1_000)  # 10.00 EUR

        answer = await studio.bet(player, 1_001 * EUR_CENT)

        assert answer == {
            "status": "RS_ERROR_NOT_ENOUGH_MONEY",
            "user": player.user,
            "request_uuid": studio.last_request_uuid,
            "currency": "EUR",
            "balance": 10 * UNIT,
        }
        assert await studio.cash(player) == 1_000
        await studio.books_balance()

    async def test_a_player_without_money_in_the_currency_has_a_balance_of_zero(self, studio: Studio) -> None:
        player = await studio.player(funds=0)

        answer = await studio.bet(player, EUR_CENT)

        assert answer["status"] == "RS_ERROR_NOT_ENOUGH_MONEY"
        assert answer["balance"] == 0


class TestUserDisabled:
    async def test_a_disabled_player_cannot_bet_but_is_still_paid(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 100 * EUR_CENT)
        await studio.post("transaction/bet", bet)
        await studio.sql("UPDATE players SET status = 'disabled' WHERE id = :id", id=player.id)

        refused = await studio.bet(player, 100 * EUR_CENT)
        paid = await studio.win(player, 200 * EUR_CENT, bet["transaction_uuid"])

        assert refused["status"] == "RS_ERROR_USER_DISABLED"
        assert refused["balance"] == START - 100 * EUR_CENT
        assert paid["status"] == "RS_OK"
        assert paid["balance"] == START + 100 * EUR_CENT


class TestInvalidSignature:
    async def test_a_missing_or_wrong_signature_moves_nothing_and_is_audited(
        self, studio: Studio, stranger_key: rsa.RSAPrivateKey
    ) -> None:
        player = await studio.player()
        body = studio.bet_body(player, 100 * EUR_CENT)
        raw = json.dumps(body).encode()

        answers = [
            await studio.post("transaction/bet", content=raw, signed=False),
            await studio.post("transaction/bet", content=raw, signature=sign(stranger_key, raw)),
            await studio.post("transaction/bet", content=raw, signature=sign(studio.key, raw + b" ")),
            await studio.post("transaction/bet", content=raw, signature="not base64!"),
            await studio.post("transaction/bet", content=raw, signature=""),
        ]

        for answer in answers:
            assert answer == {"status": "RS_ERROR_INVALID_SIGNATURE", "request_uuid": body["request_uuid"]}
        assert await studio.cash(player) == 10_000
        assert await studio.sql("SELECT id FROM provider_transactions") == []
        async with studio.runtime.database.unit_of_work() as session:
            rejected = await audit.events(session, action=AuditAction.PROVIDER_CALL_REJECT)
        assert len(rejected) == 5
        assert {event.outcome for event in rejected} == {"denied"}

    async def test_every_call_is_signed_including_reads(self, studio: Studio) -> None:
        player = await studio.player()
        raw = json.dumps({"user": player.user, "request_uuid": uid(), "token": player.token}).encode()

        answer = await studio.post("user/balance", content=raw, signed=False)

        assert answer["status"] == "RS_ERROR_INVALID_SIGNATURE"
        assert "balance" not in answer


class TestTokenExpired:
    async def test_a_bet_or_balance_on_an_expired_token_is_refused(self, studio: Studio) -> None:
        player = await studio.player()
        await studio.sql("UPDATE game_tokens SET expires_at = now() - interval '1 second'")

        bet = await studio.bet(player, 100 * EUR_CENT)
        balance = await studio.balance(player)

        assert bet["status"] == balance["status"] == "RS_ERROR_TOKEN_EXPIRED"
        assert bet["balance"] == START
        assert await studio.cash(player) == 10_000

    async def test_wins_and_rollbacks_arrive_late_and_are_accepted(self, studio: Studio) -> None:
        player = await studio.player()
        won, rolled_back = studio.bet_body(player, 100 * EUR_CENT), studio.bet_body(player, 100 * EUR_CENT)
        await studio.post("transaction/bet", won)
        await studio.post("transaction/bet", rolled_back)
        await studio.sql("UPDATE game_tokens SET expires_at = now() - interval '1 hour'")

        win = await studio.win(player, 300 * EUR_CENT, won["transaction_uuid"])
        rollback = await studio.rollback(player, rolled_back["transaction_uuid"])

        assert win["status"] == rollback["status"] == "RS_OK"
        assert rollback["balance"] == START + 200 * EUR_CENT

    async def test_playing_keeps_the_session_alive(self, studio: Studio) -> None:
        player = await studio.player()
        [(issued_expiry,)] = await studio.sql("SELECT expires_at FROM game_tokens")

        await studio.bet(player, 100 * EUR_CENT)

        [(expiry,)] = await studio.sql("SELECT expires_at FROM game_tokens")
        assert (expiry - issued_expiry).total_seconds() > 20 * 60

    async def test_a_busy_session_does_not_write_its_expiry_on_every_bet(self, studio: Studio) -> None:
        player = await studio.player()
        await studio.bet(player, 100 * EUR_CENT)
        [(renewed,)] = await studio.sql("SELECT expires_at FROM game_tokens")

        again = await studio.bet(player, 100 * EUR_CENT)

        assert again["status"] == "RS_OK"
        assert await studio.sql("SELECT expires_at FROM game_tokens") == [(renewed,)]


class TestWrongSyntax:
    async def test_a_body_that_is_not_a_json_object_is_wrong_syntax(self, studio: Studio) -> None:
        for raw in (b"{not json", b"[1, 2]", b"", b'"text"'):
            answer = await studio.post("transaction/bet", content=raw)
            assert answer == {"status": "RS_ERROR_WRONG_SYNTAX"}

    async def test_every_operation_reads_its_body_alike(self, studio: Studio) -> None:
        paths = ("user/info", "user/balance", "transaction/bet", "transaction/win", "transaction/rollback")
        for path in paths:
            broken = await studio.post(path, content=b'{"request_uuid": "r-1", "user": ')
            missing = await studio.post(path, {"request_uuid": "r-2"})
            assert broken == {"status": "RS_ERROR_WRONG_SYNTAX"}, path
            assert missing == {"status": "RS_ERROR_WRONG_SYNTAX", "request_uuid": "r-2"}, path

    async def test_a_missing_field_is_wrong_syntax_and_echoes_the_request_uuid(self, studio: Studio) -> None:
        player = await studio.player()
        body = studio.bet_body(player, 100 * EUR_CENT)
        del body["transaction_uuid"]

        answer = await studio.post("transaction/bet", body)

        assert answer == {"status": "RS_ERROR_WRONG_SYNTAX", "request_uuid": body["request_uuid"]}
        assert await studio.cash(player) == 10_000

    async def test_a_win_must_name_its_bet(self, studio: Studio) -> None:
        player = await studio.player()
        body = studio.win_body(player, 100, uid())
        del body["reference_transaction_uuid"]

        assert (await studio.post("transaction/win", body))["status"] == "RS_ERROR_WRONG_SYNTAX"


class TestWrongTypes:
    async def test_values_of_the_wrong_type_are_wrong_types(self, studio: Studio) -> None:
        player = await studio.player()

        for overrides in (
            {"amount": "100000"},
            {"amount": 1000.0},
            {"amount": True},
            {"amount": -1000},
            {"user": 12345},
            {"round_closed": "yes"},
            {"transaction_uuid": 7},
        ):
            answer = await studio.post("transaction/bet", {**studio.bet_body(player, EUR_CENT), **overrides})
            assert answer["status"] == "RS_ERROR_WRONG_TYPES", overrides
        assert await studio.cash(player) == 10_000


class TestDuplicateTransaction:
    async def test_a_transaction_uuid_reused_for_other_content_is_a_duplicate(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 100 * EUR_CENT)
        await studio.post("transaction/bet", bet)

        for changed in ({"amount": 200 * EUR_CENT}, {"round": "another"}, {"game_code": "clt_othergame"}):
            answer = await studio.post("transaction/bet", {**bet, **changed, "request_uuid": uid()})
            assert answer["status"] == "RS_ERROR_DUPLICATE_TRANSACTION", changed
            assert answer["balance"] == START - 100 * EUR_CENT
        reused_for_a_win = await studio.win(
            player, 100 * EUR_CENT, bet["transaction_uuid"], transaction_uuid=bet["transaction_uuid"]
        )
        assert reused_for_a_win["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
        assert await studio.cash(player) == 10_000 - 100
        await studio.books_balance()


class TestTransactionDoesNotExist:
    async def test_a_win_without_its_bet_pays_nothing(self, studio: Studio) -> None:
        player = await studio.player()

        answer = await studio.win(player, 500 * EUR_CENT, uid())

        assert answer["status"] == "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
        assert answer["balance"] == START
        assert await studio.cash(player) == 10_000

    async def test_a_win_for_a_refused_bet_pays_nothing(self, studio: Studio) -> None:
        player = await studio.player(funds=100)
        bet = studio.bet_body(player, 500 * EUR_CENT)
        assert (await studio.post("transaction/bet", bet))["status"] == "RS_ERROR_NOT_ENOUGH_MONEY"

        answer = await studio.win(player, 1_000 * EUR_CENT, bet["transaction_uuid"])

        assert answer["status"] == "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
        assert await studio.cash(player) == 100

    async def test_a_win_for_another_players_bet_pays_nothing(self, studio: Studio) -> None:
        player, other = await studio.player(), await studio.player()
        bet = studio.bet_body(other, 100 * EUR_CENT)
        await studio.post("transaction/bet", bet)

        answer = await studio.win(player, 500 * EUR_CENT, bet["transaction_uuid"])

        assert answer["status"] == "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
        assert await studio.cash(player) == 10_000


class TestTransactionRolledBack:
    async def test_a_win_after_its_bet_was_rolled_back_pays_nothing(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 100 * EUR_CENT)
        await studio.post("transaction/bet", bet)
        await studio.rollback(player, bet["transaction_uuid"])

        answer = await studio.win(player, 500 * EUR_CENT, bet["transaction_uuid"])

        assert answer["status"] == "RS_ERROR_TRANSACTION_ROLLED_BACK"
        assert answer["balance"] == START
        assert await studio.cash(player) == 10_000

    async def test_a_bet_arriving_after_its_rollback_is_refused(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 100 * EUR_CENT)

        rollback = await studio.rollback(player, bet["transaction_uuid"])
        late = await studio.post("transaction/bet", bet)

        assert rollback["status"] == "RS_OK"
        assert rollback["balance"] == START
        assert late["status"] == "RS_ERROR_TRANSACTION_ROLLED_BACK"
        assert late["balance"] == START
        assert await studio.cash(player) == 10_000
        await studio.books_balance()


class TestLimitReached:
    async def test_a_stake_above_the_providers_limit_is_refused(self, studio: Studio) -> None:
        player = await studio.player(funds=100_000)  # 1000.00 EUR; the limit is 50.00 EUR

        at_limit = await studio.bet(player, 5_000 * EUR_CENT)
        above = await studio.bet(player, 5_001 * EUR_CENT)

        assert at_limit["status"] == "RS_OK"
        assert above["status"] == "RS_ERROR_LIMIT_REACHED"
        assert above["balance"] == 950 * UNIT
        assert await studio.cash(player) == 95_000

    async def test_a_currency_without_a_limit_is_limited_by_the_balance_only(self, studio: Studio) -> None:
        player = await studio.player(funds=1_000_000, currency="JPY")

        answer = await studio.bet(player, 900_000 * UNIT, currency="JPY", game_code=GAME)

        assert answer["status"] == "RS_OK"
