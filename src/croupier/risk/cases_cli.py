"""`croupier risk alerts|cases|assign|review|escalate|note|close|precision|ltr|sar`.

The rules live in ``risk.casework`` and ``risk.reports``; these commands parse,
call and print: one JSON object per line (a case in full with ``cases CASE_ID``),
the large-transaction report as CSV or JSON, a suspicious activity report as XML.
The operator is the login name of whoever runs the command (or ``--by``), as the
audit actor and in the case's timeline.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer

from croupier.audit.service import Actor, operator
from croupier.kit.commands import run_command
from croupier.kit.runtime import Runtime
from croupier.risk import casework, reports
from croupier.risk.cases import CaseStatus, Disposition
from croupier.risk.casework import CaseDetail
from croupier.risk.schemas import AlertOut, CaseDetailOut, CaseOut, LargeTransactionOut, PrecisionOut
from croupier.risk.typologies import Typology

CaseId = Annotated[uuid.UUID, typer.Argument(metavar="CASE_ID")]
By = Annotated[str | None, typer.Option("--by", help="Who acts (default: the login name).")]
Limit = Annotated[int, typer.Option(min=1, max=1000)]


class ReportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


def _actor(by: str | None) -> Actor:
    return Actor.operator(by) if by else operator()


def _line(payload: object) -> None:
    typer.echo(json.dumps(payload, sort_keys=True))


def alerts(
    player_id: Annotated[uuid.UUID | None, typer.Option(help="Only this player's alerts.")] = None,
    status: Annotated[CaseStatus | None, typer.Option(help="Only alerts whose case has this status.")] = None,
    typology: Annotated[Typology | None, typer.Option(help="Only this typology.")] = None,
    limit: Limit = 100,
    by: By = None,
) -> None:
    """Alerts, newest first, one JSON object per line, each with the events behind it."""

    async def _work(runtime: Runtime) -> list[AlertOut]:
        async with runtime.database.unit_of_work() as session:
            page = await casework.alerts(
                session, actor=_actor(by), player_id=player_id, status=status, typology=typology, limit=limit
            )
            return [AlertOut.model_validate(a) for a in page.items]

    for alert in run_command(_work):
        _line(alert.model_dump(mode="json"))


def cases(
    case_id: Annotated[
        uuid.UUID | None, typer.Argument(metavar="[CASE_ID]", help="Show this case in full.")
    ] = None,
    status: Annotated[CaseStatus | None, typer.Option(help="Only cases with this status.")] = None,
    player_id: Annotated[uuid.UUID | None, typer.Option(help="Only this player's cases.")] = None,
    limit: Limit = 100,
    by: By = None,
) -> None:
    """Cases, most recently changed first, one per line; or one case with its alerts, notes and timeline."""

    async def _work(runtime: Runtime) -> list[dict[str, object]]:
        async with runtime.database.unit_of_work() as session:
            if case_id is not None:
                detail = await casework.case_detail(session, case_id=case_id, actor=_actor(by))
                return [CaseDetailOut.model_validate(detail).model_dump(mode="json")]
            found = await casework.cases(session, status=status, player_id=player_id, limit=limit)
            return [CaseOut.model_validate(c).model_dump(mode="json") for c in found]

    for payload in run_command(_work):
        _line(payload)


def _print_case(detail: CaseDetail) -> None:
    _line(CaseOut.model_validate(detail.case).model_dump(mode="json"))


def assign(
    case_id: CaseId, assignee: Annotated[str, typer.Argument(metavar="ASSIGNEE")], by: By = None
) -> None:
    """Give the case to an analyst."""

    async def _work(runtime: Runtime) -> CaseDetail:
        async with runtime.database.unit_of_work() as session:
            return await casework.assign(session, case_id=case_id, assignee=assignee, actor=_actor(by))

    _print_case(run_command(_work))


def _move(case_id: uuid.UUID, to: CaseStatus, reason: str | None, by: str | None) -> None:
    async def _work(runtime: Runtime) -> CaseDetail:
        async with runtime.database.unit_of_work() as session:
            return await casework.move(session, case_id=case_id, to=to, actor=_actor(by), reason=reason)

    _print_case(run_command(_work))


Reason = Annotated[str | None, typer.Option(help="Why (kept in the timeline).")]


def review(case_id: CaseId, reason: Reason = None, by: By = None) -> None:
    """Move the case into review."""
    _move(case_id, CaseStatus.IN_REVIEW, reason, by)


def escalate(case_id: CaseId, reason: Reason = None, by: By = None) -> None:
    """Escalate the case (to the MLRO)."""
    _move(case_id, CaseStatus.ESCALATED, reason, by)


def note(case_id: CaseId, text: Annotated[str, typer.Argument(metavar="TEXT")], by: By = None) -> None:
    """Add a note to the case's timeline."""

    async def _work(runtime: Runtime) -> CaseDetail:
        async with runtime.database.unit_of_work() as session:
            return await casework.add_note(session, case_id=case_id, text=text, actor=_actor(by))

    _print_case(run_command(_work))


