"""Compliance staff see a player's responsible-gambling standing, through the staff API and
``croupier rg show``: exclusions, limits with any pending loosening, the limit history, the
national register's last answer, reality-check settings and markers of harm. Every read is
audited under the reader's name; no other role may read it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from croupier.audit import service as audit
from croupier.audit.models import AuditEvent
from croupier.audit.tags import AuditAction
from croupier.kit.runtime import Runtime
from croupier.staff.service import StaffRole
from tests.cli_support import acroupier, env_for, refused, succeeded
from tests.compliance.responsible.exclusion_support import elapse, self_exclude, time_out
from tests.compliance.responsible.register_sandbox import RegisterSandbox
from tests.compliance.responsible.support import set_limit
from tests.factories import SignedIn
from tests.payments.support import Live, live_settings, serve
from tests.psp_sandbox import PspSandbox
from tests.risk.support import staff_key

NOBODY = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
async def live(
    module_database_url: str,
    keyring_json: str,
    tmp_path_factory: pytest.TempPathFactory,
    psp: PspSandbox,
    register_sandbox: RegisterSandbox,
) -> AsyncIterator[Live]:
    """The module's live Croupier, asking the sandbox register at registration and sign-in."""
    settings = live_settings(
        module_database_url,
        keyring_json,
        tmp_path_factory.mktemp("live"),
        psp,
        register_url=register_sandbox.base_url,
        register_api_key=register_sandbox.api_key,
    )
    async for runtime, base_url in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Live(http=http, runtime=runtime, psp=psp, base_url=base_url)


async def _protected_player(live: Live) -> SignedIn:
    """A player who limited deposits, asked to loosen limits three times (a marker of harm),
    chose reality checks every 30 minutes, took a day's time-out that has ended, then
    self-excluded for six months."""
    player = await live.player()
    for amount in (100, 200, 300):
        await set_limit(live.http, player, kind="deposit", period="day", amount=amount)
    await set_limit(live.http, player, kind="wager", period="day", amount=1)
    await set_limit(live.http, player, kind="wager", period="day", amount=None)
    checks = await live.http.put(
        "/v1/rg/reality-check", json={"interval_minutes": 30}, headers=player.headers
    )
    assert checks.status_code == 200, checks.text
    assert (await time_out(live.http, player, "24h")).status_code == 201
    await elapse(live.runtime, player.id, timedelta(days=2))
    assert (await self_exclude(live.http, player, "6m")).status_code == 201
    return player


async def _reads(runtime: Runtime, player_id: str) -> list[AuditEvent]:
    async with runtime.database.unit_of_work() as session:
        return list(
            await audit.events(
                session, target_type="player", target_id=player_id, action=str(AuditAction.RG_READ)
            )
        )


def _problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


async def test_compliance_sees_the_exclusion_limits_pending_increase_history_register_and_markers(
    live: Live,
) -> None:
    player = await _protected_player(live)

    response = await live.http.get(
        f"/v1/staff/rg/players/{player.id}",
        headers=await staff_key(live.runtime, StaffRole.COMPLIANCE, "carla"),
    )

    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    assert view["player_id"] == player.id
    assert (view["gambling_blocked"], view["blocked_until"]) == (True, None)
    ended, excluded = view["exclusions"]
    assert (ended["kind"], ended["period"], ended["state"]) == ("time_out", "24h", "ended")
    assert ended["blocks_until"] == ended["ends_at"]
    assert (excluded["kind"], excluded["period"], excluded["state"]) == ("self_exclusion", "6m", "in_force")
    assert excluded["started_at"] < excluded["ends_at"]
    assert excluded["return_requested_at"] is None

    deposit, wager = sorted(view["limits"], key=lambda limit: limit["kind"])
    assert (deposit["kind"], deposit["period"], deposit["amount"]) == ("deposit", "day", 100)
    assert (deposit["pending"]["amount"], deposit["pending"]["removal"]) == (300, False)
    assert deposit["pending"]["confirmable_at"] > deposit["pending"]["requested_at"]
    assert (wager["amount"], wager["pending"]["removal"]) == (1, True)
    assert view["cooling_off_hours"] == 24

    assert [(c["kind"], c["change"], c["previous"], c["amount"]) for c in view["limit_changes"]] == [
        ("deposit", "set", None, 100),
        ("deposit", "requested", 100, 200),
        ("deposit", "requested", 100, 300),
        ("wager", "set", None, 1),
        ("wager", "requested", 1, None),
    ]
    assert (view["national_register"]["answer"], view["national_register"]["trigger"]) == (
        "N",
        "registration",
    )
    assert view["reality_check"] == {"interval_minutes": 30, "acknowledged_at": None}
    [marker] = view["harm_markers"]
    assert (marker["marker"], marker["details"]["requests"]) == ("repeated_limit_increases", 3)

    [read] = await _reads(live.runtime, player.id)
    assert (read.actor_type, read.actor_id, read.outcome) == ("staff", "carla", "success")


async def test_only_a_compliance_key_reads_a_known_player_by_a_well_formed_id(live: Live) -> None:
    player = await live.player()
    path = f"/v1/staff/rg/players/{player.id}"
    compliance = await staff_key(live.runtime, StaffRole.COMPLIANCE, "cora")

    _problem(await live.http.get(path), 401, "unauthenticated")
    _problem(
        await live.http.get(path, headers=await staff_key(live.runtime, StaffRole.PAYMENTS, "pete")),
        403,
        "forbidden",
    )
    _problem(await live.http.get(f"/v1/staff/rg/players/{NOBODY}", headers=compliance), 404, "not_found")
    _problem(
        await live.http.get("/v1/staff/rg/players/not-a-uuid", headers=compliance), 422, "validation_error"
    )
    assert await _reads(live.runtime, player.id) == []


async def test_the_command_line_shows_the_same_standing_audited_under_the_operator(live: Live) -> None:
    player = await _protected_player(live)
    env = env_for(live.settings)

    # Three operators' processes at once: each stands alone, and the wait is one start-up, not three.
    as_text, as_json, unknown = await asyncio.gather(
        acroupier("rg", "show", player.id, "--by", "olga", env=env),
        acroupier("rg", "show", player.id, "--format", "json", "--by", "omar", env=env),
        acroupier("rg", "show", NOBODY, env=env),
    )

    text = succeeded(as_text)
    assert "gambling: blocked until no end yet" in text
    assert "time_out\t24h\tended" in text
    assert "self_exclusion\t6m\tin_force" in text
    assert "EUR\tdeposit\tday\t100\tpending 300" in text
    assert "national register: N" in text
    assert "repeated_limit_increases" in text
    shown = json.loads(succeeded(as_json))
    assert [limit["pending"]["amount"] for limit in shown["limits"] if limit["kind"] == "deposit"] == [300]
    assert len(shown["limit_changes"]) == 5
    refused(unknown, "No such player.")
    reads = await _reads(live.runtime, player.id)
    assert sorted((r.actor_type, r.actor_id) for r in reads) == [("operator", "olga"), ("operator", "omar")]
