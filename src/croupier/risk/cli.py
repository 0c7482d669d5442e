"""`croupier risk`: the event worker, the risk desk (alerts, cases, AML reports), the engine's
rule sets (`rules list|show|add|remove|publish`) and the backtest.

The rules live in ``risk.rulesets``; these commands parse, call and print JSON. The
operator is the login name of whoever runs the command (or ``--by``), as the audit actor.
A malformed rule is refused with its reason and exit status 1.
"""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.service import Actor, operator
from croupier.events.delivery import EventDelivery
from croupier.kit.commands import fail, refusals, run_command
from croupier.kit.ops import start_metrics_listener
from croupier.kit.runtime import Runtime
from croupier.kit.settings import get_settings
from croupier.risk import cases_cli, evaluation, rulesets
from croupier.risk.rule_schemas import BacktestReport, RuleSetView
from croupier.risk.rules import RuleSpec

app = typer.Typer(
    no_args_is_help=True, help="Risk: the event worker, alerts, cases, AML reports, rule sets, backtests."
)
cases_cli.register(app)
rules_app = typer.Typer(no_args_is_help=True, help="Rule sets: versioned rules over the engine's features.")
app.add_typer(rules_app, name="rules")

By = Annotated[str | None, typer.Option("--by", help="Who changes it (default: the login name).")]
SetName = Annotated[str, typer.Argument(metavar="RULESET", help="The rule set's name, e.g. default.")]


