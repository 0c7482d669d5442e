"""``croupier drill balancer``: lose a node behind HAProxy under load, and show players saw nothing.

Everything runs on loopback and is gone afterwards: an embedded PostgreSQL with the migrations, a
generated keyring, a ``redis-server`` for the rate limiter's shared counters, N ``croupier serve``
nodes, and HAProxy configured from the production template (TLS, ``/readyz`` checks, redispatch,
retries of idempotent requests only). Players play dice and read their wallet through HAProxy while
one node is SIGKILLed and started again. The promises: no operation failed once the client retried
with its idempotency key, no acknowledged round lost or doubled, the balances add up, HAProxy took
the node out and back, the sign-in throttle counts across nodes, and ``croupier ledger check`` passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess  # nosec B404 - runs Croupier's own console script with fixed arguments
import tempfile
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import httpx
import typer

from croupier.kit import migrate
from croupier.kit.embedded import embedded_url, start_embedded_server
from croupier.kit.keyring import Keyring
from croupier.kit.logging import configure_logging
from croupier.kit.processes import croupier_command
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from croupier.operations.drills import load
from croupier.operations.drills.cli import app
from croupier.operations.drills.nodes import Nodes, clean_environment
from croupier.operations.drills.proxy import HAProxy, StatusWatch
from croupier.operations.drills.redis_server import RedisServer
from croupier.operations.drills.report import DrillReport, print_and_exit

SIGN_IN_LIMIT = 5  # per address and minute, counted by all nodes together
# The address the throttle probe signs in from: in the benchmarking range, apart from the players'.
PROBE_ADDRESS = "198.19.255.254"
VICTIM = 1  # the second node is killed: not the one the players signed in on
WITHIN_SECONDS = 30.0  # for HAProxy to notice a node leave or return


class LimitStorage(StrEnum):
    redis = "redis"
    memory = "memory"


@dataclass(frozen=True)
class Plan:
    seconds: float
    nodes: int
    players: int
    storage: LimitStorage

    @property
    def kill_after(self) -> float:
        return max(2.0, self.seconds / 4)


@app.command()
def balancer(  # noqa: PLR0917 - one parameter per command-line option
    quick: Annotated[
        bool, typer.Option("--quick", help="A short run for CI: 10 s of load, 4 players.")
    ] = False,
    seconds: Annotated[float, typer.Option("--seconds", min=4, help="Seconds of load.")] = 30.0,
    nodes: Annotated[int, typer.Option("--nodes", min=2, max=8, help="Croupier nodes behind HAProxy.")] = 3,
    players: Annotated[
        int | None,
        typer.Option(
            "--players", min=1, max=200, help="Players playing at once (default 8; 4 with --quick)."
        ),
    ] = None,
    rate_limit_storage: Annotated[
        LimitStorage,
        typer.Option(
            "--rate-limit-storage",
            help="redis: one count for all nodes (production); memory: each node counts alone, which the"
            " drill reports as a broken promise.",
        ),
    ] = LimitStorage.redis,
    logs: Annotated[
        Path | None,
        typer.Option("--logs", help="Keep the nodes', HAProxy's and Redis's logs in this folder."),
    ] = None,
) -> None:
    """Kill a node behind HAProxy under dice and wallet load; what players saw. Exit 1 on a broken promise."""
    configure_logging("warning")
    # Quick: fewer players leave the cores to the restarting node, keeping CI's run under a minute.
    plan = Plan(10.0 if quick else seconds, nodes, players or (4 if quick else 8), rate_limit_storage)
    try:
        report = asyncio.run(drill(plan, logs))
    except (OSError, RuntimeError) as exc:
        typer.echo(f"croupier: the balancer drill could not run: {exc}", err=True)
        raise typer.Exit(1) from exc
    print_and_exit(report)


async def drill(plan: Plan, logs: Path | None = None) -> DrillReport:
    report = DrillReport("balancer")
    with tempfile.TemporaryDirectory(prefix="croupier-drill-balancer-") as tmp:
        workdir = Path(tmp)
        # The embedded PostgreSQL may run as a user of its own, which must reach its folder.
        os.chmod(workdir, 0o755)  # noqa: S103  # nosec B103 - the drill's folder, nothing secret in it
        try:
            with start_embedded_server(workdir / "database", delete_on_exit=True) as server:
                await _run(plan, report, workdir, embedded_url(server))
        finally:
            if logs is not None:
                _keep_logs(workdir, logs)
    return report.finish()


@dataclass
class Stage:
    """What the failover plays on: the nodes behind HAProxy and the signed-in players."""

    plan: Plan
    settings: Settings
    nodes: Nodes
    proxy: HAProxy
    players: list[load.Player]
    tokens: list[str]


@dataclass
class Failover:
    victim: str
    killed_after: float  # seconds of load
    killed_at: float
    down_at: float | None
    restarted_at: float
    ready_seconds: float
    up_at: float | None
    served_after: int


async def _run(plan: Plan, report: DrillReport, workdir: Path, database_url: str) -> None:
    keyring = Keyring.generate().to_json()  # what `croupier keys generate` prints
    settings = load.drill_settings(database_url, keyring, workdir / "drill")
    runtime = await Runtime.start(settings)
    try:
        await migrate.upgrade(runtime.database.engine)
    finally:
        await runtime.close()
    # Each node's pool within PostgreSQL's 100 connections.
    pool = str(max(2, min(10, 80 // (2 * plan.nodes))))
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(RedisServer(workdir / "redis"))
        storage = f"async+{redis.url}" if plan.storage is LimitStorage.redis else "async+memory://"
        nodes = stack.enter_context(
            Nodes(
                plan.nodes,
                database_url=database_url,
                keyring=keyring,
                workdir=workdir,
                extra_env={
                    **load.FAST_HASHING_ENV,
                    "CROUPIER_RATE_LIMIT_STORAGE": storage,
                    "CROUPIER_IP_SIGN_IN_RATE": f"{SIGN_IN_LIMIT}/minute",
                    "CROUPIER_DATABASE_POOL_SIZE": pool,
                    "CROUPIER_DATABASE_MAX_OVERFLOW": pool,
                    "CROUPIER_LOG_LEVEL": "warning",
                },
            )
        )
        await asyncio.to_thread(nodes.start_all)
        servers = [(node.name, f"127.0.0.1:{node.port}") for node in nodes]
        proxy = stack.enter_context(HAProxy(workdir / "haproxy", servers))
        players = await load.enrol(settings, plan.players)
        # Straight to a node, from each player's own address; the session is good on every node.
        tokens = await load.sign_in(nodes[0].url, players)
        stage = Stage(plan, settings, nodes, proxy, players, tokens)

        record, failover = await _failover(stage)
        checked = await load.verify(settings, players, record)
        _report_load(report, stage, record, checked)
        _report_failover(report, failover)
        await _shared_throttle(report, nodes)
    _ledger_check(report, database_url, keyring, workdir)


async def _failover(stage: Stage) -> tuple[load.LoadRecord, Failover]:
    """Load through HAProxy; a node killed, seen down, started again, seen up; load to the end."""
    plan, nodes, proxy = stage.plan, stage.nodes, stage.proxy
    watch = StatusWatch(proxy)
    watching = asyncio.create_task(watch.run())
    record, stop = load.LoadRecord(), asyncio.Event()
    started = time.monotonic()
    running = asyncio.create_task(
        load.run_load(
            proxy.url,
            stage.players,
            stage.tokens,
            seconds=plan.seconds + 4 * WITHIN_SECONDS,
            record=record,
            stop=stop,
            verify=proxy.tls(),
        )
    )
    victim = nodes[VICTIM]
    try:
        await asyncio.sleep(plan.kill_after)
        killed_at = nodes.kill(VICTIM)
        down_at = await watch.wait_for(victim.name, "DOWN", since=killed_at, within=WITHIN_SECONDS)
        restarted_at = time.monotonic()
        ready = await asyncio.to_thread(nodes.restart, VICTIM)
        up_at = await watch.wait_for(victim.name, "UP", since=restarted_at, within=WITHIN_SECONDS)
        served_before = proxy.states()[victim.name].sessions
        # The rest of the planned load, and at least two seconds with the node back in rotation.
        await asyncio.sleep(max(plan.seconds - (time.monotonic() - started), 2.0))
        served_after = proxy.states()[victim.name].sessions - served_before
    finally:
        stop.set()
        await running
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
    return record, Failover(
        victim.name, killed_at - started, killed_at, down_at, restarted_at, ready, up_at, served_after
    )


def _report_load(
    report: DrillReport, stage: Stage, record: load.LoadRecord, checked: load.Verification
) -> None:
    acknowledged = len(record.latencies)
    report.measure("nodes", stage.plan.nodes)
    report.measure("players", stage.plan.players)
    report.measure("load seconds", round(record.seconds, 1))
    report.measure("requests", record.requests)
    report.measure("operations acknowledged", acknowledged)
    report.measure("operations per second", round(acknowledged / max(record.seconds, 0.001), 1))
    report.measure("dice rounds acknowledged", len(record.rounds))
    report.measure("wallet reads", record.wallet_reads)
    report.measure("failed after client retry", len(record.failures))
    reasons = ", ".join(f"{reason} x{count}" for reason, count in record.retry_reasons.most_common())
    report.measure("retried by the client", f"{record.retried} ({reasons})" if reasons else 0)
    report.measure("retried by HAProxy", stage.proxy.backend_counter("wretr"))
    report.measure("redispatched by HAProxy", stage.proxy.backend_counter("wredis"))
    # Every player signed in on node 1 only; their sessions, in PostgreSQL, served on every node.
    spread = stage.proxy.states()
    report.measure(
        "requests per node", ", ".join(f"{name} {state.sessions}" for name, state in spread.items())
    )
    report.measure("acknowledged rounds lost", len(checked.lost))
    report.measure("duplicate rounds", len(checked.duplicates))
    report.measure("rounds never sent", len(checked.phantoms))
    report.measure("balances not adding up", len(checked.balances_off))
    report.measure("wallet reads disagreeing", record.wallet_reads_off)
    report.measure("p50 ms", round(record.percentile(50) * 1000, 1))
    report.measure("p99 ms", round(record.percentile(99) * 1000, 1))
    report.measure("max ms", round(max(record.latencies, default=0.0) * 1000, 1))
    report.promise(
        not record.failures,
        f"{len(record.failures)} operations failed after the client's retry, e.g. {record.failures[:1]}",
    )
    report.promise(not checked.lost, f"{len(checked.lost)} acknowledged rounds lost, e.g. {checked.lost[:3]}")
    report.promise(
        not checked.duplicates,
        f"{len(checked.duplicates)} keys with more than one round: {checked.duplicates[:3]}",
    )
    report.promise(not checked.phantoms, f"{len(checked.phantoms)} rounds under keys never sent")
    report.promise(
        not checked.balances_off,
        f"{len(checked.balances_off)} balances do not add up: {checked.balances_off[:3]}",
    )
    report.promise(
        record.wallet_reads_off == 0, f"{record.wallet_reads_off} wallet reads disagreed with the rounds"
    )


def _report_failover(report: DrillReport, failover: Failover) -> None:
    down, up = failover.down_at, failover.up_at
    report.measure("node killed after seconds of load", round(failover.killed_after, 1))
    report.measure(
        "seconds until marked down", "never" if down is None else round(down - failover.killed_at, 2)
    )
    report.measure("seconds until node ready again", round(failover.ready_seconds, 2))
    report.measure(
        "seconds from restart until back in rotation",
        "never" if up is None else round(up - failover.restarted_at, 2),
    )
    report.measure(f"requests served by {failover.victim} once back", failover.served_after)
    report.promise(
        down is not None, f"HAProxy did not mark {failover.victim} down within {WITHIN_SECONDS:.0f} s"
    )
    report.promise(
        up is not None, f"HAProxy did not bring {failover.victim} back within {WITHIN_SECONDS:.0f} s"
    )
    report.promise(failover.served_after > 0, f"{failover.victim} served nothing once back in rotation")


async def _shared_throttle(report: DrillReport, nodes: Nodes) -> None:
    """Sign-in attempts from one address, each to the next node: the limit must hold for all of them."""
    attempts = SIGN_IN_LIMIT * len(nodes) + 1  # enough for each node to allow its own limit if counting alone
    statuses = []
    async with httpx.AsyncClient(timeout=10) as http:
        for attempt in range(attempts):
            response = await http.post(
                f"{nodes[attempt % len(nodes)].url}/v1/sessions",
                json={"email": "nobody@example.com", "password": "not a password"},
                headers={"X-Forwarded-For": PROBE_ADDRESS},
            )
            statuses.append(response.status_code)
    first = next((i + 1 for i, status in enumerate(statuses) if status == 429), None)
    report.measure("sign-in limit", f"{SIGN_IN_LIMIT}/minute per address, over {len(nodes)} nodes")
    report.measure("first 429 at attempt", "never" if first is None else first)
    report.promise(
        first == SIGN_IN_LIMIT + 1 and all(s == 429 for s in statuses[SIGN_IN_LIMIT:]),
        f"the sign-in limit is not shared by the nodes: {SIGN_IN_LIMIT}/minute, first 429 at attempt"
        f" {first} of {attempts} spread over {len(nodes)} nodes",
    )


def _ledger_check(report: DrillReport, database_url: str, keyring: str, workdir: Path) -> None:
    result = subprocess.run(  # noqa: S603  # nosec B603 - our console script, fixed arguments
        [*croupier_command(), "ledger", "check"],
        env=clean_environment(
            CROUPIER_DATABASE_URL=database_url,
            CROUPIER_KEYRING=keyring,
            CROUPIER_DATA_DIR=str(workdir / "ledger"),
        ),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report.measure(
        "croupier ledger check", "passed" if result.returncode == 0 else f"exit {result.returncode}"
    )
    report.promise(
        result.returncode == 0, f"croupier ledger check failed: {(result.stdout + result.stderr)[-500:]}"
    )


def _keep_logs(workdir: Path, logs: Path) -> None:
    logs.mkdir(parents=True, exist_ok=True)
    for log in [
        *workdir.glob("node-*/serve.log"),
        workdir / "haproxy" / "haproxy.log",
        workdir / "redis" / "redis.log",
    ]:
        if log.exists():
            shutil.copyfile(log, logs / f"{log.parent.name}.log")
