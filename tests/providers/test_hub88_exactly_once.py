"""Exactly once: Hub88 retries every call until it gets an answer, so a repeat must never move money twice.

A repeated ``transaction_uuid`` with the same content gets the first answer
again; calls racing each other on the same uuid or the same bet settle it one
way only; and the books balance after every scenario.
"""

from __future__ import annotations

import asyncio

from tests.providers.support import EUR_CENT, UNIT, Studio, uid
from tests.wallet.support import deposit

START = 100 * UNIT


class TestRepeats:
    async def test_a_repeated_bet_gets_the_first_answer_and_moves_nothing(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 100 * EUR_CENT)
        first = await studio.post("transaction/bet", bet)
        await studio.bet(player, 50 * EUR_CENT)  # the balance moves on meanwhile

        again = await studio.post("transaction/bet", {**bet, "request_uuid": bet["request_uuid"]})

        assert again == first
        assert await studio.cash(player) == 10_000 - 150
        await studio.books_balance()

    async def test_a_retry_with_a_new_request_uuid_is_still_the_same_transaction(
        self, studio: Studio
    ) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 100 * EUR_CENT)
        await studio.post("transaction/bet", bet)

        retry = await studio.post("transaction/bet", {**bet, "request_uuid": uid(), "supplier_user": "x"})

        assert retry["status"] == "RS_OK"
        assert await studio.cash(player) == 10_000 - 100

    async def test_a_repeated_win_pays_once(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 100 * EUR_CENT)
        await studio.post("transaction/bet", bet)
        win = studio.win_body(player, 500 * EUR_CENT, bet["transaction_uuid"])

        first = await studio.post("transaction/win", win)
        again = await studio.post("transaction/win", win)

        assert again == first
        assert first["balance"] == START + 400 * EUR_CENT
        assert await studio.cash(player) == 10_000 + 400
        await studio.books_balance()

    async def test_a_round_may_pay_several_wins_on_one_bet(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 100 * EUR_CENT)
        await studio.post("transaction/bet", bet)

        await studio.win(player, 200 * EUR_CENT, bet["transaction_uuid"])
        cascade = await studio.win(player, 300 * EUR_CENT, bet["transaction_uuid"])

        assert cascade["status"] == "RS_OK"
        assert await studio.cash(player) == 10_000 + 400

    async def test_a_repeated_rollback_moves_nothing(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 100 * EUR_CENT)
        await studio.post("transaction/bet", bet)
        rollback = studio.rollback_body(player, bet["transaction_uuid"])

        first = await studio.post("transaction/rollback", rollback)
        again = await studio.post("transaction/rollback", rollback)
        another = await studio.rollback(player, bet["transaction_uuid"])  # same bet, new transaction

        assert again == first
        assert another["status"] == "RS_OK"
        assert another["balance"] == START
        assert await studio.cash(player) == 10_000
        await studio.books_balance()

    async def test_a_repeated_rollback_of_an_unseen_bet_leaves_one_placeholder(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 100 * EUR_CENT)

        await studio.rollback(player, bet["transaction_uuid"])
        again = await studio.rollback(player, bet["transaction_uuid"])
        late = await studio.post("transaction/bet", bet)

        assert again["status"] == "RS_OK"
        assert late["status"] == "RS_ERROR_TRANSACTION_ROLLED_BACK"
        placeholders = await studio.sql(
            "SELECT status FROM provider_transactions WHERE transaction_uuid = :uuid",
            uuid=bet["transaction_uuid"],
        )
        assert placeholders == [("RS_ERROR_TRANSACTION_ROLLED_BACK",)]
        assert await studio.cash(player) == 10_000

    async def test_a_refused_bet_stays_refused_when_money_arrives(self, studio: Studio) -> None:
        player = await studio.player(funds=500)
        bet = studio.bet_body(player, 1_000 * EUR_CENT)
        first = await studio.post("transaction/bet", bet)
        await deposit(studio.runtime, player.id, 100_000)

        again = await studio.post("transaction/bet", bet)

        assert first["status"] == again["status"] == "RS_ERROR_NOT_ENOUGH_MONEY"
        assert again["balance"] == first["balance"] == 5 * UNIT
        assert await studio.cash(player) == 100_500

    async def test_a_rollback_of_a_refused_bet_returns_nothing(self, studio: Studio) -> None:
        player = await studio.player(funds=500)
        bet = studio.bet_body(player, 1_000 * EUR_CENT)
        await studio.post("transaction/bet", bet)

        answer = await studio.rollback(player, bet["transaction_uuid"])

        assert answer["status"] == "RS_OK"
        assert await studio.cash(player) == 500
        await studio.books_balance()

    async def test_a_repeated_bet_after_its_rollback_is_rolled_back(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 100 * EUR_CENT)
        await studio.post("transaction/bet", bet)
        await studio.rollback(player, bet["transaction_uuid"])

        again = await studio.post("transaction/bet", bet)

        assert again["status"] == "RS_ERROR_TRANSACTION_ROLLED_BACK"
        assert await studio.cash(player) == 10_000


