"""Staff with the ``kyc`` role review and override levels through the API and the command line.

Every change says why, is audited, and writes a ``kyc_changed`` event in its own
transaction; every staff read of a player's personal data is audited too.
"""

from __future__ import annotations

import json

import httpx
import pytest

from croupier.audit import service as audit
from croupier.audit.tags import AuditAction
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from croupier.staff.service import StaffRole
from tests.cli_support import croupier, env_for
from tests.events.support import data, events_of
from tests.factories import signed_in_player
from tests.kyc_support import kyc_staff_headers
from tests.risk.support import staff_key


async def _audited(runtime: Runtime, action: AuditAction, player_id: str) -> list[audit.AuditEvent]:
    async with runtime.database.unit_of_work() as session:
        return list(
            await audit.events(session, target_type="player", target_id=player_id, action=str(action))
        )


class TestPlayerView:
    async def test_a_new_player_sees_level_none_what_to_upload_and_what_each_level_opens(
        self, client: httpx.AsyncClient
    ) -> None:
        player = await signed_in_player(client)
        body = (await client.get("/v1/kyc", headers=player.headers)).json()
        assert body["level"] == "none"
        assert body["pending"] is False
        assert body["check"] is None
        assert body["next_steps"] == ["upload_identity_document", "upload_selfie"]
        assert body["requirements"] == {
            "withdrawal": "full",
            "deposit_level": "full",
            "deposits_above": {"EUR": 200_000, "USD": 200_000, "GBP": 200_000},
        }
        assert (await client.get("/v1/kyc")).status_code == 401


class TestStaffApi:
    async def test_a_reviewer_sets_a_level_with_a_reason_audited_and_announced(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        headers = await kyc_staff_headers(runtime, "vera")

        response = await client.put(
            f"/v1/staff/kyc/players/{player.id}/level",
            json={"level": "enhanced", "reason": "source of funds: payslips reviewed"},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["level"] == "enhanced"
        assert (await client.get("/v1/kyc", headers=player.headers)).json()["level"] == "enhanced"

        [entry] = await _audited(runtime, AuditAction.KYC_LEVEL_CHANGE, player.id)
        assert (entry.actor_type, entry.actor_id) == ("staff", "vera")
        assert entry.details == {
            "from": "none",
            "to": "enhanced",
            "source": "staff",
            "reason": "source of funds: payslips reviewed",
        }
        assert data(await events_of(runtime, player.id, "kyc_changed")) == [
            {"from": "none", "to": "enhanced", "source": "staff"}
        ]

        # An override down, and a repeat of the same level that changes nothing.
        for level in ("basic", "basic"):
            again = await client.put(
                f"/v1/staff/kyc/players/{player.id}/level",
                json={"level": level, "reason": "document found forged"},
                headers=headers,
            )
            assert again.status_code == 200, again.text
        assert len(await events_of(runtime, player.id, "kyc_changed")) == 2

    async def test_reading_a_players_verification_is_audited(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        response = await client.get(
            f"/v1/staff/kyc/players/{player.id}", headers=await kyc_staff_headers(runtime, "vera")
        )
        assert response.status_code == 200, response.text
        assert response.json() | {"first_name": "Ada", "last_name": "Lovelace"} == response.json()
        assert response.json()["date_of_birth"] == "1990-12-10"
        [entry] = await _audited(runtime, AuditAction.KYC_READ, player.id)
        assert entry.actor_id == "vera"

    @pytest.mark.parametrize(
        ("body", "status", "code"),
        [
            ({"level": "full", "reason": ""}, 422, "validation_error"),
            ({"level": "gold", "reason": "why not"}, 422, "validation_error"),
            ({"level": "full", "reason": "   "}, 409, "invalid_kyc_change"),
        ],
        ids=["no-reason", "unknown-level", "blank-reason"],
    )
    async def test_a_change_without_a_reason_or_to_an_unknown_level_writes_nothing(
        self, client: httpx.AsyncClient, runtime: Runtime, body: dict[str, str], status: int, code: str
    ) -> None:
        player = await signed_in_player(client)
        response = await client.put(
            f"/v1/staff/kyc/players/{player.id}/level", json=body, headers=await kyc_staff_headers(runtime)
        )
        assert (response.status_code, response.json()["code"]) == (status, code)
        assert await events_of(runtime, player.id, "kyc_changed") == []

    async def test_the_desk_needs_a_kyc_staff_key(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        path = f"/v1/staff/kyc/players/{player.id}"
        assert (await client.get(path)).status_code == 401
        payments = await staff_key(runtime, StaffRole.PAYMENTS, "paula")
        assert (await client.get(path, headers=payments)).status_code == 403
        unknown = await client.get(
            "/v1/staff/kyc/players/00000000-0000-0000-0000-000000000000",
            headers=await kyc_staff_headers(runtime),
        )
        assert unknown.status_code == 404


class TestCommandLine:
    async def test_set_level_and_show_from_the_command_line(
        self, client: httpx.AsyncClient, runtime: Runtime, settings: Settings
    ) -> None:
        player = await signed_in_player(client)
        env = env_for(settings)

        done = croupier(
            "kyc", "set-level", player.id, "full", "--reason", "passport seen", "--by", "olga", env=env
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["level"] == "full"

        shown = croupier("kyc", "show", player.id, "--by", "olga", env=env)
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["level"] == "full"
        assert [e.actor_id for e in await _audited(runtime, AuditAction.KYC_READ, player.id)] == ["olga"]
        assert data(await events_of(runtime, player.id, "kyc_changed")) == [
            {"from": "none", "to": "full", "source": "staff"}
        ]

        refused = croupier("kyc", "set-level", player.id, "full", "--reason", " ", env=env)
        assert refused.returncode == 2
        unknown = croupier("kyc", "show", "00000000-0000-0000-0000-000000000000", env=env)
        assert (unknown.returncode, unknown.stderr.strip()) == (1, "croupier: No such player.")
