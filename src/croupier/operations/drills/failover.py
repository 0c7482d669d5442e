"""``croupier drill failover``: the primary dies under load; its synchronous standby takes over.

A primary and a synchronous streaming standby (a commit is acknowledged only once the standby has
it on disk); Croupier nodes whose database URL names both hosts with
``target_session_attrs=read-write``, so that libpq connects to whichever accepts writes. Players
play dice on every node; the primary is SIGKILLed; the standby is promoted (what Patroni does in
production); the nodes find it on their own (the pool's pre-ping drops dead connections, a new
one tries each host). The drill then asks the database whether every acknowledged round is there
exactly once, whether the balances add up, and runs ``croupier ledger check`` and
``croupier audit verify``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from croupier.kit.errors import CroupierError
from croupier.kit.keyring import Keyring
from croupier.kit.logging import configure_logging
from croupier.kit.settings import get_settings
from croupier.operations.drills import load
from croupier.operations.drills.cli import app
from croupier.operations.drills.nodes import NodeFailed, Nodes
from croupier.operations.drills.report import DrillReport, print_and_exit
from croupier.operations.drills.support import croupier, drill_env, said, scratch_folder
from croupier.operations.postgres import Binaries, Cluster

STANDBY = "standby1"
SAMPLE_SECONDS = 0.02

# Options of every drill that fails the database over under load.
NodesOption = Annotated[int, typer.Option(min=1, max=8, help="Croupier nodes.")]
PlayersOption = Annotated[int, typer.Option(min=1, max=200, help="Players playing at once.")]


@dataclass
class _Timeline:
    """Acknowledgements counted every few milliseconds: the longest time without a new one is
    the downtime players saw (their requests waited, retried, and then went through)."""

    record: load.LoadRecord
    last_count: int = 0
    last_change: float = field(default_factory=time.monotonic)
    longest_silence: float = 0.0

    async def watch(self, until: float) -> None:
        while time.monotonic() < until:
            now = time.monotonic()
            count = len(self.record.rounds)
            if count != self.last_count:
                if self.last_count:  # from the first acknowledgement on: set-up is not downtime
                    self.longest_silence = max(self.longest_silence, now - self.last_change)
                self.last_count, self.last_change = count, now
            await asyncio.sleep(SAMPLE_SECONDS)


def multi_host_url(clusters: list[Cluster], database: str) -> str:
    """One SQLAlchemy URL naming every host; libpq picks the one that accepts writes."""
    hosts = "&".join(f"host=127.0.0.1:{c.port}" for c in clusters)
    return f"postgresql+psycopg://postgres@/{database}?{hosts}&target_session_attrs=read-write"


def run(plan: LoadPlan, *, keep: bool = False) -> DrillReport:
    report = DrillReport("failover")
    configure_logging("warning")  # the drill prints its report, not the service's log
    binaries = Binaries.find(get_settings().pg_bin)
    with scratch_folder("failover", keep=keep) as folder:
        primary = Cluster(folder / "primary", binaries, name="primary")
        standby: Cluster | None = None
        try:
            standby = _start_pair(primary, folder / "standby")
            rehearse(
                report,
                folder=folder,
                url=multi_host_url([primary, standby], "croupier"),
                fail_over=partial(_kill_and_promote, primary, standby),
                load_plan=plan,
            )
        except (CroupierError, NodeFailed, RuntimeError) as exc:
            report.promise(False, str(getattr(exc, "detail", exc)).splitlines()[0])
        finally:
            for cluster in (standby, primary):
                if cluster is not None:
                    cluster.release(mode="immediate")
    return report.finish()


def _kill_and_promote(primary: Cluster, standby: Cluster) -> None:
    primary.kill()
    standby.promote()


@dataclass(frozen=True)
class LoadPlan:
    """How much load, for how long, and when the primary dies; ``retry_for`` is how long a client
    repeats a request (longer than the failover takes)."""

    nodes: int
    players: int
    seconds: float
    kill_after: float
    retry_for: float = load.RETRY_FOR_SECONDS


def plan_from_options(
    *,
    nodes: int,
    players: int,
    seconds: float,
    kill_after: float,
    quick: bool,
    quick_seconds: float,
    retry_for: float = load.RETRY_FOR_SECONDS,
) -> LoadPlan:
    """A failover drill's options as a plan; ``--quick``: 4 players, QUICK_SECONDS, the kill after 4 s."""
    if quick:
        players, seconds, kill_after = 4, quick_seconds, 4.0
    if kill_after >= seconds:
        raise typer.BadParameter("must be less than --seconds", param_hint="--kill-after")
    return LoadPlan(nodes=nodes, players=players, seconds=seconds, kill_after=kill_after, retry_for=retry_for)


