"""``croupier rg show PLAYER_ID``: the compliance desk's view of a player's responsible gambling.

The same content as ``GET /v1/staff/rg/players/{id}``, as text or JSON; every read is
audited under the operator's name (the login name, or ``--by``).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer

from croupier.audit.service import Actor, operator
from croupier.compliance.responsible import staff
from croupier.compliance.responsible.exclusions.schemas import ExclusionView
from croupier.compliance.responsible.schemas import LimitView
from croupier.compliance.responsible.staff_schemas import StaffRgView
from croupier.kit.commands import run_command
from croupier.kit.runtime import Runtime

app = typer.Typer(no_args_is_help=True, help="Responsible gambling: a player's standing, for compliance.")


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"


@app.command("show")
def show(
    player_id: Annotated[uuid.UUID, typer.Argument(metavar="PLAYER_ID")],
    output: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.TEXT,
    by: Annotated[str | None, typer.Option("--by", help="Who reads it (default: the login name).")] = None,
) -> None:
    """A player's exclusions, limits and their history, the register's last answer, reality-check
    settings and latest markers of harm (audited)."""
    actor = Actor.operator(by) if by else operator()

    async def _work(runtime: Runtime) -> StaffRgView:
        settings = runtime.settings
        async with runtime.database.unit_of_work() as session:
            view = await staff.staff_view(session, settings, player_id=player_id, actor=actor)
            return StaffRgView.of(view, cooling_off_hours=settings.rg_cooling_off_hours)

    view = run_command(_work)
    if output is Format.JSON:
        typer.echo(json.dumps(view.model_dump(mode="json"), sort_keys=True))
    else:
        typer.echo("\n".join(render_text(view)))


def _at(moment: datetime | None, none: str = "-") -> str:
    return none if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z"


def _amount(amount: int | None) -> str:
    return "none" if amount is None else str(amount)


def _section(title: str, rows: list[str]) -> list[str]:
    return ["", f"{title}:", *(f"  {row}" for row in rows or ["none"])]


def _exclusion(e: ExclusionView) -> str:
    returned = f"return asked {_at(e.return_requested_at)}" if e.return_requested_at else "no return asked"
    ends = _at(e.ends_at, "indefinite")
    return f"{e.kind}\t{e.period or '-'}\t{e.state}\tfrom {_at(e.started_at)}\tto {ends}\t{returned}"


def _limit(limit: LimitView) -> str:
    line = f"{limit.currency}\t{limit.kind}\t{limit.period}\t{_amount(limit.amount)}"
    if limit.pending is None:
        return line
    asked = "removal" if limit.pending.removal else _amount(limit.pending.amount)
    return (
        f"{line}\tpending {asked} asked {_at(limit.pending.requested_at)},"
        f" confirmable from {_at(limit.pending.confirmable_at)}"
    )


def render_text(view: StaffRgView) -> list[str]:
    """Sections a person reads top to bottom: the standing first, the history after. Times in UTC."""
    if view.gambling_blocked:
        standing = f"blocked until {_at(view.blocked_until, 'no end yet')}"
    else:
        standing = "free to gamble"
    register = view.national_register
    checks = view.reality_check
    every = "none" if checks.interval_minutes is None else f"every {checks.interval_minutes} min"
    return [
        f"player {view.player_id}",
        f"gambling: {standing}",
        "national register: "
        + ("never asked" if register is None else f"{register.answer} at {_at(register.checked_at)}")
        + ("" if register is None else f" ({register.trigger})"),
        f"reality checks: {every}, last acknowledged {_at(checks.acknowledged_at, 'never')}",
        *_section("exclusions", [_exclusion(e) for e in view.exclusions]),
        *_section(f"limits (cooling-off {view.cooling_off_hours} h)", [_limit(lim) for lim in view.limits]),
        *_section(
            "limit history",
            [
                f"{_at(c.at)}\t{c.currency}\t{c.kind}\t{c.period}\t{c.change}"
                f"\t{_amount(c.previous)} -> {_amount(c.amount)}"
                for c in view.limit_changes
            ],
        ),
        *_section(
            "harm markers (newest first)",
            [
                f"{_at(m.occurred_at)}\t{m.marker}\t{json.dumps(m.details, sort_keys=True)}"
                for m in view.harm_markers
            ],
        ),
    ]
