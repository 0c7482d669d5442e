"""`croupier risk alerts|cases|assign|review|escalate|note|close|precision|ltr|sar` and
`croupier staff keys issue NAME --role risk`, run as an operator runs them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from croupier.risk.typologies import Typology
from tests.cli_support import acroupier, env_for, refused, succeeded, usage_error
from tests.risk.support import alert, confirmed_deposit, event, withdrawal
from tests.sql import sql
from tests.wallet.support import make_player

pytestmark = pytest.mark.slow  # each case runs the console script


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return env_for(
        settings,
        CROUPIER_GAMING_DAY_TIMEZONE="Europe/Malta",
        CROUPIER_GAMING_DAY_CUTOVER="06:00",
        CROUPIER_SAR_RENTITY_ID="4711",
    )


async def _case_of(runtime: Runtime, alert_id: uuid.UUID | None) -> str:
    [(case_id,)] = await sql(runtime, "SELECT case_id FROM risk_alerts WHERE id = :id", id=alert_id)
    return str(case_id)


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines()]


async def test_a_risk_staff_key_is_issued_and_listed(env: dict[str, str]) -> None:
    secret = succeeded(await acroupier("staff", "keys", "issue", "rita", "--role", "risk", env=env)).strip()

    assert secret.startswith("crk_")
    assert succeeded(await acroupier("staff", "keys", "list", env=env)).startswith("rita\trisk\tactive")


async def test_alerts_are_listed_with_their_events_and_filtered(
    runtime: Runtime, env: dict[str, str]
) -> None:
    player = await make_player(runtime)
    deposit = await event(runtime, player, amount=190_000, currency="EUR")
    structuring = await alert(runtime, player, typology=Typology.STRUCTURING, event_ids=[deposit])
    await alert(runtime, await make_player(runtime), typology=Typology.VELOCITY)

    # Independent reads: the commands run side by side.
    by_typology, by_player, closed, bad_status = await asyncio.gather(
        acroupier("risk", "alerts", "--typology", "structuring", env=env),
        acroupier("risk", "alerts", "--player-id", str(player), env=env),
        acroupier("risk", "alerts", "--status", "closed", env=env),
        acroupier("risk", "alerts", "--status", "pending", env=env),
    )
    listed = _lines(succeeded(by_typology))
    mine = _lines(succeeded(by_player))

    assert [a["id"] for a in listed] == [str(structuring)] == [a["id"] for a in mine]
    assert listed[0]["events"] == [
        {
            "id": deposit,
            "kind": "deposit_confirmed",
            "occurred_at": listed[0]["events"][0]["occurred_at"],  # type: ignore[index]
            "data": {"amount": 190_000, "currency": "EUR"},
        }
    ]
    assert succeeded(closed) == ""
    usage_error(bad_status, "--status")


async def test_a_case_is_worked_from_the_command_line(runtime: Runtime, env: dict[str, str]) -> None:
    player = await make_player(runtime)
    case_id = await _case_of(runtime, await alert(runtime, player))

    listed = _lines(succeeded(await acroupier("risk", "cases", "--player-id", str(player), env=env)))
    assert [(c["id"], c["status"], c["alert_count"]) for c in listed] == [(case_id, "open", 1)]
    succeeded(await acroupier("risk", "assign", case_id, "bob", "--by", "carol", env=env))
    succeeded(await acroupier("risk", "review", case_id, "--by", "carol", env=env))
    succeeded(await acroupier("risk", "note", case_id, "called the player", "--by", "carol", env=env))
    succeeded(
        await acroupier("risk", "escalate", case_id, "--reason", "to the MLRO", "--by", "carol", env=env)
    )
    refused(await acroupier("risk", "review", case_id, env=env), "cannot move to in_review")
    closed = _lines(
        succeeded(
            await acroupier(
                "risk",
                "close",
                case_id,
                "--disposition",
                "confirmed_fraud",
                "--reason",
                "stolen cards",
                "--by",
                "carol",
                env=env,
            )
        )
    )
    assert [(c["status"], c["disposition"]) for c in closed] == [("closed", "confirmed_fraud")]

    [detail] = _lines(succeeded(await acroupier("risk", "cases", case_id, env=env)))
    assert detail["case"]["assignee"] == "bob"  # type: ignore[index]
    assert [(e["action"], e["actor"]) for e in detail["timeline"]] == [  # type: ignore[attr-defined]
        ("opened", "system:rule:deposit_velocity@1"),
        ("alert_added", "system:rule:deposit_velocity@1"),
        ("assigned", "operator:carol"),
        ("moved", "operator:carol"),
        ("note", "operator:carol"),
        ("moved", "operator:carol"),
        ("closed", "operator:carol"),
    ]
    [precision] = _lines(succeeded(await acroupier("risk", "precision", env=env)))
    assert precision == {
        "source": "rule:deposit_velocity@1",
        "typology": "velocity",
        "confirmed": 1,
        "false_positive": 0,
        "precision": 1.0,
    }


async def test_bad_case_commands_are_refused_or_usage_errors(runtime: Runtime, env: dict[str, str]) -> None:
    case_id = await _case_of(runtime, await alert(runtime, await make_player(runtime)))

    # None of them changes anything: they run side by side.
    unknown, bad_disposition, no_reason, bad_id = await asyncio.gather(
        acroupier("risk", "cases", str(uuid.uuid4()), env=env),
        acroupier("risk", "close", case_id, "--disposition", "guilty", "--reason", "x", env=env),
        acroupier("risk", "close", case_id, "--disposition", "false_positive", env=env),
        acroupier("risk", "cases", "not-a-uuid", env=env),
    )
    refused(unknown, "No case")
    usage_error(bad_disposition, "--disposition")
    usage_error(no_reason, "--reason")
    usage_error(bad_id, "CASE_ID")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def test_the_large_transaction_report_as_csv_and_json(runtime: Runtime, env: dict[str, str]) -> None:
    player = await make_player(runtime)
    # 10 March's gaming day in Malta runs 05:00 to 05:00 UTC.
    await confirmed_deposit(runtime, player, 150_000, _utc("2026-03-10T05:00:00"))
    await confirmed_deposit(runtime, player, 60_000, _utc("2026-03-11T04:30:00"))
    await confirmed_deposit(runtime, player, 90_000, _utc("2026-03-10T04:30:00"))
    await withdrawal(runtime, player, 10_000, _utc("2026-03-10T18:00:00"))

    # Independent reads: the commands run side by side.
    as_csv, json_format, bad_day, bad_format, bad_timezone = await asyncio.gather(
        acroupier("risk", "ltr", "--day", "2026-03-10", env=env),
        acroupier("risk", "ltr", "--day", "2026-03-10", "--format", "json", env=env),
        acroupier("risk", "ltr", "--day", "10/03/2026", env=env),
        acroupier("risk", "ltr", "--day", "2026-03-10", "--format", "pdf", env=env),
        acroupier(
            "risk", "ltr", "--day", "2026-03-10", env={**env, "CROUPIER_GAMING_DAY_TIMEZONE": "Mars/Olympus"}
        ),
    )
    table = succeeded(as_csv)
    as_json = json.loads(succeeded(json_format))

    assert list(csv.DictReader(io.StringIO(table))) == [
        {
            "gaming_day": "2026-03-10",
            "player_id": str(player),
            "currency": "EUR",
            "threshold": "200000",
            "cash_in": "210000",
            "deposits": "2",
            "cash_out": "10000",
            "withdrawals": "1",
            "reported": "in",
        }
    ]
    assert as_json["starts_at"] == "2026-03-10T05:00:00+00:00"
    assert [(r["player_id"], r["cash_in"]) for r in as_json["rows"]] == [(str(player), 210_000)]
    usage_error(bad_day, "--day")
    usage_error(bad_format, "--format")
    refused(bad_timezone, "CROUPIER_GAMING_DAY_TIMEZONE")


async def test_a_suspicious_activity_report_goes_to_standard_output_as_xml(
    runtime: Runtime, env: dict[str, str]
) -> None:
    player = await make_player(runtime)
    case_id = await _case_of(runtime, await alert(runtime, player, typology=Typology.MINIMAL_PLAY))

    output = succeeded(await acroupier("risk", "sar", case_id, env=env))

    report = ET.fromstring(output.encode())  # noqa: S314 - our own document, parsed to check it
    assert report.findtext("rentity_id") == "4711"
    assert report.findtext("report_code") == "SAR"
    assert report.findtext("entity_reference") == f"case-{case_id}"
    assert [i.text for i in report.iter("indicator")] == [
        "typology:minimal_play",
        "reason:deposits_per_hour_above_5",
    ]
    refused(await acroupier("risk", "sar", str(uuid.uuid4()), env=env), "No case")
