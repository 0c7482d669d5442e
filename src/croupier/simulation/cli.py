"""`croupier simulate`: honest players and fraudsters on the real HTTP API, with ground-truth labels."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from croupier.kit.commands import fail
from croupier.kit.runtime import Runtime
from croupier.kit.settings import get_settings
from croupier.simulation import runner
from croupier.simulation.actors import Target
from croupier.simulation.population import (
    DEFAULT_REPORTING_THRESHOLD,
    MINIMUM_PLAYERS,
    PopulationTooSmall,
    plan_population,
)
from croupier.simulation.settle import Settled, wait_for_consumers

# The smallest password hashing settings allow: the simulation hashes a password for
# every registration and sign-in. Only applied to a server the simulation starts, and
# only where the caller did not choose.
_CHEAP_HASHING = {
    "CROUPIER_ARGON2_MEMORY_KIB": "19456",
    "CROUPIER_ARGON2_TIME_COST": "2",
    "CROUPIER_ARGON2_PARALLELISM": "1",
}


def simulate(
    *,
    players: Annotated[
        int, typer.Option(min=MINIMUM_PLAYERS, help="Accounts to create: honest players and fraudsters.")
    ],
    minutes: Annotated[
        float, typer.Option(min=0, help="Wall time the activity spreads over, in real time; 0: back to back.")
    ],
    labels: Annotated[
        Path,
        typer.Option(dir_okay=False, writable=True, help="Where to write the ground truth (JSON lines)."),
    ],
    seed: Annotated[int, typer.Option(help="The same seed plans the same population.")] = 1,
    url: Annotated[
        str | None, typer.Option(help="A running Croupier; unset, the simulation serves its own.")
    ] = None,
    psp_url: Annotated[
        str | None, typer.Option(help="With --url: its payment provider (default CROUPIER_PSP_URL).")
    ] = None,
    mailbox: Annotated[
        Path | None,
        typer.Option(
            file_okay=False, help="With --url: its development mailbox (default the data folder's)."
        ),
    ] = None,
    run_tag: Annotated[
        str | None,
        typer.Option(
            help="Part of every email address, so that runs on one database differ (default random)."
        ),
    ] = None,
    reporting_threshold: Annotated[
        int, typer.Option(min=100, help="EUR minor units that structuring keeps each deposit under.")
    ] = DEFAULT_REPORTING_THRESHOLD,
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Requests in flight at most.")] = (
        runner.DEFAULT_CONCURRENCY
    ),
    settle_timeout: Annotated[
        float,
        typer.Option(min=0, help="Own server: at most this long to wait for the event consumers."),
    ] = 300.0,
) -> None:
    """Drive the HTTP API with honest players and each fraud typology; write who was which to LABELS."""
    settings = get_settings()
    if not labels.parent.is_dir():
        raise typer.BadParameter(f"no folder {labels.parent}", param_hint="--labels")
    tag = run_tag or secrets.token_hex(3)
    if not tag.isascii() or not tag.isalnum() or len(tag) > 16:
        raise typer.BadParameter("letters and digits, at most 16", param_hint="--run-tag")
    try:
        plan = plan_population(
            seed=seed, players=players, minutes=minutes, run_tag=tag, reporting_threshold=reporting_threshold
        )
    except PopulationTooSmall as exc:
        raise typer.BadParameter(str(exc), param_hint="--players") from None
    typer.echo(
        f"simulating {plan.accounts} accounts in {len(plan.actors)} actors over {minutes:g} min "
        f"(seed {seed}, run tag {tag})"
    )

    async def _run() -> runner.Report:
        if url is not None:
            target = Target(
                base_url=url.rstrip("/"),
                psp_url=(psp_url or settings.psp_url).rstrip("/"),
                mailbox=mailbox or settings.mailbox_dir,
            )
            return await runner.run(plan, target, concurrency=concurrency)
        environment = {**_CHEAP_HASHING, **os.environ}
        async with runner.own_server(
            environment, mailbox=settings.mailbox_dir, log_folder=settings.data_dir
        ) as target:
            typer.echo(f"serving on {target.base_url}, provider {target.psp_url}")
            report = await runner.run(plan, target, concurrency=concurrency)
            # Alerts raised from events come a moment after the changes: let the consumers finish.
            runtime = await Runtime.start(settings)
            try:
                settled = await wait_for_consumers(runtime, within=settle_timeout)
            finally:
                await runtime.close()
            _say_settled(settled)
            return report

    try:
        report = asyncio.run(_run())
    except runner.ServerFailed as exc:
        fail(f"{exc} (its log is in {settings.data_dir})")
    runner.write_labels(labels, report.labels)
    _summarise(report, labels)
    if not report.labels:
        fail("no account was registered; is the server reachable and its mailbox the one given?")


def _say_settled(settled: Settled) -> None:
    if settled.pending is None:
        return
    if settled.pending == 0:
        typer.echo(f"event consumers caught up {settled.waited:.1f} s after the last actor")
    else:
        typer.echo(
            f"{settled.pending} event(s) still unhandled after {settled.waited:.0f} s: "
            "`croupier risk worker` handles them before `croupier risk evaluate`"
        )


def _summarise(report: runner.Report, labels: Path) -> None:
    by_typology = Counter(label.typology for label in report.labels)
    typer.echo(f"done in {report.seconds:.1f} s; {len(report.labels)} labels written to {labels}")
    for typology, count in sorted(by_typology.items()):
        typer.echo(f"  {typology:<18} {count}")
    typer.echo("requests (route, status, count):")
    for (route, status), count in sorted(report.traffic.requests.items()):
        typer.echo(f"  {route:<40} {status}  {count}")
    if report.refusals:
        typer.echo(f"{len(report.refusals)} actor(s) refused by the risk engine (403 risk_denied):")
        for actor, step in report.refusals:
            typer.echo(f"  {actor}: {step}")
    if report.failures:
        typer.echo(f"{len(report.failures)} actor(s) stopped early on an unexpected answer:")
        for actor, what in report.failures:
            typer.echo(f"  {actor}: {what}")