@app.command()
def worker(
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Log at info level (default: warnings).")
    ] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            min=1,
            max=65535,
            help="Serve /metrics (the consumer lag among them) on CROUPIER_METRICS_HOST:PORT.",
        ),
    ] = None,
) -> None:
    """Deliver domain events to the risk handlers until stopped (SIGTERM or Ctrl-C).

    Run as many as needed, on any machine that reaches the database (or the NATS
    server, with CROUPIER_EVENT_BUS): they share the players between them. Set
    CROUPIER_EVENT_CONSUMER=off on the API processes when workers run.
    """
    if metrics_port is not None:
        start_metrics_listener(get_settings().model_copy(update={"metrics_port": metrics_port}))

    async def _work(runtime: Runtime) -> None:
        delivery = EventDelivery.for_runtime(runtime, consume=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await delivery.start()
        names = ", ".join(sorted(delivery.handlers)) or "none registered"
        typer.echo(f"event worker started; handlers: {names}")
        try:
            await stop.wait()
        finally:
            await delivery.stop()
        typer.echo("event worker stopped")

    run_command(_work, quiet=not verbose)


def _actor(by: str | None) -> Actor:
    return Actor.operator(by) if by else operator()


def _print(model: BaseModel) -> None:
    typer.echo(json.dumps(model.model_dump(mode="json"), sort_keys=True))


@rules_app.command("list")
def list_sets() -> None:
    """Every rule set version (name, version, status, rule count), one JSON object per line."""

    async def _work(runtime: Runtime) -> list[RuleSetView]:
        async with runtime.database.unit_of_work() as session:
            return await rulesets.list_sets(session)

    for view in run_command(_work):
        typer.echo(
            json.dumps(
                {"name": view.name, "version": view.version, "status": view.status, "rules": len(view.rules)}
            )
        )


@rules_app.command("show")
def show(
    name: SetName, version: Annotated[int | None, typer.Option(help="Default: the latest.")] = None
) -> None:
    """A rule set version with its rules, as JSON."""

    async def _work(runtime: Runtime) -> RuleSetView:
        async with runtime.database.unit_of_work() as session:
            return await rulesets.show(session, name=name, version=version)

    _print(run_command(_work))


def _params(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        fail("--params must be a JSON object.")
    if not isinstance(value, dict):
        fail("--params must be a JSON object.")
    return value


@rules_app.command("add")
def add(  # noqa: PLR0917 - one parameter per command-line option
    name: SetName,
    rule: Annotated[str, typer.Option("--rule", help="The rule's name (an existing one is replaced).")],
    typology: Annotated[str, typer.Option(help="account_takeover, multi_accounting, structuring …")],
    expression: Annotated[str, typer.Option(help="An expression over features and params.")],
    on: Annotated[
        list[str], typer.Option("--on", help="A trigger: decide:<action> or event:<kind>; repeatable.")
    ],
    params: Annotated[str, typer.Option(help="Thresholds as a JSON object.")] = "{}",
    action: Annotated[str, typer.Option(help="review or deny.")] = "review",
    score: Annotated[float, typer.Option(help="0..1")] = 0.5,
    mode: Annotated[str, typer.Option(help="active or shadow.")] = "active",
    description: Annotated[str, typer.Option(help="What the rule looks for.")] = "",
    by: By = None,
) -> None:
    """Add (or replace) a rule in the set's draft; a new version when none is open."""
    spec = RuleSpec(
        name=rule,
        typology=typology,
        triggers=list(on),
        expression=expression,
        params=_params(params),
        action=action,
        score=score,
        mode=mode,
        description=description,
    )

    async def _work(runtime: Runtime) -> RuleSetView:
        async with runtime.database.unit_of_work() as session:
            return await rulesets.put_rule(session, set_name=name, spec=spec, actor=_actor(by))

    _print(run_command(_work))


@rules_app.command("remove")
def remove(name: SetName, rule: Annotated[str, typer.Argument(metavar="RULE")], by: By = None) -> None:
    """Remove a rule from the set's draft."""

    async def _work(runtime: Runtime) -> RuleSetView:
        async with runtime.database.unit_of_work() as session:
            return await rulesets.remove_rule(session, set_name=name, rule_name=rule, actor=_actor(by))

    _print(run_command(_work))


@rules_app.command("publish")
def publish(name: SetName, by: By = None) -> None:
    """Make the set's draft the active rule set."""

    async def _work(runtime: Runtime) -> RuleSetView:
        async with runtime.database.unit_of_work() as session:
            return await rulesets.publish(session, set_name=name, actor=_actor(by))

    _print(run_command(_work))


def _ruleset_ref(raw: str) -> tuple[str, int | None]:
    name, _, version = raw.partition("@")
    if version and not version.isdigit():
        fail("RULESET is a name, or name@version.")
    return name, int(version) if version else None


@app.command("backtest")
def backtest(
    ruleset: Annotated[str, typer.Argument(metavar="RULESET", help="name or name@version")],
    since: Annotated[datetime, typer.Option(help="Replay events from this date (UTC).")],
) -> None:
    """Replay stored events through a fresh feature state: what RULESET would have decided."""
    name, version = _ruleset_ref(ruleset)
    start = since if since.tzinfo else since.replace(tzinfo=UTC)

    # The backtest scores with the anomaly model: river (a second to import) for this command only.
    from croupier.risk.backtest import backtest as run_backtest

    async def _work(runtime: Runtime) -> BacktestReport:
        async with (
            runtime.database.engine.connect() as connection,
            AsyncSession(bind=connection, expire_on_commit=False) as session,
        ):
            try:
                return await run_backtest(session, runtime.settings, name=name, version=version, since=start)
            finally:
                await session.rollback()

    _print(run_command(_work))


@app.command("evaluate")
def evaluate(
    labels: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="Ground truth, e.g. from `croupier simulate`."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object instead of a table.")] = False,
) -> None:
    """Precision and recall of the alerts per typology, against labelled players."""
    with refusals():
        truth = evaluation.read_labels(labels)

    async def _work(runtime: Runtime) -> evaluation.Evaluation:
        async with runtime.database.unit_of_work() as session:
            return await evaluation.evaluate(session, truth=truth)

    result = run_command(_work)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "players": result.players,
                    "honest": result.honest,
                    "typologies": [s.as_dict() for s in result.scores[:-1]],
                    "overall": result.overall.as_dict(),
                },
                sort_keys=True,
            )
        )
        return
    typer.echo(f"{result.players} labelled players, {result.honest} honest")
    typer.echo(
        f"{'typology':<18} {'labelled':>8} {'alerted':>8} {'detected':>8} {'precision':>9} {'recall':>7}"
    )
    for row in result.scores:
        typer.echo(
            f"{row.typology:<18} {row.labelled:>8} {row.alerted:>8} {row.detected:>8} "
            f"{_ratio(row.precision):>9} {_ratio(row.recall):>7}"
        )


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
