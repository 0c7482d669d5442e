"""`croupier wallet` (an operator adjusts or looks at a player's money) and `croupier ledger expire-holds`.

Rules live in ``wallet.adjustments`` and ``wallet.service``; these commands only
parse, call and print. `croupier ledger check` is composed in ``croupier.cli``,
since the books check covers the payment records too. The operator is the login name of
whoever runs the command, as the audit actor.
"""

from __future__ import annotations

import getpass
import uuid
from typing import Annotated

import typer

from croupier.audit.service import Actor
from croupier.kit.client import ClientInfo
from croupier.kit.commands import run_command
from croupier.kit.runtime import Runtime
from croupier.wallet import adjustments
from croupier.wallet import service as wallet
from croupier.wallet.service import format_minor

app = typer.Typer(no_args_is_help=True, help="Player balances: show, adjust.")
ledger_app = typer.Typer(no_args_is_help=True, help="The ledger's holds: expire them.")

PlayerId = Annotated[uuid.UUID, typer.Argument(metavar="PLAYER_ID", help="The player's id (a UUID).")]


@app.command(context_settings={"ignore_unknown_options": True})
def adjust(
    player_id: PlayerId,
    amount: Annotated[
        int, typer.Argument(help="Minor units (cents): positive credits the player, negative debits.")
    ],
    currency: Annotated[str, typer.Argument(help="ISO 4217 code, e.g. EUR.")],
    reason: Annotated[str, typer.Option("--reason", help="Why; kept in the ledger and the audit log.")],
    key: Annotated[
        str | None,
        typer.Option("--key", help="Idempotency key: run again with the same key to retry safely."),
    ] = None,
) -> None:
    """Credit or debit a player's cash against the house adjustments account."""
    if not reason.strip():
        raise typer.BadParameter("give a reason", param_hint="--reason")
    idempotency_key = key or str(uuid.uuid4())
    code = currency.upper()

    async def _work(runtime: Runtime) -> tuple[wallet.TransferResult, int, list[wallet.Balance]]:
        async with runtime.database.unit_of_work() as session:
            result = await adjustments.adjust(
                session,
                player_id=player_id,
                amount=amount,
                currency=code,
                reason=reason,
                key=idempotency_key,
                actor=Actor.operator(getpass.getuser()),
                client=ClientInfo.command_line(),
            )
            exponent = await wallet.exponent(session, code)
            return result, exponent, await wallet.balances(session, player_id=player_id)

    result, exponent, balances = run_command(_work)
    verb = "credited" if amount > 0 else "debited"
    again = " (already done with this key; nothing moved)" if result.replayed else ""
    typer.echo(f"{verb} {format_minor(abs(amount), exponent)} {code} {player_id}{again}")
    typer.echo(f"transfer {result.id}, key {idempotency_key}")
    for balance in balances:
        if balance.currency == code:
            typer.echo(f"available {format_minor(balance.available, exponent)} {code}")


@app.command()
def balance(player_id: PlayerId) -> None:
    """The player's balances per currency: available, held, bonus."""

    async def _work(runtime: Runtime) -> list[tuple[wallet.Balance, int]]:
        async with runtime.database.unit_of_work() as session:
            return [
                (b, await wallet.exponent(session, b.currency))
                for b in await wallet.balances(session, player_id=player_id)
            ]

    rows = run_command(_work)
    if not rows:
        typer.echo(f"player {player_id} has no money in any currency")
        return
    typer.echo(f"{'currency':<9}{'available':>20}{'held':>20}{'bonus':>20}")
    for b, exponent in rows:
        typer.echo(
            f"{b.currency:<9}{format_minor(b.available, exponent):>20}"
            f"{format_minor(b.held, exponent):>20}{format_minor(b.bonus, exponent):>20}"
        )


@ledger_app.command("expire-holds")
def expire_holds(
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Holds per transaction.")] = 1000,
) -> None:
    """Release every pending hold past its expiry, in batches."""

    async def _work(runtime: Runtime) -> int:
        total = 0
        while True:
            async with runtime.database.unit_of_work() as session:
                done = await wallet.expire_holds(session, limit=batch)
            total += done
            if done < batch:
                return total

    typer.echo(f"expired {run_command(_work)} hold(s)")
