"""The simulation drives the real HTTP API: registrations, deposits, rounds and each typology's actions."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from statistics import median

import pytest

from croupier.audit.tags import AuditAction
from croupier.risk.typologies import Typology
from croupier.simulation import runner
from croupier.simulation.actors import Target
from croupier.simulation.population import (
    DEFAULT_REPORTING_THRESHOLD,
    HONEST,
    MINIMAL_PLAY_SHARE,
    SIMULATED_TYPOLOGIES,
    ActorPlan,
    ChangePassword,
    PopulationPlan,
    SignIn,
    plan_population,
)
from tests.cli_support import acroupier, bare_env_for, env_for, succeeded, usage_error
from tests.payments.support import Live
from tests.psp_sandbox import PspSandbox
from tests.simulation.conftest import live_server
from tests.sql import sql

PLAYERS = 14


def _target(live: Live) -> Target:
    return Target(base_url=live.base_url, psp_url=live.psp.base_url, mailbox=live.settings.mailbox_dir)


def _plan(seed: int = 3) -> PopulationPlan:
    return plan_population(seed=seed, players=PLAYERS, minutes=0, run_tag=uuid.uuid4().hex[:6])


def _actors(plan: PopulationPlan, typology: str, scenario: str | None = None) -> list[ActorPlan]:
    return [a for a in plan.actors if a.typology == typology and (scenario is None or a.scenario == scenario)]


@pytest.fixture(scope="class")
async def shared_live(
    module_database_url: str, keyring_json: str, tmp_path_factory: pytest.TempPathFactory, psp: PspSandbox
) -> AsyncIterator[Live]:
    """One server and database for a class of tests that only read what one run left in them."""
    async with live_server(module_database_url, keyring_json, tmp_path_factory.mktemp("live"), psp) as server:
        yield server


@pytest.fixture(scope="class")
async def played(shared_live: Live) -> tuple[PopulationPlan, runner.Report]:
    """One simulation, run once for the class: its tests read the report and the database."""
    plan = _plan()
    report = await runner.run(plan, _target(shared_live), concurrency=4)
    # The risk engine may refuse a fraudster's step (a detection); nothing else may go wrong.
    assert report.failures == []
    return plan, report


def _ids(report: runner.Report, actor: ActorPlan) -> list[str]:
    return [label.player_id for label in report.labels if label.actor == actor.name]


def _refused(report: runner.Report, actor: ActorPlan) -> str | None:
    """The step of ``actor`` the risk engine refused, if it did: the script ends there."""
    return next((step for name, step in report.refusals if name == actor.name), None)


class TestTheSimulationDrivesTheApi:
    async def test_every_account_registers_confirms_its_address_and_signs_in(
        self, shared_live: Live, played: tuple[PopulationPlan, runner.Report]
    ) -> None:
        _, report = played
        traffic = report.traffic
        assert traffic.total("POST /v1/players", 202) == PLAYERS
        assert traffic.total("POST /v1/players/verify-email", 204) == PLAYERS
        assert traffic.total("GET /v1/me", 200) == PLAYERS
        ids = [label.player_id for label in report.labels]
        [(verified,)] = await sql(
            shared_live.runtime,
            "SELECT count(*) FROM players"
            " WHERE id = ANY(CAST(:ids AS uuid[])) AND email_verified_at IS NOT NULL",
            ids=ids,
        )
        assert verified == PLAYERS

    async def test_players_deposit_through_the_provider_and_play_every_game(
        self, shared_live: Live, played: tuple[PopulationPlan, runner.Report]
    ) -> None:
        _, report = played
        # Every deposit pays with a card the player's browser tokenised at the provider.
        tokens = report.traffic.total("POST {psp}/v1/tokens", 201)
        assert tokens == report.traffic.total("POST /v1/deposits")
        rows = await sql(shared_live.runtime, "SELECT DISTINCT game FROM game_rounds")
        assert {game for (game,) in rows} == {"dice", "roulette", "slots"}
        [(credited,)] = await sql(
            shared_live.runtime, "SELECT count(*) FROM deposits WHERE status = 'succeeded'"
        )
        assert credited >= PLAYERS
        await shared_live.books_balance()

    async def test_an_account_taken_over_changes_password_from_a_new_device_then_withdraws(
        self, shared_live: Live, played: tuple[PopulationPlan, runner.Report]
    ) -> None:
        plan, report = played
        [actor] = _actors(plan, Typology.ACCOUNT_TAKEOVER)
        [player_id] = _ids(report, actor)
        own = actor.accounts[0].device
        change = next(i for i, s in enumerate(actor.steps) if isinstance(s, ChangePassword))
        intruder = actor.steps[change - 1]
        assert isinstance(intruder, SignIn)
        entries = await sql(
            shared_live.runtime,
            "SELECT action, ip, user_agent FROM audit_events WHERE target_id = :id AND outcome = 'success'"
            " AND action IN (:sign_in, :change, :withdraw) ORDER BY seq",
            id=player_id,
            sign_in=AuditAction.SIGN_IN,
            change=AuditAction.PASSWORD_CHANGE,
            withdraw=AuditAction.WITHDRAWAL_REQUEST,
        )
        seen = [(action, ip) for action, ip, _ in entries]
        # The address each request came from is the actor's, through X-Forwarded-For.
        assert seen[0] == (AuditAction.SIGN_IN, own.ip)
        refused = _refused(report, actor)
        if refused is not None:
            assert refused in ("sign in", "change password", "withdraw")
            return
        assert (AuditAction.SIGN_IN, intruder.device.ip) in seen
        after = seen[seen.index((AuditAction.SIGN_IN, intruder.device.ip)) :]
        assert [a for a, _ in after if a != AuditAction.SIGN_IN] == [
            AuditAction.PASSWORD_CHANGE,
            AuditAction.WITHDRAWAL_REQUEST,
        ]
        assert all(ip == intruder.device.ip for _, ip in after)

    async def test_structuring_deposits_stay_under_the_threshold_and_add_up_above_it(
        self, shared_live: Live, played: tuple[PopulationPlan, runner.Report]
    ) -> None:
        plan, report = played
        [actor] = _actors(plan, Typology.STRUCTURING)
        rows = await sql(
            shared_live.runtime,
            "SELECT amount FROM deposits WHERE player_id = :id AND status = 'succeeded'",
            id=_ids(report, actor)[0],
        )
        amounts = [amount for (amount,) in rows]
        assert max(amounts) < DEFAULT_REPORTING_THRESHOLD
        if _refused(report, actor) is None:
            assert len(amounts) >= 3
            assert sum(amounts) > DEFAULT_REPORTING_THRESHOLD
        else:
            assert _refused(report, actor) == "deposit"

    async def test_minimal_play_withdraws_after_wagering_little(
        self, shared_live: Live, played: tuple[PopulationPlan, runner.Report]
    ) -> None:
        plan, report = played
        [actor] = _actors(plan, Typology.MINIMAL_PLAY)
        player_id = _ids(report, actor)[0]
        [row] = await sql(
            shared_live.runtime,
            "SELECT (SELECT sum(amount) FROM deposits WHERE player_id = :id AND status = 'succeeded'),"
            " (SELECT coalesce(sum(stake), 0) FROM game_rounds WHERE player_id = :id),"
            " (SELECT sum(amount) FROM withdrawals WHERE player_id = :id)",
            id=player_id,
        )
        deposited, wagered, withdrawn = (int(value or 0) for value in row)
        assert wagered < MINIMAL_PLAY_SHARE * deposited
        if _refused(report, actor) is None:
            assert withdrawn > deposited / 2
        else:
            assert _refused(report, actor) == "withdraw"

    async def test_card_testing_fails_many_deposits_and_stuffing_fails_many_sign_ins(
        self, shared_live: Live, played: tuple[PopulationPlan, runner.Report]
    ) -> None:
        plan, report = played
        [testing] = _actors(plan, Typology.VELOCITY, "card_testing")
        [(failed,)] = await sql(
            shared_live.runtime,
            "SELECT count(*) FROM deposits WHERE player_id = :id AND status = 'failed'",
            id=_ids(report, testing)[0],
        )
        assert failed >= 8 or _refused(report, testing) == "deposit"
        [stuffing] = _actors(plan, Typology.VELOCITY, "credential_stuffing")
        [(refused,)] = await sql(
            shared_live.runtime,
            "SELECT count(*) FROM audit_events WHERE target_id = :id AND action = :sign_in"
            " AND outcome <> 'success'",
            id=_ids(report, stuffing)[0],
            sign_in=AuditAction.SIGN_IN,
        )
        assert refused >= 10

    async def test_rapid_escalation_stakes_rise_far_beyond_the_players_history(
        self, shared_live: Live, played: tuple[PopulationPlan, runner.Report]
    ) -> None:
        plan, report = played
        [actor] = _actors(plan, Typology.RAPID_ESCALATION)
        rows = await sql(
            shared_live.runtime,
            "SELECT stake FROM game_rounds WHERE player_id = :id ORDER BY created_at",
            id=_ids(report, actor)[0],
        )
        stakes = [stake for (stake,) in rows]
        refused = _refused(report, actor)
        if refused is None:
            assert max(stakes) >= 10 * median(stakes[:20])
        else:
            assert refused.endswith("round") or refused == "deposit"

    async def test_multi_accounting_rings_share_a_card_or_come_from_one_address(
        self, shared_live: Live, played: tuple[PopulationPlan, runner.Report]
    ) -> None:
        plan, report = played
        for actor in _actors(plan, Typology.MULTI_ACCOUNTING):
            ids = _ids(report, actor)
            assert len(ids) >= 2
            [(fingerprints,)] = await sql(
                shared_live.runtime,
                "SELECT count(DISTINCT fingerprint) FROM payment_methods"
                " WHERE player_id = ANY(CAST(:ids AS uuid[]))",
                ids=ids,
            )
            [(addresses,)] = await sql(
                shared_live.runtime,
                "SELECT count(DISTINCT ip) FROM audit_events WHERE target_id = ANY(:ids)"
                " AND action = :sign_in",
                ids=ids,
                sign_in=AuditAction.SIGN_IN,
            )
            assert fingerprints <= 1 or addresses == 1

    async def test_the_labels_name_every_account_with_its_typology(
        self, played: tuple[PopulationPlan, runner.Report], tmp_path: Path
    ) -> None:
        plan, report = played
        path = tmp_path / "labels.jsonl"
        runner.write_labels(path, report.labels)
        records = [json.loads(line) for line in path.read_text().splitlines()]
        assert len(records) == PLAYERS
        assert {r["typology"] for r in records} == {HONEST, *SIMULATED_TYPOLOGIES}
        assert {r["email"] for r in records} == {acc.email for a in plan.actors for acc in a.accounts}
        for record in records:
            assert set(record) == {"player_id", "typology", "email", "actor", "scenario"}
            uuid.UUID(record["player_id"])


@pytest.mark.slow
class TestTheCommands:
    async def test_simulate_against_a_running_server_then_evaluate_its_labels(
        self, live: Live, tmp_path: Path
    ) -> None:
        labels = tmp_path / "labels.jsonl"
        env = env_for(live.settings)
        out = succeeded(
            await acroupier(
                "simulate",
                *("--url", live.base_url, "--psp-url", live.psp.base_url),
                *("--mailbox", str(live.settings.mailbox_dir)),
                *("--players", "12", "--minutes", "0", "--seed", "21", "--labels", str(labels)),
                env=env,
            )
        )
        assert "12 labels written" in out
        assert "unexpected answer" not in out
        assert len(labels.read_text().splitlines()) == 12
        result = json.loads(succeeded(await acroupier("risk", "evaluate", str(labels), "--json", env=env)))
        assert result["players"] == 12
        assert {row["typology"] for row in result["typologies"]} == set(SIMULATED_TYPOLOGIES)

    async def test_simulate_serves_its_own_croupier_and_provider_on_the_data_folder(
        self, tmp_path: Path
    ) -> None:
        # Nothing configured but a data folder: the embedded PostgreSQL there, as `croupier serve` uses.
        env = bare_env_for(tmp_path / "data")
        labels = tmp_path / "labels.jsonl"
        out = succeeded(
            await acroupier(
                "simulate",
                "--players",
                "12",
                "--minutes",
                "0",
                "--seed",
                "22",
                "--labels",
                str(labels),
                env=env,
            )
        )
        assert "serving on http://127.0.0.1:" in out
        assert "12 labels written" in out
        assert "unexpected answer" not in out
        # The same folder afterwards: the evaluation reads the alerts of the database the run used.
        result = json.loads(succeeded(await acroupier("risk", "evaluate", str(labels), "--json", env=env)))
        assert result["players"] == 12

    async def test_too_few_players_is_a_usage_error(self, tmp_path: Path) -> None:
        env = bare_env_for(tmp_path)
        result = await acroupier(
            "simulate", "--players", "5", "--minutes", "0", "--labels", str(tmp_path / "l.jsonl"), env=env
        )
        usage_error(result, "--players")

    async def test_a_labels_file_in_a_missing_folder_is_a_usage_error_before_anything_runs(
        self, tmp_path: Path
    ) -> None:
        env = bare_env_for(tmp_path)
        labels = tmp_path / "nowhere" / "labels.jsonl"
        result = await acroupier(
            "simulate", "--players", "12", "--minutes", "0", "--labels", str(labels), env=env
        )
        usage_error(result, "--labels")
