"""Setting limits over HTTP: tighter at once, looser only after the cooling-off and a confirmation,
every change an event, and bad input refused with a stable code and nothing written."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from tests.compliance.responsible.support import (
    confirm,
    events,
    limits,
    pass_cooling_off,
    put_limit,
    refused_by,
    set_limit,
)
from tests.payments.support import DECLINED, Live
from tests.sql import sql

DAILY_DEPOSIT = {"kind": "deposit", "period": "day"}


class TestTighterLimits:
    async def test_a_new_or_lower_limit_is_in_force_at_once_and_each_change_is_an_event(
        self, live: Live
    ) -> None:
        player = await live.player()

        assert (await set_limit(live.http, player, **DAILY_DEPOSIT, amount=5000))["amount"] == 5000
        lowered = await set_limit(live.http, player, **DAILY_DEPOSIT, amount=3000)

        assert (lowered["amount"], lowered["pending"], lowered["used"]) == (3000, None, 0)
        refused_by(await live.deposit(player, 3001), "deposit", "day")
        assert (await live.deposit(player, 3000)).status_code == 201
        changes = await events(live.runtime, player, "limit_changed")
        assert [(c["change"], c["previous"], c["amount"]) for c in changes] == [
            ("set", None, 5000),
            ("set", 5000, 3000),
        ]
        assert (await limits(live.http, player))[0]["used"] == 3000
        status = await live.get(player, "/v1/rg/status")
        assert status["limits"] == await limits(live.http, player)
        assert status["reality_check_minutes"] is None


class TestLooserLimits:
    async def test_a_higher_limit_waits_for_the_cooling_off_and_then_for_the_players_confirmation(
        self, live: Live
    ) -> None:
        player = await live.player()
        await set_limit(live.http, player, **DAILY_DEPOSIT, amount=1000)

        asked = await set_limit(live.http, player, **DAILY_DEPOSIT, amount=5000)

        assert asked["amount"] == 1000
        assert (asked["pending"]["amount"], asked["pending"]["removal"]) == (5000, False)
        requested = datetime.fromisoformat(asked["pending"]["requested_at"])
        assert datetime.fromisoformat(asked["pending"]["confirmable_at"]) - requested == timedelta(hours=24)
        refused_by(await live.deposit(player, 2000), "deposit", "day")
        early = await confirm(live.http, player, **DAILY_DEPOSIT)
        assert (early.status_code, early.json()["code"]) == (409, "cooling_off")

        await pass_cooling_off(live.runtime, player)
        confirmed = await confirm(live.http, player, **DAILY_DEPOSIT)

        assert confirmed.status_code == 200, confirmed.text
        assert (confirmed.json()["amount"], confirmed.json()["pending"]) == (5000, None)
        assert (await live.deposit(player, 2000)).status_code == 201
        changes = await events(live.runtime, player, "limit_changed")
        assert [(c["change"], c["in_force"]) for c in changes] == [
            ("set", 1000),
            ("requested", 1000),
            ("confirmed", 5000),
        ]

    async def test_a_request_not_confirmed_within_a_week_of_its_cooling_off_lapses_and_must_be_asked_again(
        self, live: Live
    ) -> None:
        player = await live.player()
        await set_limit(live.http, player, **DAILY_DEPOSIT, amount=1000)
        asked = await set_limit(live.http, player, **DAILY_DEPOSIT, amount=5000)
        confirmable = datetime.fromisoformat(asked["pending"]["confirmable_at"])
        assert datetime.fromisoformat(asked["pending"]["lapses_at"]) - confirmable == timedelta(days=7)

        await pass_cooling_off(live.runtime, player, hours=24 + 7 * 24 + 1)  # a week after it was due

        late = await confirm(live.http, player, **DAILY_DEPOSIT)
        assert (late.status_code, late.json()["code"]) == (409, "limit_request_lapsed")
        [shown] = await limits(live.http, player)
        assert (shown["amount"], shown["pending"]) == (1000, None)
        refused_by(await live.deposit(player, 2000), "deposit", "day")
        # Asked again, the cooling-off starts over.
        again = (await set_limit(live.http, player, **DAILY_DEPOSIT, amount=5000))["pending"]
        requested = datetime.fromisoformat(again["requested_at"])
        assert datetime.fromisoformat(again["confirmable_at"]) - requested == timedelta(hours=24)
        early = await confirm(live.http, player, **DAILY_DEPOSIT)
        assert (early.status_code, early.json()["code"]) == (409, "cooling_off")
        changes = await events(live.runtime, player, "limit_changed")
        assert [c["change"] for c in changes] == ["set", "requested", "requested"]

    async def test_a_removal_waits_too_and_setting_the_limit_again_withdraws_the_request(
        self, live: Live
    ) -> None:
        player = await live.player()
        wager = {"kind": "wager", "period": "week"}
        await set_limit(live.http, player, **wager, amount=100)

        removal = await set_limit(live.http, player, **wager, amount=None)
        assert (removal["amount"], removal["pending"]["removal"]) == (100, True)
        kept = await set_limit(live.http, player, **wager, amount=100)

        assert (kept["amount"], kept["pending"]) == (100, None)
        await pass_cooling_off(live.runtime, player)
        nothing = await confirm(live.http, player, **wager)
        assert (nothing.status_code, nothing.json()["code"]) == (409, "no_pending_limit")

    async def test_a_declined_deposit_no_longer_counts_against_the_limit(self, live: Live) -> None:
        player = await live.player()
        await set_limit(live.http, player, **DAILY_DEPOSIT, amount=1000)

        declined = await live.deposit(player, 1000, card=DECLINED)

        assert declined.json()["status"] == "failed", declined.text
        assert (await limits(live.http, player))[0]["used"] == 0
        assert (await live.deposit(player, 1000)).status_code == 201


# Each refused body, the code it is refused with.
REFUSED = [
    ({"kind": "deposit", "period": "fortnight", "amount": 100}, 422, "unknown_period"),
    ({"kind": "session", "period": "day", "amount": 60}, 422, "unknown_period"),
    ({"kind": "deposit", "period": "day", "amount": 0}, 422, "invalid_limit"),
    ({"kind": "loss", "period": "week", "amount": -500}, 422, "invalid_limit"),
    ({"kind": "session", "amount": 0}, 422, "invalid_limit"),
    ({"kind": "deposit", "period": "day", "amount": 100, "currency": "XTS"}, 422, "unknown_currency"),
    ({"kind": "bonus", "period": "day", "amount": 100}, 422, "unknown_limit_kind"),
]


async def test_bad_limits_are_refused_with_a_stable_code_and_write_nothing(live: Live) -> None:
    player = await live.player()
    for body, status, code in REFUSED:
        response = await put_limit(live.http, player, **body)
        assert response.headers["content-type"].startswith("application/problem+json"), body
        assert (response.status_code, response.json()["code"]) == (status, code), body
    assert (
        await sql(live.runtime, "SELECT 1 FROM rg_limits WHERE player_id = :p", p=uuid.UUID(player.id)) == []
    )
    assert await events(live.runtime, player, "limit_changed") == []
