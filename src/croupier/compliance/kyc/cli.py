"""``croupier kyc show|set-level``: the KYC desk from the command line.

Rules live in ``service``; these commands parse, call and print. Every read of a
player's personal data and every change is audited under the operator's name.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated

import typer

from croupier.audit.service import Actor, operator
from croupier.compliance.kyc import service
from croupier.compliance.kyc.models import KycLevel
from croupier.compliance.kyc.schemas import LevelView, StaffPlayerView
from croupier.kit.commands import run_command
from croupier.kit.runtime import Runtime

app = typer.Typer(no_args_is_help=True, help="Identity verification (KYC): show and set players' levels.")

PlayerId = Annotated[uuid.UUID, typer.Argument(metavar="PLAYER_ID")]
By = Annotated[str | None, typer.Option("--by", help="Who acts (default: the login name).")]


def _actor(by: str | None) -> Actor:
    return Actor.operator(by) if by else operator()


def _print(view: StaffPlayerView | LevelView) -> None:
    typer.echo(json.dumps(view.model_dump(mode="json"), sort_keys=True))


@app.command("show")
def show(player_id: PlayerId, by: By = None) -> None:
    """A player's level, checks and documents, with the personal data they rest on (audited), as JSON."""

    async def _work(runtime: Runtime) -> StaffPlayerView:
        async with runtime.database.unit_of_work() as session:
            view = await service.staff_view(session, player_id=player_id, actor=_actor(by))
            return StaffPlayerView.of(view)

    _print(run_command(_work))


@app.command("set-level")
def set_level(
    player_id: PlayerId,
    level: Annotated[KycLevel, typer.Argument(metavar="LEVEL", help="none, basic, full or enhanced.")],
    reason: Annotated[str, typer.Option("--reason", help="Why; kept in the audit trail.")],
    by: By = None,
) -> None:
    """Set a player's level after a review, or override it (audited, with a kyc_changed event)."""
    if not reason.strip():
        raise typer.BadParameter("say why", param_hint="--reason")

    async def _work(runtime: Runtime) -> LevelView:
        async with runtime.database.unit_of_work() as session:
            row = await service.set_level_by_staff(
                session, runtime.settings, player_id=player_id, level=level, reason=reason, actor=_actor(by)
            )
            return LevelView(player_id=row.player_id, level=KycLevel(row.level), updated_at=row.updated_at)

    _print(run_command(_work))
