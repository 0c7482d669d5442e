"""`croupier players`: an operator disables, enables, finds or looks at an account.

Rules live in ``identity.account``; these commands only parse, call and print.
The operator is the login name of whoever runs the command, as the audit actor.
"""

from __future__ import annotations

import getpass
import uuid
from typing import Annotated

import typer

from croupier.audit.service import Actor
from croupier.identity import players, repository
from croupier.identity.account import service as account
from croupier.kit.client import ClientInfo
from croupier.kit.commands import fail, run_command
from croupier.kit.runtime import Runtime

app = typer.Typer(no_args_is_help=True, help="Player accounts: disable, enable, find, show.")


def _operator() -> Actor:
    return Actor.operator(getpass.getuser())


PlayerId = Annotated[uuid.UUID, typer.Argument(metavar="PLAYER_ID", help="The player's id (a UUID).")]


@app.command()
def disable(
    player_id: PlayerId,
    reason: Annotated[str, typer.Option("--reason", help="Why; kept in the audit log.")],
) -> None:
    """Stop the player signing in and end all of their sessions."""
    if not reason.strip():
        raise typer.BadParameter("give a reason", param_hint="--reason")

    async def _work(runtime: Runtime) -> account.StatusChange:
        async with runtime.database.unit_of_work() as session:
            return await account.disable(
                session,
                player_id=player_id,
                reason=reason.strip()[:500],
                actor=_operator(),
                client=ClientInfo.command_line(),
            )

    result = run_command(_work)
    state = "disabled" if result.changed else "was already disabled"
    typer.echo(f"player {player_id} {state}; {result.sessions_ended} session(s) ended")


@app.command()
def enable(player_id: PlayerId) -> None:
    """Let a disabled player sign in again."""

    async def _work(runtime: Runtime) -> account.StatusChange:
        async with runtime.database.unit_of_work() as session:
            return await account.enable(
                session, player_id=player_id, actor=_operator(), client=ClientInfo.command_line()
            )

    result = run_command(_work)
    typer.echo(f"player {player_id} {'enabled' if result.changed else 'was already active'}")


@app.command()
def show(player_id: PlayerId) -> None:
    """Status, activity and second factors; no personal data, no secrets."""

    async def _work(runtime: Runtime) -> account.AccountSummary:
        async with runtime.database.unit_of_work() as session:
            return await account.summary(session, player_id=player_id)

    _print_summary(run_command(_work))


@app.command()
def find(
    email: Annotated[str, typer.Option("--email", metavar="ADDRESS", help="The player's email address.")],
) -> None:
    """Look a player up by email address (through its blind index); prints what `show` prints."""

    async def _work(runtime: Runtime) -> account.AccountSummary | None:
        async with runtime.database.unit_of_work() as session:
            # The same look-up as signing in: the address is never stored in the clear.
            player = await repository.player_by_email_index(session, players.email_key(session, email))
            return None if player is None else await account.summary(session, player_id=player.id)

    found = run_command(_work)
    if found is None:
        fail("no player has this email address")
    _print_summary(found)


def _print_summary(found: account.AccountSummary) -> None:
    rows = {
        "id": str(found.id),
        "status": found.status,
        "country": found.country,
        "created": found.created_at.isoformat(timespec="seconds"),
        "last sign-in": found.last_sign_in_at.isoformat(timespec="seconds")
        if found.last_sign_in_at
        else "never",
        "password changed": found.password_changed_at.isoformat(timespec="seconds"),
        "active sessions": str(found.active_sessions),
        "second factors": ", ".join(found.mfa_methods) or "none",
    }
    for label, value in rows.items():
        typer.echo(f"{label + ':':<18} {value}")
