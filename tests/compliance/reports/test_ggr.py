"""Gross gaming revenue reconciles with the ledger exactly: after real rounds played over
HTTP, in-house and through the Hub88 wallet (a rollback among them), the report's GGR is
the movement of the house revenue accounts, per game, provider and gaming day."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from croupier.risk.gaming_day import gaming_day
from tests.cli_support import acroupier, succeeded
from tests.compliance.reports.support import ZONE, Casino
from tests.providers.support import EUR_CENT, GAME, OTHER_GAME
from tests.sql import sql


def _totals(rows: list[dict[str, Any]], *key: str) -> dict[tuple[Any, ...], Counter[str]]:
    found: dict[tuple[Any, ...], Counter[str]] = {}
    for row in rows:
        sums = found.setdefault(tuple(row[k] for k in key), Counter())
        sums.update({k: row[k] for k in ("stakes", "wins", "refunds", "ggr")})
    return found


async def _revenue_balances(casino: Casino) -> dict[str, int]:
    rows = await sql(
        casino.runtime,
        "SELECT currency, sum(balance) FROM ledger_accounts"
        " WHERE kind = 'revenue' AND player_id IS NULL GROUP BY currency",
    )
    return {currency: int(total) for currency, total in rows}


class TestGrossGamingRevenue:
    async def test_ggr_per_game_and_day_adds_up_to_the_movement_of_the_revenue_accounts(
        self, casino: Casino, studio_key: rsa.RSAPrivateKey
    ) -> None:
        # In-house: six dice rounds of 1.00 EUR.
        player = await casino.player()
        rounds = [await casino.dice(player) for _ in range(6)]
        # Two of them are moved back in time to either side of a gaming day's 06:00 cutover.
        today = casino.today()
        turn = gaming_day(
            today - timedelta(days=4), timezone=ZONE, cutover=casino.settings.gaming_day_cutover
        )
        for played, at in ((rounds[0], turn.start - timedelta(seconds=1)), (rounds[1], turn.start)):
            await sql(
                casino.runtime,
                "UPDATE ledger_transfers SET created_at = :at"
                " WHERE id = (SELECT transfer_id FROM game_rounds WHERE id = :round)",
                at=at,
                round=played["id"],
            )
        # Hub88: 10.00 staked and 25.00 won on one game; 5.00 staked on another and rolled back.
        studio = await casino.studio(studio_key)
        punter = await studio.player(funds=10_000)
        bet = studio.bet_body(punter, 1_000 * EUR_CENT)
        assert (await studio.post("transaction/bet", bet))["status"] == "RS_OK"
        assert (await studio.win(punter, 2_500 * EUR_CENT, bet["transaction_uuid"]))["status"] == "RS_OK"
        other = studio.bet_body(punter, 500 * EUR_CENT, game_code=OTHER_GAME)
        assert (await studio.post("transaction/bet", other))["status"] == "RS_OK"
        # The rollback names the bet, not its game: the report finds the game through the bet.
        assert (await studio.rollback(punter, other["transaction_uuid"]))["status"] == "RS_OK"

        first, last = today - timedelta(days=5), today + timedelta(days=1)
        shown = await acroupier(
            "reports", "ggr", "--from", str(first), "--to", str(last), "--format", "json", env=casino.env()
        )

        rows: list[dict[str, Any]] = json.loads(succeeded(shown))
        assert all(list(row) == [*ROW_KEYS] for row in rows)
        per_currency = _totals(rows, "currency")
        assert {c: sums["ggr"] for (c,), sums in per_currency.items()} == await _revenue_balances(casino)
        wins = sum(played["payout"] for played in rounds)
        assert _totals(rows, "channel", "provider", "game") == {
            ("in-house", None, "dice"): Counter(stakes=600, wins=wins, refunds=0, ggr=600 - wins),
            ("hub88", "studio", GAME): Counter(stakes=1_000, wins=2_500, refunds=0, ggr=-1_500),
            ("hub88", "studio", OTHER_GAME): Counter(stakes=500, wins=0, refunds=500, ggr=0),
        }
        in_house = _totals([r for r in rows if r["channel"] == "in-house"], "gaming_day")
        # A second before the cutover is the day before; the cutover itself opens the day.
        assert in_house[(str(today - timedelta(days=5)),)]["stakes"] == 100
        assert in_house[(str(today - timedelta(days=4)),)]["stakes"] == 100


ROW_KEYS = ("gaming_day", "currency", "channel", "provider", "game", "stakes", "wins", "refunds", "ggr")