class TestRaces:
    async def test_the_same_bet_sent_at_once_is_taken_once(self, studio: Studio) -> None:
        player = await studio.player()
        bet = studio.bet_body(player, 100 * EUR_CENT)

        answers = await asyncio.gather(*(studio.post("transaction/bet", bet) for _ in range(6)))

        assert {a["status"] for a in answers} == {"RS_OK"}
        assert {a["balance"] for a in answers} == {START - 100 * EUR_CENT}
        assert await studio.cash(player) == 10_000 - 100
        await studio.books_balance()

    async def test_a_win_racing_a_rollback_settles_the_bet_one_way(self, studio: Studio) -> None:
        player = await studio.player()
        for _ in range(4):
            bet = studio.bet_body(player, 100 * EUR_CENT)
            await studio.post("transaction/bet", bet)
            before = await studio.cash(player)

            win, rollback = await asyncio.gather(
                studio.win(player, 300 * EUR_CENT, bet["transaction_uuid"]),
                studio.rollback(player, bet["transaction_uuid"]),
            )

            if win["status"] == "RS_OK":
                assert rollback["status"] == "RS_ERROR_UNKNOWN"
                assert await studio.cash(player) == before + 300
            else:
                assert (win["status"], rollback["status"]) == ("RS_ERROR_TRANSACTION_ROLLED_BACK", "RS_OK")
                assert await studio.cash(player) == before + 100
        await studio.books_balance()

    async def test_a_bet_racing_its_rollback_leaves_the_player_whole(self, studio: Studio) -> None:
        player = await studio.player()
        for _ in range(4):
            bet = studio.bet_body(player, 100 * EUR_CENT)

            placed, rollback = await asyncio.gather(
                studio.post("transaction/bet", bet), studio.rollback(player, bet["transaction_uuid"])
            )

            assert rollback["status"] == "RS_OK"
            assert placed["status"] in ("RS_OK", "RS_ERROR_TRANSACTION_ROLLED_BACK")
            assert await studio.cash(player) == 10_000
        await studio.books_balance()

    async def test_bets_and_wins_from_many_rounds_at_once_add_up(self, studio: Studio) -> None:
        player = await studio.player(funds=100_000)

        async def round_trip(stake: int, payout: int) -> None:
            bet = studio.bet_body(player, stake * EUR_CENT)
            assert (await studio.post("transaction/bet", bet))["status"] == "RS_OK"
            assert (await studio.win(player, payout * EUR_CENT, bet["transaction_uuid"]))["status"] == "RS_OK"

        await asyncio.gather(*(round_trip(100, 150 * (i % 3)) for i in range(12)))

        assert await studio.cash(player) == 100_000 - 12 * 100 + 150 * (0 + 1 + 2) * 4
        await studio.books_balance()
