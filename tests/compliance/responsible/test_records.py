"""Limit changes are on the record: the regulator's ``rg`` report lists them, and the player's
export carries their limits and history."""

from __future__ import annotations

import json

from croupier.kit.clock import utcnow
from croupier.risk.gaming_day import gaming_day_of
from croupier.staff.service import StaffRole
from tests.compliance.gdpr.support import ready_export
from tests.compliance.responsible.support import set_limit
from tests.payments.support import Live
from tests.risk.support import staff_key


async def test_limit_changes_reach_the_rg_report_and_the_players_export(live: Live) -> None:
    player = await live.player()
    await set_limit(live.http, player, kind="deposit", period="day", amount=1000)
    await set_limit(live.http, player, kind="deposit", period="day", amount=2000)
    desk = await staff_key(live.runtime, StaffRole.COMPLIANCE, "carol")
    today = gaming_day_of(utcnow(), live.settings).isoformat()

    report = await live.http.get(
        "/v1/staff/reports/rg", params={"from": today, "to": today, "format": "json"}, headers=desk
    )

    assert report.status_code == 200, report.text
    assert "limits" in report.headers["Croupier-Report-Sources"].split(",")
    assert [(r["source"], r["kind"], r["detail"]) for r in report.json() if r["player_id"] == player.id] == [
        ("limits", "limit_set", "deposit day EUR: none -> 1000"),
        ("limits", "limit_increase_requested", "deposit day EUR: 1000 -> 2000"),
    ]

    shown = await ready_export(live, player)
    archive = await live.http.get(shown["download_path"], headers=player.headers)
    section = json.loads(archive.content)["sections"]["limits"]
    [limit] = section["limits"]
    assert (limit["kind"], limit["amount"], limit["pending_amount"]) == ("deposit", 1000, 2000)
    assert [c["change"] for c in section["limit_history"]] == ["set", "requested"]