def close(
    case_id: CaseId,
    disposition: Annotated[Disposition, typer.Option(help="What the case turned out to be.")],
    reason: Annotated[str, typer.Option(help="Why (kept with the disposition).")],
    by: By = None,
) -> None:
    """Close the case with a disposition; the next alert about the player opens a new case."""

    async def _work(runtime: Runtime) -> CaseDetail:
        async with runtime.database.unit_of_work() as session:
            return await casework.close(
                session, case_id=case_id, disposition=disposition, reason=reason, actor=_actor(by)
            )

    _print_case(run_command(_work))


def precision() -> None:
    """Per alert source and typology: alerts of closed cases confirmed against false positives."""

    async def _work(runtime: Runtime) -> list[casework.Precision]:
        async with runtime.database.unit_of_work() as session:
            return await casework.precision(session)

    for row in run_command(_work):
        _line(PrecisionOut.model_validate(row).model_dump(mode="json"))


_LTR_COLUMNS = ("gaming_day", *LargeTransactionOut.model_fields)


def ltr(
    day: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="The gaming day, YYYY-MM-DD.")],
    output: Annotated[ReportFormat, typer.Option("--format", help="csv or json.")] = ReportFormat.CSV,
    by: By = None,
) -> None:
    """The gaming day's large-transaction report: cash in and out per player at or above the threshold."""

    async def _work(runtime: Runtime) -> reports.LargeTransactionReport:
        async with runtime.database.unit_of_work() as session:
            return await reports.large_transactions(
                session, day=day.date(), settings=runtime.settings, actor=_actor(by)
            )

    report = run_command(_work)
    rows = [LargeTransactionOut.model_validate(r).model_dump(mode="json") for r in report.rows]
    if output == ReportFormat.JSON:
        window = report.gaming_day
        _line(
            {
                "gaming_day": window.day.isoformat(),
                "starts_at": window.start.isoformat(),
                "ends_at": window.end.isoformat(),
                "rows": rows,
            }
        )
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_LTR_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({"gaming_day": report.gaming_day.day.isoformat(), **row})
    typer.echo(buffer.getvalue(), nl=False)


def sar(case_id: CaseId, by: By = None) -> None:
    """The case as a goAML-style suspicious activity report, XML on standard output."""

    async def _work(runtime: Runtime) -> bytes:
        async with runtime.database.unit_of_work() as session:
            return await reports.suspicious_activity_report(
                session, case_id=case_id, settings=runtime.settings, actor=_actor(by)
            )

    document = run_command(_work)
    sys.stdout.buffer.write(document + b"\n")
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    """Add these commands to the ``croupier risk`` group."""
    for command in (alerts, cases, assign, review, escalate, note, close, precision, ltr, sar):
        app.command(command.__name__)(command)
