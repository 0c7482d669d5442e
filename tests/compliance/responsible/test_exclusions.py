"""Time-outs and self-exclusions over HTTP: effective at once, irreversible by the player before
their end, enforced in every money path in (card deposits, in-house bets, Hub88 bets), while
signing in, the balance and withdrawals stay open."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from croupier.compliance.gdpr.consent import PURPOSES
from croupier.compliance.gdpr.models import ConsentPurpose
from croupier.compliance.marketing import may_send_marketing
from croupier.kit.clock import utcnow
from croupier.kit.runtime import Runtime
from croupier.risk.gaming_day import gaming_day_of
from croupier.staff.service import StaffRole
from tests.compliance.gdpr.support import ready_export
from tests.compliance.responsible.exclusion_support import (
    elapse,
    exclusion_events,
    self_exclude,
    status,
    time_out,
)
from tests.factories import SignedIn, sign_in, signed_in_player
from tests.games.test_rounds_api import DICE, bet, funded
from tests.payments.support import Live
from tests.providers.support import EUR_CENT, Player, Studio, new_key, register
from tests.risk.support import staff_key
from tests.sql import sql

MARKETING_TEXT = PURPOSES[ConsentPurpose.MARKETING_EMAIL].version


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


class TestATimeOut:
    async def test_blocks_deposits_and_bets_everywhere_and_leaves_sign_in_balance_and_withdrawals_open(
        self, live: Live
    ) -> None:
        player, method = await live.funded(10_000)
        await register(live.runtime, "studio", key := new_key(), EUR=Decimal("50.00"))
        studio = Studio(http=live.http, runtime=live.runtime, name="studio", key=key)
        hub88 = Player(id=uuid.UUID(player.id), token=await studio.token(uuid.UUID(player.id)))

        taken = await time_out(live.http, player, "72h")

        assert taken.status_code == 201, taken.text
        ends_at = _at(taken.json()["ends_at"])
        assert timedelta(hours=71) < ends_at - datetime.now(UTC) <= timedelta(hours=72)
        shown = await status(live.http, player)
        assert shown["exclusion"]["gambling_blocked"] is True
        assert _at(shown["exclusion"]["blocked_until"]) == ends_at
        # Every way money could go in is refused ...
        refused_bet = await bet(live.http, player, "dice", DICE)
        assert (refused_bet.status_code, refused_bet.json()["code"]) == (403, "gambling_blocked")
        assert (await studio.bet(hub88, 100 * EUR_CENT))["status"] == "RS_ERROR_USER_DISABLED"
        refused_deposit = await live.deposit(player, 1_000)
        assert (refused_deposit.status_code, refused_deposit.json()["code"]) == (403, "gambling_blocked")
        assert await live.wallet(player) == {"available": 10_000, "held": 0}
        # ... while the player can still sign in, see the balance and take money out.
        assert (await sign_in(live.http, player.email)).status_code == 201
        withdrawn = await live.withdraw(player, 4_000, method)
        assert withdrawn.status_code == 201, withdrawn.text
        # A shorter time-out taken now shortens nothing.
        assert (await time_out(live.http, player, "24h")).status_code == 201
        assert _at((await status(live.http, player))["exclusion"]["blocked_until"]) == ends_at
        assert [e["action"] for e in await exclusion_events(live.runtime, player.id)] == [
            "started",
            "started",
        ]

        await elapse(live.runtime, player.id, timedelta(hours=72))

        assert (await status(live.http, player))["exclusion"] == {
            "gambling_blocked": False,
            "blocked_until": None,
            "exclusions": [],
        }
        assert (await bet(live.http, player, "dice", DICE)).status_code == 201
        assert (await studio.bet(hub88, 100 * EUR_CENT))["status"] == "RS_OK"


class TestASelfExclusion:
    async def test_outlasts_its_end_until_the_player_asks_to_return_and_a_day_has_passed(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime)

        taken = await self_exclude(client, player, "6m")

        assert taken.status_code == 201, taken.text
        assert taken.json()["blocks_until"] is None  # not before the player asks to return
        early = await client.post("/v1/rg/self-exclusion/return", headers=player.headers)
        assert (early.status_code, early.json()["code"]) == (409, "exclusion_not_ended")

        await elapse(runtime, player.id, timedelta(days=184))

        [ended] = (await status(client, player))["exclusion"]["exclusions"]
        assert ended["state"] == "awaiting_return"
        refused = await bet(client, player, "dice", DICE)
        assert (refused.status_code, refused.json()["code"]) == (403, "gambling_blocked")
        returning = await client.post("/v1/rg/self-exclusion/return", headers=player.headers)
        assert returning.status_code == 202, returning.text
        reopens_at = _at(returning.json()["reopens_at"])
        assert timedelta(hours=23) < reopens_at - datetime.now(UTC) <= timedelta(hours=24)
        again = await client.post("/v1/rg/self-exclusion/return", headers=player.headers)
        assert _at(again.json()["reopens_at"]) == reopens_at  # asking twice changes nothing
        [cooling] = (await status(client, player))["exclusion"]["exclusions"]
        assert cooling["state"] == "cooling_off"
        assert (await bet(client, player, "dice", DICE)).status_code == 403

        await elapse(runtime, player.id, timedelta(hours=24))

        assert (await bet(client, player, "dice", DICE)).status_code == 201
        actions = [e["action"] for e in await exclusion_events(runtime, player.id)]
        assert actions == ["started", "return_requested"]

    async def test_an_indefinite_one_never_ends(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)

        assert (await self_exclude(client, player, "indefinite")).status_code == 201
        await elapse(runtime, player.id, timedelta(days=3650))

        shown = (await status(client, player))["exclusion"]
        assert (shown["gambling_blocked"], shown["blocked_until"]) == (True, None)
        assert shown["exclusions"][0]["state"] == "in_force"
        refused = await client.post("/v1/rg/self-exclusion/return", headers=player.headers)
        assert (refused.status_code, refused.json()["code"]) == (409, "exclusion_not_ended")


class TestOnTheRecord:
    async def test_an_exclusion_stops_marketing_and_reaches_the_rg_report_and_the_players_export(
        self, live: Live
    ) -> None:
        player = await live.player()
        grant = {
            "source": "web",
            "consents": [{"purpose": "marketing_email", "granted": True, "text_version": MARKETING_TEXT}],
        }
        assert (await live.http.put("/v1/me/consents", json=grant, headers=player.headers)).status_code == 200
        assert await _may_market(live, player) is True

        taken = (await time_out(live.http, player, "72h")).json()

        assert await _may_market(live, player) is False  # consented, but excluded
        desk = await staff_key(live.runtime, StaffRole.COMPLIANCE, "carol")
        today = gaming_day_of(utcnow(), live.settings).isoformat()
        report = await live.http.get(
            "/v1/staff/reports/rg", params={"from": today, "to": today, "format": "json"}, headers=desk
        )
        assert report.status_code == 200, report.text
        # The module's players share one casino: only this player's rows are this test's.
        assert [(r["source"], r["kind"]) for r in report.json() if r["player_id"] == player.id] == [
            ("exclusions", "time_out_started")
        ]
        shown = await ready_export(live, player)
        archive = await live.http.get(shown["download_path"], headers=player.headers)
        [exported] = json.loads(archive.content)["sections"]["exclusions"]
        assert (exported["kind"], exported["period"]) == ("time_out", "72h")
        assert _at(exported["ends_at"]) == _at(taken["ends_at"])


async def _may_market(live: Live, player: SignedIn) -> bool:
    async with live.runtime.database.unit_of_work() as session:
        return await may_send_marketing(session, uuid.UUID(player.id), "email")


REFUSED = [
    # (endpoint, period, code)
    ("time-out", "3x", "unknown_period"),
    ("time-out", "6m", "unknown_period"),
    ("time-out", "", "unknown_period"),
    ("time-out", "23h", "period_out_of_range"),
    ("time-out", "43d", "period_out_of_range"),
    ("time-out", "7w", "period_out_of_range"),
    ("self-exclusion", "forever", "unknown_period"),
    ("self-exclusion", "24h", "unknown_period"),
    ("self-exclusion", "-6m", "unknown_period"),
    ("self-exclusion", "5m", "period_out_of_range"),
    ("self-exclusion", "61m", "period_out_of_range"),
    ("self-exclusion", "6y", "period_out_of_range"),
    ("self-exclusion", 6, "validation_error"),
]


class TestRefusedPeriods:
    @pytest.fixture
    async def player(self, client: httpx.AsyncClient) -> SignedIn:
        return await signed_in_player(client)

    @pytest.mark.parametrize("case", REFUSED, ids=[f"{e}-{p!r}" for e, p, _ in REFUSED])
    async def test_are_refused_with_a_stable_code_and_write_nothing(
        self, client: httpx.AsyncClient, runtime: Runtime, player: SignedIn, case: tuple[str, object, str]
    ) -> None:
        endpoint, period, code = case
        response = await client.post(f"/v1/rg/{endpoint}", json={"period": period}, headers=player.headers)

        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == code
        assert await sql(runtime, "SELECT count(*) FROM exclusions") == [(0,)]
        assert await exclusion_events(runtime, player.id) == []
        assert (await status(client, player))["exclusion"]["gambling_blocked"] is False
