"""AML reports through the staff API: the gaming day's large-transaction report and a
case's suspicious activity report in goAML's structure."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from croupier.risk.reports import gaming_day
from croupier.risk.typologies import Typology
from tests.conftest import make_settings
from tests.factories import register
from tests.risk.support import alert, confirmed_deposit, event, staff_key, withdrawal
from tests.sql import sql
from tests.wallet.support import make_player

BASE = "/v1/staff/risk"


@pytest.fixture
def settings(database_url: str, keyring_json: str, tmp_path: Path) -> Settings:
    """A casino in Malta whose gaming day turns at 06:00 local time (05:00 UTC in March)."""
    return make_settings(
        database_url,
        keyring_json,
        tmp_path,
        gaming_day_timezone="Europe/Malta",
        gaming_day_cutover="06:00",
        aml_large_transaction_thresholds={"EUR": 200_000, "GBP": 150_000},
        sar_rentity_id="4711",
        sar_reporting_person="Grace Hopper",
        sar_reporting_email="mlro@casino.example",
    )


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def _report(client: httpx.AsyncClient, desk: dict[str, str], day: str) -> dict[str, Any]:
    response = await client.get(f"{BASE}/reports/large-transactions", params={"day": day}, headers=desk)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestLargeTransactionReport:
    async def test_cash_in_and_out_add_up_per_player_within_the_gaming_day_only(
        self, runtime: Runtime, client: httpx.AsyncClient
    ) -> None:
        desk = await staff_key(runtime)
        ann, ben, cat, dan = [await make_player(runtime) for _ in range(4)]
        # Ann: three deposits inside 10 March's gaming day add up to 2,100.00 EUR ...
        await confirmed_deposit(runtime, ann, 90_000, utc("2026-03-10T05:00:00"))
        await confirmed_deposit(runtime, ann, 80_000, utc("2026-03-10T12:00:00"))
        await confirmed_deposit(runtime, ann, 40_000, utc("2026-03-11T04:59:59"))
        # ... one just before it opens and one as it closes belong to the days around it.
        await confirmed_deposit(runtime, ann, 150_000, utc("2026-03-10T04:59:59"))
        await confirmed_deposit(runtime, ann, 500_000, utc("2026-03-11T05:00:00"))
        # Her paid withdrawals stay below the threshold; one not yet paid does not count.
        await withdrawal(runtime, ann, 120_000, utc("2026-03-10T10:00:00"))
        await withdrawal(runtime, ann, 60_000, utc("2026-03-10T20:00:00"))
        await withdrawal(runtime, ann, 100_000, utc("2026-03-10T21:00:00"), status="approved")
        # Ben: cash in one cent short, cash out over it in two payouts.
        await confirmed_deposit(runtime, ben, 199_999, utc("2026-03-10T08:00:00"))
        await withdrawal(runtime, ben, 150_000, utc("2026-03-10T09:00:00"))
        await withdrawal(runtime, ben, 60_000, utc("2026-03-10T23:00:00"))
        # Cat: exactly the pound threshold. Dan: below every threshold.
        await confirmed_deposit(runtime, cat, 150_000, utc("2026-03-10T15:00:00"), currency="GBP")
        await confirmed_deposit(runtime, dan, 100_000, utc("2026-03-10T15:00:00"))

        report = await _report(client, desk, "2026-03-10")

        assert report["gaming_day"] == "2026-03-10"
        assert report["starts_at"] == "2026-03-10T05:00:00Z"
        assert report["ends_at"] == "2026-03-11T05:00:00Z"
        rows = {(row.pop("player_id"), row["currency"]): row for row in report["rows"]}
        assert rows == {
            (str(ann), "EUR"): {
                "currency": "EUR",
                "threshold": 200_000,
                "cash_in": 210_000,
                "deposits": 3,
                "cash_out": 180_000,
                "withdrawals": 2,
                "reported": "in",
            },
            (str(ben), "EUR"): {
                "currency": "EUR",
                "threshold": 200_000,
                "cash_in": 199_999,
                "deposits": 1,
                "cash_out": 210_000,
                "withdrawals": 2,
                "reported": "out",
            },
            (str(cat), "GBP"): {
                "currency": "GBP",
                "threshold": 150_000,
                "cash_in": 150_000,
                "deposits": 1,
                "cash_out": 0,
                "withdrawals": 0,
                "reported": "in",
            },
        }
        next_day = await _report(client, desk, "2026-03-11")
        assert [(r["player_id"], r["cash_in"]) for r in next_day["rows"]] == [(str(ann), 500_000)]

    async def test_reading_the_report_is_audited(self, runtime: Runtime, client: httpx.AsyncClient) -> None:
        desk = await staff_key(runtime)

        await _report(client, desk, "2026-03-10")

        rows = await sql(
            runtime,
            "SELECT actor_id, details FROM audit_events WHERE action = 'risk:report:large_transactions'",
        )
        assert rows == [("alice", {"gaming_day": "2026-03-10", "players": 0})]

    @pytest.mark.parametrize("day", ["2026-13-01", "yesterday", ""])
    async def test_a_day_that_is_not_a_date_is_refused(
        self, runtime: Runtime, client: httpx.AsyncClient, day: str
    ) -> None:
        desk = await staff_key(runtime)

        response = await client.get(f"{BASE}/reports/large-transactions", params={"day": day}, headers=desk)

        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"


class TestSuspiciousActivityReport:
    async def test_a_case_exports_as_goaml_xml_naming_the_person_and_the_indicators(
        self, runtime: Runtime, client: httpx.AsyncClient
    ) -> None:
        desk = await staff_key(runtime)
        player_id, _ = await register(
            client, first_name="Ada", last_name="Lovelace", date_of_birth="1990-12-10"
        )
        player = uuid.UUID(player_id)
        deposits = [await event(runtime, player, amount=190_000, currency="EUR") for _ in range(2)]
        first = await alert(
            runtime,
            player,
            typology=Typology.STRUCTURING,
            source="rule:structuring@2",
            reasons=["deposits_just_below_threshold"],
            event_ids=deposits,
        )
        await alert(runtime, player, typology=Typology.MINIMAL_PLAY, reasons=["wagered_below_30_percent"])
        [(case_id,)] = await sql(runtime, "SELECT case_id FROM risk_alerts WHERE id = :id", id=first)
        await client.post(
            f"{BASE}/cases/{case_id}/close",
            json={"disposition": "suspicious_activity_reported", "reason": "structured deposits, cashed out"},
            headers=desk,
        )

        response = await client.post(f"{BASE}/cases/{case_id}/sar", headers=desk)

        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        report = ET.fromstring(response.content)  # noqa: S314 - our own document, parsed to check it
        assert report.tag == "report"
        assert [child.tag for child in report] == [
            "rentity_id",
            "submission_code",
            "report_code",
            "entity_reference",
            "submission_date",
            "currency_code_local",
            "reporting_person",
            "reason",
            "action",
            "activity",
            "report_indicators",
        ]
        assert report.findtext("rentity_id") == "4711"
        assert report.findtext("submission_code") == "E"
        assert report.findtext("report_code") == "SAR"
        assert report.findtext("entity_reference") == f"case-{case_id}"
        datetime.strptime(report.findtext("submission_date") or "", "%Y-%m-%dT%H:%M:%S")  # noqa: DTZ007
        assert report.findtext("currency_code_local") == "EUR"
        assert report.findtext("reporting_person/first_name") == "Grace"
        assert report.findtext("reporting_person/last_name") == "Hopper"
        assert report.findtext("reporting_person/email") == "mlro@casino.example"
        assert report.findtext("reason") == "structured deposits, cashed out"
        assert "suspicious_activity_reported" in (report.findtext("action") or "")
        person = report.find("activity/report_parties/report_party/person")
        assert person is not None
        assert person.findtext("first_name") == "Ada"
        assert person.findtext("last_name") == "Lovelace"
        assert person.findtext("birthdate") == "1990-12-10T00:00:00"
        assert person.findtext("residence") == "MT"
        assert "deposit_confirmed" in (report.findtext("activity/report_parties/report_party/comments") or "")
        assert [i.text for i in report.iter("indicator")] == [
            "typology:structuring",
            "reason:deposits_just_below_threshold",
            "typology:minimal_play",
            "reason:wagered_below_30_percent",
        ]

    async def test_the_export_is_audited_and_on_the_case_s_timeline(
        self, runtime: Runtime, client: httpx.AsyncClient
    ) -> None:
        desk = await staff_key(runtime)
        player_id, _ = await register(client)
        raised = await alert(runtime, uuid.UUID(player_id))
        [(case_id,)] = await sql(runtime, "SELECT case_id FROM risk_alerts WHERE id = :id", id=raised)

        assert (await client.post(f"{BASE}/cases/{case_id}/sar", headers=desk)).status_code == 200

        audited = await sql(
            runtime,
            "SELECT actor_id, target_id, details FROM audit_events WHERE action = 'risk:report:sar_export'",
        )
        assert audited == [("alice", player_id, {"case_id": str(case_id)})]
        case = (await client.get(f"{BASE}/cases/{case_id}", headers=desk)).json()
        assert case["timeline"][-1]["action"] == "sar_exported"
        assert case["timeline"][-1]["actor"] == "staff:alice"

    async def test_an_unknown_case_has_no_report(self, runtime: Runtime, client: httpx.AsyncClient) -> None:
        desk = await staff_key(runtime)

        response = await client.post(f"{BASE}/cases/{uuid.uuid4()}/sar", headers=desk)

        assert response.status_code == 404
        assert response.json()["code"] == "case_not_found"


class TestGamingDay:
    @pytest.mark.parametrize(
        ("day", "starts", "hours"),
        [
            ("2026-03-10", "2026-03-10T05:00:00+00:00", 24),
            ("2026-03-28", "2026-03-28T05:00:00+00:00", 23),  # clocks go forward that night
            ("2026-03-29", "2026-03-29T04:00:00+00:00", 24),
            ("2026-10-24", "2026-10-24T04:00:00+00:00", 25),  # and back
        ],
    )
    def test_a_gaming_day_runs_from_cutover_to_cutover_in_local_time(
        self, day: str, starts: str, hours: int
    ) -> None:
        window = gaming_day(date.fromisoformat(day), timezone="Europe/Malta", cutover=time(6, 0))

        assert window.start.isoformat() == starts
        assert window.end - window.start == timedelta(hours=hours)

    def test_a_time_zone_that_does_not_exist_is_refused(
        self, database_url: str, keyring_json: str, tmp_path: Path
    ) -> None:
        with pytest.raises(ValueError, match="CROUPIER_GAMING_DAY_TIMEZONE"):
            make_settings(database_url, keyring_json, tmp_path, gaming_day_timezone="Mars/Olympus")
