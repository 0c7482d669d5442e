"""`croupier risk rules …` and `croupier risk backtest`, run as an operator runs them."""

from __future__ import annotations

import json

import pytest

from croupier.events.kinds import EventKind
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from tests.cli_support import acroupier, env_for, refused, succeeded
from tests.risk.support import alerts, emit
from tests.sql import sql
from tests.wallet.support import make_player

pytestmark = pytest.mark.slow  # each case runs the console script


class TestRulesFromTheCommandLine:
    async def test_a_rule_is_added_to_a_draft_published_and_audited(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        env = env_for(settings)

        added = await acroupier(
            "risk", "rules", "add", "default",
            "--rule", "night_owl_deposit",
            "--typology", "velocity",
            "--on", "decide:deposit", "--on", "event:deposit_initiated",
            "--expression", "deposits_24h >= limit",
            "--params", '{"limit": 20}',
            "--mode", "shadow",
            "--by", "rita",
            env=env,
        )  # fmt: skip
        draft = json.loads(succeeded(added))
        assert (draft["version"], draft["status"]) == (2, "draft")
        published = json.loads(succeeded(await acroupier("risk", "rules", "publish", "default", env=env)))
        assert published["status"] == "active"
        listing = [
            json.loads(line)
            for line in succeeded(await acroupier("risk", "rules", "list", env=env)).splitlines()
        ]
        assert [(s["version"], s["status"], s["rules"]) for s in listing] == [
            (1, "retired", 12),
            (2, "active", 13),
        ]
        shown = json.loads(
            succeeded(await acroupier("risk", "rules", "show", "default", "--version", "2", env=env))
        )
        [rule] = [r for r in shown["rules"] if r["name"] == "night_owl_deposit"]
        assert (rule["mode"], rule["params"], rule["triggers"]) == (
            "shadow",
            {"limit": 20},
            ["decide:deposit", "event:deposit_initiated"],
        )
        rows = await sql(
            runtime, "SELECT action, actor_id FROM audit_events WHERE action LIKE 'risk:%' ORDER BY seq"
        )
        assert [(r.action, r.actor_id) for r in rows] == [
            ("risk:rule:add", "rita"),
            ("risk:rule_set:publish", rows[1].actor_id),
        ]

    @pytest.mark.parametrize(
        ("args", "reason"),
        [
            (("--expression", "deposits_1h >"), "malformed"),
            (("--expression", "withdrawals_per_fortnight > 3"), "withdrawals_per_fortnight"),
            (("--expression", "deposits_1h > 3", "--params", "[1]"), "JSON object"),
        ],
    )
    async def test_a_malformed_rule_is_refused_with_its_reason(
        self, settings: Settings, runtime: Runtime, args: tuple[str, ...], reason: str
    ) -> None:
        base = (
            "risk",
            "rules",
            "add",
            "default",
            "--rule",
            "probe",
            "--typology",
            "velocity",
            "--on",
            "decide:deposit",
        )
        result = await acroupier(*base, *args, env=env_for(settings))

        refused(result, reason)
        [(count,)] = await sql(runtime, "SELECT count(*) FROM risk_rule_sets")
        assert count == 1

    async def test_publishing_with_no_draft_is_refused(self, settings: Settings, runtime: Runtime) -> None:
        assert runtime.settings.database_url == settings.database_url  # the migrated database
        refused(await acroupier("risk", "rules", "publish", "default", env=env_for(settings)), "no draft")


class TestBacktest:
    async def test_replays_stored_events_and_reports_what_the_rule_set_would_have_decided(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        player = await make_player(runtime)
        for amount in (190_000, 180_000):
            await emit(runtime, EventKind.DEPOSIT_INITIATED, player, amount=amount, currency="EUR")
            await emit(runtime, EventKind.DEPOSIT_CONFIRMED, player, amount=amount, currency="EUR")
        for _ in range(5):
            await emit(runtime, EventKind.SIGN_IN_FAILED, player, reason="wrong_password")

        result = await acroupier(
            "risk", "backtest", "default", "--since", "2000-01-01", env=env_for(settings)
        )

        report = json.loads(succeeded(result))
        assert report["rule_set"] == "default@1"
        assert report["events"] == 9
        assert report["by_typology"] == {"structuring": 1, "velocity": 1}
        assert report["by_rule"] == {"rule:structuring@1": 1, "rule:sign_in_failure_velocity@1": 1}
        assert report["by_action"]["review"] == 2
        # Nothing of the replay is kept: no alert, no feature state.
        assert await alerts(runtime) == []
        assert await sql(runtime, "SELECT * FROM risk_player_money") == []

    async def test_an_unknown_rule_set_is_refused(self, settings: Settings, runtime: Runtime) -> None:
        assert runtime.settings.database_url == settings.database_url  # the migrated database
        result = await acroupier("risk", "backtest", "nope", "--since", "2000-01-01", env=env_for(settings))
        refused(result, "No such rule set")
