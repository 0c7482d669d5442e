"""The reports through the staff API: who may read which, every read audited, player
activity per gaming day, responsible-gambling interventions from the registered sources,
the risk engine's large transactions over a range, and bad periods refused."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from croupier.compliance.reports import rg_sources
from croupier.compliance.reports.rg_sources import RgEntry, RgRow
from croupier.kit.clock import utcnow
from croupier.staff.service import StaffRole
from tests.compliance.reports.support import Casino
from tests.risk.support import confirmed_deposit, staff_key, withdrawal
from tests.sql import sql


class TestPlayerActivity:
    async def test_a_day_counts_active_players_registrations_cash_and_play_per_currency(
        self, casino: Casino
    ) -> None:
        desk = await staff_key(casino.runtime, StaffRole.COMPLIANCE, "carol")
        ann, ben = await casino.player(funds=0), await casino.player(funds=0)
        now = utcnow()
        await confirmed_deposit(casino.runtime, uuid.UUID(ann.id), 5_000, now)
        await confirmed_deposit(casino.runtime, uuid.UUID(ben.id), 3_000, now)
        await confirmed_deposit(casino.runtime, uuid.UUID(ben.id), 700, now, currency="GBP")
        await withdrawal(casino.runtime, uuid.UUID(ben.id), 1_000, now)
        await withdrawal(casino.runtime, uuid.UUID(ben.id), 9_000, now, status="approved")  # not paid yet
        played = [await casino.dice(ann), await casino.dice(ann), await casino.dice(ben)]
        today = casino.today()

        response = await casino.report("players", desk, today, today, output="csv")

        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert rows == [
            {
                "gaming_day": str(today),
                "currency": "",
                "active_players": "0",
                "new_registrations": "2",
                "deposits": "0",
                "deposited": "0",
                "withdrawals": "0",
                "withdrawn": "0",
                "stakes": "0",
                "wins": "0",
            },
            {
                "gaming_day": str(today),
                "currency": "EUR",
                "active_players": "2",
                "new_registrations": "0",
                "deposits": "2",
                "deposited": "8000",
                "withdrawals": "1",
                "withdrawn": "1000",
                "stakes": "300",
                "wins": str(sum(p["payout"] for p in played)),
            },
            {
                "gaming_day": str(today),
                "currency": "GBP",
                "active_players": "0",
                "new_registrations": "0",
                "deposits": "1",
                "deposited": "700",
                "withdrawals": "0",
                "withdrawn": "0",
                "stakes": "0",
                "wins": "0",
            },
        ]


class TestInterventions:
    async def test_rows_come_from_every_registered_source_in_time_order_with_their_gaming_day(
        self, casino: Casino, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        desk = await staff_key(casino.runtime, StaffRole.COMPLIANCE, "carol")
        player = uuid.uuid4()
        today = casino.today()
        seen: list[tuple[datetime, datetime]] = []

        async def time_outs(_session: object, *, start: datetime, end: datetime) -> Sequence[RgRow]:
            seen.append((start, end))
            return [RgEntry(end - timedelta(hours=1), player, "time_out_started", "24 hours")]

        async def limits(_session: object, *, start: datetime, end: datetime) -> Sequence[RgRow]:
            return [RgEntry(start, player, "limit_decreased", "deposit daily EUR 5000")]

        monkeypatch.setattr(rg_sources, "_SOURCES", {})
        monkeypatch.setattr(rg_sources, "_installed", True)
        empty = await casino.report("rg", desk, today, today)
        rg_sources.register("time-outs", time_outs)
        rg_sources.register("limits", limits)
        response = await casino.report("rg", desk, today, today)

        assert (empty.status_code, empty.json(), empty.headers["Croupier-Report-Sources"]) == (200, [], "")
        assert response.headers["Croupier-Report-Sources"] == "limits,time-outs"
        [(start, end)] = seen
        assert response.json() == [
            {
                "gaming_day": str(today),
                "occurred_at": start.isoformat(),
                "source": "limits",
                "kind": "limit_decreased",
                "player_id": str(player),
                "detail": "deposit daily EUR 5000",
            },
            {
                "gaming_day": str(today),
                "occurred_at": (end - timedelta(hours=1)).isoformat(),
                "source": "time-outs",
                "kind": "time_out_started",
                "player_id": str(player),
                "detail": "24 hours",
            },
        ]

    async def test_limits_time_outs_and_self_exclusions_taken_over_http_are_reported(
        self, casino: Casino
    ) -> None:
        desk = await staff_key(casino.runtime, StaffRole.COMPLIANCE, "carol")
        ann, ben, cat = [await casino.player(funds=0) for _ in range(3)]
        for amount in (5_000, 8_000):  # a new limit is in force at once; a higher one waits
            body = {"currency": "EUR", "kind": "deposit", "period": "day", "amount": amount}
            response = await casino.http.put("/v1/rg/limits", json=body, headers=ann.headers)
            assert response.status_code == 200, response.text
        for player, path, period in ((ben, "time-out", "72h"), (cat, "self-exclusion", "indefinite")):
            response = await casino.http.post(
                f"/v1/rg/{path}", json={"period": period}, headers=player.headers
            )
            assert response.status_code == 201, response.text
        today = casino.today()

        response = await casino.report("rg", desk, today, today)

        assert response.headers["Croupier-Report-Sources"] == "exclusions,limits"
        rows = [(r["source"], r["kind"], r["player_id"], r["detail"]) for r in response.json()]
        ends = rows[2][3].removeprefix("72h until ")
        assert datetime.fromisoformat(ends) - datetime.fromisoformat(
            response.json()[2]["occurred_at"]
        ) == timedelta(hours=72)
        assert rows == [
            ("limits", "limit_set", ann.id, "deposit day EUR: none -> 5000"),
            ("limits", "limit_increase_requested", ann.id, "deposit day EUR: 5000 -> 8000"),
            ("exclusions", "time_out_started", ben.id, f"72h until {ends}"),
            ("exclusions", "self_exclusion_started", cat.id, "indefinite"),
        ]


class TestAccess:
    async def test_compliance_reads_every_report_and_risk_only_large_transactions_each_read_audited(
        self, casino: Casino
    ) -> None:
        compliance = await staff_key(casino.runtime, StaffRole.COMPLIANCE, "carol")
        risk = await staff_key(casino.runtime, StaffRole.RISK, "rick")
        payments = await staff_key(casino.runtime, StaffRole.PAYMENTS, "pat")
        player = await casino.player(funds=0)
        await confirmed_deposit(casino.runtime, uuid.UUID(player.id), 250_000, utcnow())
        today = casino.today()
        yesterday = today - timedelta(days=1)

        for name in ("ggr", "players", "rg", "large-transactions"):
            assert (await casino.report(name, compliance, yesterday, today)).status_code == 200, name
        large = await casino.report("large-transactions", risk, yesterday, today)
        refused = {
            "risk reads ggr": await casino.report("ggr", risk, today, today),
            "payments reads large-transactions": await casino.report(
                "large-transactions", payments, today, today
            ),
            "a player reads ggr": await casino.report("ggr", player.headers, today, today),
            "nobody reads ggr": await casino.report("ggr", {}, today, today),
        }

        assert large.json() == [
            {
                "gaming_day": str(today),
                "player_id": player.id,
                "currency": "EUR",
                "threshold": 200_000,
                "cash_in": 250_000,
                "deposits": 1,
                "cash_out": 0,
                "withdrawals": 0,
                "reported": "in",
            }
        ]
        assert {why: (r.status_code, r.json()["code"]) for why, r in refused.items()} == {
            "risk reads ggr": (403, "forbidden"),
            "payments reads large-transactions": (403, "forbidden"),
            "a player reads ggr": (401, "unauthenticated"),
            "nobody reads ggr": (401, "unauthenticated"),
        }
        reads = await sql(
            casino.runtime,
            "SELECT actor_id, details->>'report', details->>'rows' FROM audit_events"
            " WHERE action = 'compliance:report:read' ORDER BY seq",
        )
        assert reads == [
            ("carol", "ggr", "0"),
            ("carol", "players", "2"),
            ("carol", "rg", "0"),
            ("carol", "large-transactions", "1"),
            ("rick", "large-transactions", "1"),
        ]

    async def test_a_bad_period_or_format_is_refused_and_nothing_is_read(self, casino: Casino) -> None:
        desk = await staff_key(casino.runtime, StaffRole.COMPLIANCE, "carol")
        refused = {
            "reversed": {"from": "2026-03-02", "to": "2026-03-01"},
            "longer than a year": {"from": "2025-01-01", "to": "2026-03-01"},
            "no such date": {"from": "2026-02-30", "to": "2026-03-01"},
            "unknown format": {"from": "2026-03-01", "to": "2026-03-01", "format": "xml"},
            "no start": {"to": "2026-03-01"},
        }

        answers = {
            why: await casino.http.get("/v1/staff/reports/ggr", params=params, headers=desk)
            for why, params in refused.items()
        }

        assert {
            why: (r.status_code, r.headers["content-type"], r.json()["code"]) for why, r in answers.items()
        } == {
            "reversed": (422, "application/problem+json", "invalid_report_period"),
            "longer than a year": (422, "application/problem+json", "invalid_report_period"),
            "no such date": (422, "application/problem+json", "validation_error"),
            "unknown format": (422, "application/problem+json", "validation_error"),
            "no start": (422, "application/problem+json", "validation_error"),
        }
        reads = "SELECT count(*) FROM audit_events WHERE action LIKE 'compliance:%'"
        assert await sql(casino.runtime, reads) == [(0,)]