def rehearse(
    report: DrillReport,
    *,
    folder: Path,
    url: str,
    fail_over: Callable[[], None],
    load_plan: LoadPlan,
    takeover: str = "promoted",
) -> None:
    """Migrate the database URL names, start Croupier nodes on it, play on every node, call FAIL_OVER
    (it breaks the primary and returns once another one is in place), and judge what players lost.

    Figures and promises go to REPORT; ``kill to TAKEOVER seconds`` is how long FAIL_OVER took.
    """
    keyring = Keyring.generate().to_json()
    env = drill_env(data_dir=folder / "data", database_url=url, keyring=keyring)
    migrated = croupier("db", "upgrade", env=env)
    if migrated.returncode != 0:
        raise _Broken(f"the migrations failed: {said(migrated)}")
    settings = load.drill_settings(url, keyring, folder / "data")
    with Nodes(
        load_plan.nodes, database_url=url, keyring=keyring, workdir=folder, extra_env=load.FAST_HASHING_ENV
    ) as fleet:
        fleet.start_all()
        enrolled = asyncio.run(load.enrol(settings, load_plan.players))
        shares = [enrolled[i :: len(fleet)] for i in range(len(fleet))]
        tokens = [
            asyncio.run(load.sign_in(node.url, share)) for node, share in zip(fleet, shares, strict=True)
        ]
        record = load.LoadRecord()
        killed, promoted, silence = asyncio.run(
            _load_through_failover(
                fleet=fleet, shares=shares, tokens=tokens, record=record, fail_over=fail_over, plan=load_plan
            )
        )
        report.measure("nodes", len(fleet))
        report.measure("players", load_plan.players)
        report.measure("load seconds", round(record.seconds, 1))
        report.measure("operations", record.operations)
        report.measure("acknowledged rounds", len(record.rounds))
        report.measure("failed after retries", len(record.failures))
        report.measure("retried operations", record.retried)
        if record.failures:
            report.measure("first failure", record.failures[0][:160])
        report.measure(f"kill to {takeover} seconds", round(promoted - killed, 3))
        report.measure("downtime seconds", round(silence, 2))
        _judge(report, asyncio.run(load.verify(settings, enrolled, record)))
        report.promise(
            not record.failures,
            f"{len(record.failures)} operation(s) failed despite the client's retries: {record.failures[:1]}",
        )
        report.promise(all(node.running for node in fleet), "a node died instead of reconnecting")
        report.promise(len(record.rounds) > 0, "no round was acknowledged at all")
    books = croupier("ledger", "check", env=env)
    report.measure("ledger check", "passed" if books.returncode == 0 else "FAILED")
    report.promise(books.returncode == 0, f"ledger check failed after failover: {said(books)}")
    audit = croupier("audit", "verify", env=env)
    report.measure("audit verify", audit.stdout.strip() if audit.returncode == 0 else "FAILED")
    report.promise(audit.returncode == 0, f"audit verify failed after failover: {said(audit)}")


def _start_pair(primary: Cluster, standby_dir: Path) -> Cluster:
    """The primary with a database, and its synchronous standby streaming from it."""
    primary.init()
    primary.start()
    primary.sql("CREATE DATABASE croupier")
    standby = primary.create_standby(standby_dir, name=STANDBY)
    standby.start()
    primary.require_synchronous([STANDBY])
    primary.wait_until("SELECT string_agg(sync_state, ',') FROM pg_stat_replication", "sync")
    return standby


def _judge(report: DrillReport, verdict: load.Verification) -> None:
    report.measure("acknowledged rounds lost", len(verdict.lost))
    report.measure("duplicate rounds", len(verdict.duplicates))
    report.promise(not verdict.lost, f"{len(verdict.lost)} acknowledged round(s) lost: {verdict.lost[:3]}")
    report.promise(
        not verdict.duplicates, f"{len(verdict.duplicates)} duplicate(s): {verdict.duplicates[:3]}"
    )
    report.promise(not verdict.phantoms, f"{len(verdict.phantoms)} round(s) nobody asked for")
    report.promise(not verdict.balances_off, f"balances off: {verdict.balances_off[:3]}")


class _Broken(CroupierError):
    code = "drill_step_failed"


async def _load_through_failover(
    *,
    fleet: Nodes,
    shares: list[list[load.Player]],
    tokens: list[list[str]],
    record: load.LoadRecord,
    fail_over: Callable[[], None],
    plan: LoadPlan,
) -> tuple[float, float, float]:
    """Load on every node; ``plan.kill_after`` seconds in, FAIL_OVER (in a thread: the load goes on)."""
    timeline = _Timeline(record)
    started = time.monotonic()
    players = [
        load.run_load(
            node.url, share, share_tokens, seconds=plan.seconds, record=record, retry_for=plan.retry_for
        )
        for node, share, share_tokens in zip(fleet, shares, tokens, strict=True)
    ]
    watching = asyncio.create_task(timeline.watch(started + plan.seconds))
    loading = asyncio.gather(*players)
    await asyncio.sleep(plan.kill_after)
    killed = time.monotonic()
    await asyncio.to_thread(fail_over)
    promoted = time.monotonic()
    await loading
    await watching
    record.seconds = time.monotonic() - started
    return killed, promoted, timeline.longest_silence


@app.command("failover")
def failover_drill(  # noqa: PLR0917 - one parameter per command-line option
    nodes: NodesOption = 2,
    players: PlayersOption = 8,
    seconds: Annotated[float, typer.Option(min=5, max=3600, help="How long the load runs.")] = 16.0,
    kill_after: Annotated[
        float, typer.Option(min=1, help="Seconds of load before the primary is killed.")
    ] = 5.0,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the clusters and logs for inspection.")] = False,
    quick: Annotated[
        bool, typer.Option("--quick", help="A short run for CI: 10 s of load, 4 players, kill after 4 s.")
    ] = False,
) -> None:
    """Kill the primary under load, promote its synchronous standby; count what players lost."""
    plan = plan_from_options(
        nodes=nodes, players=players, seconds=seconds, kill_after=kill_after, quick=quick, quick_seconds=10.0
    )
    print_and_exit(run(plan, keep=keep))
