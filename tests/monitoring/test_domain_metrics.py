"""What an on-call engineer reads beside HTTP, scraped from /metrics over HTTP.

Money counters move when the bet's transaction commits (a refused bet counts nothing),
with no query of their own; the figures kept in the database (outbox and webhook lag,
failed jobs, replication, the periodic checks) are sampled by each process into gauges,
so a scrape never queries.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import text

from croupier.api import create_app
from croupier.events import repository as events
from croupier.kit.counting import count_on_commit
from croupier.kit.db import Database
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from croupier.operations.monitoring.sampler import Sampler
from tests.conftest import TEST_IP, make_settings
from tests.factories import register, signed_in_player
from tests.games.test_rounds_api import DICE, bet, funded
from tests.kit.test_ops import METRICS_TOKEN, Scrape, samples, value
from tests.kit.test_ops import metrics_http as metrics_http  # noqa: PLC0414 - the fixture, re-exported
from tests.kit.test_ops import scrape as scrape  # noqa: PLC0414
from tests.payments.support import Live
from tests.payments.support import live as live  # noqa: PLC0414
from tests.providers.conftest import studio as studio  # noqa: PLC0414
from tests.providers.conftest import studio_key as studio_key  # noqa: PLC0414
from tests.providers.support import EUR_CENT, Studio
from tests.sql import sql


def games(text: str, name: str) -> float:
    return value(text, name, source="games", currency="EUR")


def hub88(text: str, name: str) -> float:
    return value(text, name, source="hub88", currency="EUR")


class TestMoneyInPlay:
    async def test_a_dice_round_counts_its_bet_stake_payout_and_ledger_transfer(
        self, client: httpx.AsyncClient, runtime: Runtime, scrape: Scrape
    ) -> None:
        player = await funded(client, runtime)
        before = await scrape()

        played = await bet(client, player, "dice", DICE)

        assert played.status_code == 201, played.text
        after = await scrape()
        assert games(after, "croupier_bets_total") - games(before, "croupier_bets_total") == 1
        stakes = "croupier_bet_stakes_minor_total"
        assert games(after, stakes) - games(before, stakes) == DICE["stake"]
        payouts = "croupier_bet_payouts_minor_total"
        assert games(after, payouts) - games(before, payouts) == played.json()["payout"]
        transfers = "croupier_ledger_transfers_total"
        assert value(after, transfers, kind="round") - value(before, transfers, kind="round") == 1

    async def test_a_refused_bet_counts_nothing(
        self, client: httpx.AsyncClient, runtime: Runtime, scrape: Scrape
    ) -> None:
        broke = await funded(client, runtime, amount=50)
        before = await scrape()

        refused = await bet(client, broke, "dice", DICE)

        assert refused.status_code == 422, refused.text
        after = await scrape()
        for name in ("croupier_bets_total", "croupier_bet_stakes_minor_total"):
            assert games(after, name) == games(before, name), name
        transfers = "croupier_ledger_transfers_total"
        assert value(after, transfers, kind="round") == value(before, transfers, kind="round")

    async def test_a_deposit_counts_as_a_ledger_transfer_of_its_kind(
        self, client: httpx.AsyncClient, runtime: Runtime, scrape: Scrape
    ) -> None:
        before = await scrape()

        await funded(client, runtime)

        after = await scrape()
        transfers = "croupier_ledger_transfers_total"
        assert value(after, transfers, kind="deposit") - value(before, transfers, kind="deposit") == 1

    async def test_the_seamless_wallet_counts_bets_wins_and_returned_stakes(
        self, studio: Studio, scrape: Scrape
    ) -> None:
        player = await studio.player()
        before = await scrape()

        placed = studio.bet_body(player, 100 * EUR_CENT)
        assert (await studio.post("transaction/bet", placed))["status"] == "RS_OK"
        await studio.win(player, 250 * EUR_CENT, placed["transaction_uuid"])
        returned = studio.bet_body(player, 40 * EUR_CENT)
        await studio.post("transaction/bet", returned)
        assert (await studio.rollback(player, returned["transaction_uuid"]))["status"] == "RS_OK"

        after = await scrape()
        grew = {
            name: hub88(after, name) - hub88(before, name)
            for name in (
                "croupier_bets_total",
                "croupier_bet_stakes_minor_total",
                "croupier_bet_payouts_minor_total",
                "croupier_bet_stakes_returned_minor_total",
            )
        }
        assert grew == {
            "croupier_bets_total": 2,
            "croupier_bet_stakes_minor_total": 140,
            "croupier_bet_payouts_minor_total": 250,
            "croupier_bet_stakes_returned_minor_total": 40,
        }


class TestDatabasePools:
    async def test_every_connection_taken_is_timed_and_the_pools_are_sampled(
        self, client: httpx.AsyncClient, runtime: Runtime, scrape: Scrape
    ) -> None:
        before = await scrape()
        await signed_in_player(client)
        await Sampler(runtime).sample()

        after = await scrape()
        waits = "croupier_database_pool_wait_seconds_count"
        assert value(after, waits, pool="main") > value(before, waits, pool="main")
        settings = runtime.settings
        limit = settings.database_pool_size + settings.database_max_overflow
        assert value(after, "croupier_database_pool_connections_limit", pool="main") == limit
        # Read before the sample takes its own connection; nothing else holds one now.
        assert value(after, "croupier_database_pool_connections_in_use", pool="main") <= 1
        assert value(after, "croupier_database_pool_waiting", pool="main") == 0

    async def test_a_caller_waiting_for_a_full_pool_is_counted_and_its_wait_timed(
        self, database_url: str, scrape: Scrape
    ) -> None:
        small = Database.from_url(database_url, pool_size=1, max_overflow=0, pool_timeout=10)
        waits = "croupier_database_pool_wait_seconds_bucket"
        slow_before = value(await scrape(), waits, pool="main", le="+Inf") - value(
            await scrape(), waits, pool="main", le="1.0"
        )
        try:
            async with small.engine.connect() as held:
                await held.execute(text("SELECT 1"))
                waiter = asyncio.create_task(_one_query(small))
                await asyncio.sleep(1.2)
                assert value(await scrape(), "croupier_database_pool_waiting", pool="main") == 1
            await waiter
        finally:
            await small.dispose()

        after = await scrape()
        assert value(after, "croupier_database_pool_waiting", pool="main") == 0
        slow_after = value(after, waits, pool="main", le="+Inf") - value(after, waits, pool="main", le="1.0")
        assert slow_after - slow_before == 1  # the waiter's 1.2 s (a new connection takes far less)


async def _one_query(database: Database) -> None:
    async with database.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


class TestSampledFromTheDatabase:
    async def test_the_mail_outbox_lag_is_the_age_of_the_oldest_waiting_message(
        self, client: httpx.AsyncClient, runtime: Runtime, scrape: Scrape
    ) -> None:
        await register(client)  # queues a verification message; no relay runs here
        await sql(runtime, "UPDATE mail_outbox SET created_at = now() - interval '10 minutes'")

        await Sampler(runtime).sample()

        lag = value(await scrape(), "croupier_mail_outbox_lag_seconds")
        assert 600 <= lag < 900

    async def test_the_webhook_lag_is_the_age_of_the_oldest_payment_waiting_for_the_provider(
        self, live: Live, scrape: Scrape
    ) -> None:
        await live.funded(kyc=None)
        await Sampler(live.runtime).sample()
        assert value(await scrape(), "croupier_payment_webhook_lag_seconds") == 0  # credited at once

        # As if the provider had answered "pending" 40 minutes ago and never sent its webhook.
        await sql(
            live.runtime,
            "UPDATE deposits SET status = 'pending', credit_transfer_id = NULL,"
            " updated_at = now() - interval '40 minutes'",
        )
        await Sampler(live.runtime).sample()

        lag = value(await scrape(), "croupier_payment_webhook_lag_seconds")
        assert 2400 <= lag < 2700

    async def test_domain_event_lag_is_sampled_where_no_consumer_runs(
        self, client: httpx.AsyncClient, settings: Settings, scrape: Scrape
    ) -> None:
        apart = await Runtime.start(settings.model_copy(update={"event_consumer": "off"}))
        try:
            consumer = f"probe-{uuid.uuid4().hex[:8]}"  # a consumer of this test's own, never run here
            async with apart.database.unit_of_work() as session:
                await events.ensure_consumer(session, consumer)
            await signed_in_player(client)  # its registration is a domain event
            await sql(apart, "UPDATE domain_events SET occurred_at = now() - interval '10 minutes'")

            await Sampler(apart).sample()
        finally:
            await apart.close()

        lag = value(await scrape(), "croupier_event_consumer_lag_seconds", consumer=consumer)
        assert 600 <= lag < 900

    async def test_failed_jobs_are_counted_by_task_and_cleared_ones_go_back_to_zero(
        self, runtime: Runtime, scrape: Scrape
    ) -> None:
        task = f"gdpr:export-{uuid.uuid4().hex[:8]}"  # a series of this test's own
        for _ in range(2):
            await sql(
                runtime,
                "INSERT INTO procrastinate_jobs (queue_name, task_name, status, args)"
                " VALUES ('default', :task, 'failed', '{}')",
                task=task,
            )
        sampler = Sampler(runtime)
        await sampler.sample()
        assert value(await scrape(), "croupier_jobs_failed", task=task) == 2

        await sql(runtime, "DELETE FROM procrastinate_jobs WHERE task_name = :task", task=task)
        await sampler.sample()
        assert [
            v for _, labels, v in samples(await scrape(), "croupier_jobs_failed") if labels["task"] == task
        ] == [0]

    async def test_replication_lag_is_absent_without_a_standby(
        self, runtime: Runtime, scrape: Scrape
    ) -> None:
        await Sampler(runtime).sample()

        text = await scrape()
        assert samples(text, "croupier_database_replication_lag_seconds") == []
        assert value(text, "croupier_monitoring_sampled_timestamp_seconds") > 0


class TestCountedOnCommit:
    async def test_an_increment_waits_for_the_commit_and_a_rollback_drops_it(self, runtime: Runtime) -> None:
        counter = Counter("probe_total", "A counter of this test's own.", registry=CollectorRegistry())

        async def rolled_back() -> None:
            async with runtime.database.unit_of_work() as session:
                count_on_commit(session, counter, 5)
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            await rolled_back()
        async with runtime.database.unit_of_work() as session:
            count_on_commit(session, counter, 2)
            count_on_commit(session, counter, 1)
            assert counter._value.get() == 0

        assert counter._value.get() == 3


def _self_signed(path: Path, not_after: datetime) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "croupier.test")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_after - timedelta(days=90))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


class TestTlsCertificate:
    async def test_the_served_certificates_expiry_is_a_gauge(
        self, database_url: str, keyring_json: str, tmp_path: Path
    ) -> None:
        not_after = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
        certfile = tmp_path / "cert.pem"
        _self_signed(certfile, not_after)
        settings = make_settings(
            database_url, keyring_json, tmp_path, metrics_token=METRICS_TOKEN, tls_certfile=certfile
        )
        transport = httpx.ASGITransport(app=create_app(settings), client=(TEST_IP, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            text = (await http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})).text

        assert value(text, "croupier_tls_certificate_expiry_timestamp_seconds") == not_after.timestamp()
