"""``croupier oauth clients add|list|revoke``.

One-person commands, as the operator's others are: whoever runs them holds the database and
the keys already. Over the staff API, registering a client takes a second member of staff.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from croupier.audit.service import operator
from croupier.backoffice.oauth import service
from croupier.backoffice.oauth.models import OAuthClient
from croupier.backoffice.oauth.scopes import Scope, as_text
from croupier.kit.commands import run_command
from croupier.kit.runtime import Runtime

app = typer.Typer(no_args_is_help=True, help="The OAuth authorization server for machine clients.")
clients_app = typer.Typer(no_args_is_help=True, help="Register, list and revoke OAuth clients.")
app.add_typer(clients_app, name="clients")


def _describe(client: OAuthClient) -> str:
    state = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}" if client.revoked_at else "active"
    return (
        f"{client.client_id}\t{client.name}\t{client.auth_method}\t{as_text(client.scopes)}\t{state}"
        f"\tadded {client.created_at:%Y-%m-%d} by {client.created_by}"
    )


@clients_app.command("add")
def add(
    name: str,
    scope: Annotated[
        list[str], typer.Option(help=f"A scope it may ask for; repeat for more ({as_text(Scope)}).")
    ],
    jwk: Annotated[
        Path | None,
        typer.Option(
            help="Its public key (JWK or PEM): it authenticates with private_key_jwt instead of a secret.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ] = None,
) -> None:
    """Register a client; prints its client_id and, for a secret client, its secret: once."""
    public_key = jwk.read_text() if jwk is not None else None

    async def _work(runtime: Runtime) -> service.Registered:
        async with runtime.database.unit_of_work() as session:
            return await service.register(
                session, name=name, scopes=scope, public_key=public_key, actor=operator()
            )

    registered = run_command(_work)
    typer.echo(f"client_id\t{registered.client.client_id}")
    if registered.secret is not None:
        typer.echo(f"client_secret\t{registered.secret}")
        typer.echo("The secret is shown this once; Croupier keeps only its hash.", err=True)


@clients_app.command("list")
def listing() -> None:
    """Every client: id, name, how it authenticates, scopes, state (never a secret)."""

    async def _work(runtime: Runtime) -> list[str]:
        async with runtime.database.unit_of_work() as session:
            return [_describe(client) for client in await service.listing(session)]

    for line in run_command(_work):
        typer.echo(line)


@clients_app.command("revoke")
def revoke(client_id: str) -> None:
    """Revoke a client: it can no longer get tokens, and the ones it holds stop working at once."""

    async def _work(runtime: Runtime) -> None:
        async with runtime.database.unit_of_work() as session:
            await service.revoke_client(session, client_id=client_id, actor=operator())

    run_command(_work)
    typer.echo(f"revoked {client_id}")
