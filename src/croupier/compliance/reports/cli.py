"""``croupier reports ggr|players|rg|large-transactions --from DATE --to DATE --format csv|json``.

The report goes to standard output; a bad date, a range that ends before it starts
or an unknown report or format is a usage error (exit status 2). The operator (the
login name, or ``--by``) is the audit actor.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from croupier.audit.service import Actor, operator
from croupier.compliance.reports import service
from croupier.compliance.reports.render import ReportFormat, render
from croupier.compliance.reports.service import InvalidReportPeriod, Period, Report, ReportName
from croupier.kit.commands import run_command
from croupier.kit.runtime import Runtime


def reports(
    name: Annotated[
        ReportName, typer.Argument(metavar="REPORT", help="ggr, players, rg or large-transactions.")
    ],
    first: Annotated[
        datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First gaming day, YYYY-MM-DD.")
    ],
    last: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="Last gaming day, included.")],
    output: Annotated[ReportFormat, typer.Option("--format", help="csv or json.")] = ReportFormat.CSV,
    by: Annotated[str | None, typer.Option("--by", help="Who reads it (default: the login name).")] = None,
) -> None:
    """A regulator report over gaming days FROM to TO: gross gaming revenue (ggr), player
    activity (players), responsible-gambling interventions (rg) or large transactions."""
    period = _period(first.date(), last.date())
    actor = Actor.operator(by) if by else operator()

    async def _work(runtime: Runtime) -> Report:
        async with runtime.database.unit_of_work() as session:
            return await service.build(
                session, name=name, period=period, settings=runtime.settings, actor=actor
            )

    report = run_command(_work)
    if report.name == ReportName.RG:
        # On standard error, so the report itself stays plain CSV or JSON.
        typer.echo(f"rg sources: {', '.join(report.sources) or 'none registered'}", err=True)
    typer.echo(render(report, output), nl=False)


def _period(first: date, last: date) -> Period:
    try:
        return Period.of(first, last)
    except InvalidReportPeriod as exc:
        raise typer.BadParameter(exc.detail, param_hint="'--to'") from None
