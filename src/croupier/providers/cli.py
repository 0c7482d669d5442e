"""`croupier providers`: register game studios and aggregators, their games and stake limits,
and issue game tokens for their integration tests.

Rules live in ``providers.registry`` and ``providers.tokens``; these commands
parse, call and print. The operator is the login name of whoever runs the
command (or ``--by``), as the audit actor.
"""

from __future__ import annotations

import getpass
import json
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer

from croupier.audit.service import Actor
from croupier.kit.commands import run_command
from croupier.kit.runtime import Runtime
from croupier.providers import registry, tokens
from croupier.providers.hub88 import signature

app = typer.Typer(no_args_is_help=True, help="Third-party game providers (Hub88 seamless wallet).")

Name = Annotated[str, typer.Argument(metavar="NAME", help="The provider's name, e.g. `acme-studio`.")]
By = Annotated[str | None, typer.Option("--by", help="Who does it (default: the login name).")]
MaxStake = Annotated[
    list[str] | None,
    typer.Option(
        "--max-stake",
        metavar="CUR:AMOUNT",
        help="Largest stake in a currency, e.g. EUR:100.00 (repeat per currency).",
    ),
]


def _actor(by: str | None) -> Actor:
    return Actor.operator(by or getpass.getuser())


def _stake_limits(specs: list[str] | None) -> dict[str, Decimal]:
    limits: dict[str, Decimal] = {}
    for spec in specs or []:
        currency, _, amount = spec.partition(":")
        try:
            limits[currency.strip().upper()] = Decimal(amount.strip())
        except InvalidOperation:
            raise typer.BadParameter(f"{spec!r} is not CUR:AMOUNT", param_hint="--max-stake") from None
    return limits


@app.command()
def add(
    name: Name,
    public_key: Annotated[
        Path,
        typer.Option(
            "--public-key",
            exists=True,
            dir_okay=False,
            readable=True,
            help="The provider's RSA public key (PEM) that verifies its X-Hub88-Signature.",
        ),
    ],
    game: Annotated[
        list[str] | None, typer.Option("--game", metavar="CODE", help="A game it offers (repeat per game).")
    ] = None,
    max_stake: MaxStake = None,
    by: By = None,
) -> None:
    """Register a provider that calls the Hub88 operator Wallet API."""
    pem = public_key.read_bytes()

    async def _work(runtime: Runtime) -> str:
        async with runtime.database.unit_of_work() as session:
            await registry.add(
                session,
                name=name,
                public_key_pem=pem,
                games=game or [],
                stake_limits=_stake_limits(max_stake),
                actor=_actor(by),
            )
        # The base a provider appends its calls to (`user/info`, `transaction/bet` …).
        return runtime.settings.public_url.rstrip("/") + registry.wallet_path(name) + "/"

    url = run_command(_work)
    typer.echo(f"provider {name} added; its wallet base URL is {url}")
    typer.echo(f"public key sha256 {signature.fingerprint(pem)} (check it with the provider)")


@app.command("list")
def listing() -> None:
    """Each provider: state, wallet path, stake limits and games."""

    async def _work(runtime: Runtime) -> list[registry.ProviderView]:
        async with runtime.database.unit_of_work() as session:
            return await registry.listing(session)

    for provider in run_command(_work):
        limits = ", ".join(f"{currency} {amount}" for currency, amount in provider.stake_limits.items())
        state = "enabled" if provider.enabled else "disabled"
        typer.echo(
            f"{provider.name}\t{provider.protocol}\t{state}\t{provider.wallet_path}"
            f"\tmax stake: {limits or 'none'}\tgames: {', '.join(provider.games) or 'none'}"
        )


@app.command()
def games(
    name: Name,
    codes: Annotated[list[str], typer.Argument(metavar="CODE...", help="Game codes to add.")],
    by: By = None,
) -> None:
    """Add games to a provider."""

    async def _work(runtime: Runtime) -> list[str]:
        async with runtime.database.unit_of_work() as session:
            return await registry.add_games(session, name=name, games=codes, actor=_actor(by))

    typer.echo(f"{name}: added {', '.join(run_command(_work))}")


@app.command()
def limits(
    name: Name,
    max_stake: MaxStake = None,
    by: By = None,
) -> None:
    """Replace a provider's stake limits; with no --max-stake, remove them all."""

    async def _work(runtime: Runtime) -> dict[str, int]:
        async with runtime.database.unit_of_work() as session:
            return await registry.set_stake_limits(
                session, name=name, stake_limits=_stake_limits(max_stake), actor=_actor(by)
            )

    applied = run_command(_work)
    typer.echo(f"{name}: max stake {json.dumps(applied, sort_keys=True)} (minor units)")


def _set_enabled(name: str, enabled: bool, by: str | None) -> None:
    async def _work(runtime: Runtime) -> bool:
        async with runtime.database.unit_of_work() as session:
            return await registry.set_enabled(session, name=name, enabled=enabled, actor=_actor(by))

    changed = run_command(_work)
    state = "enabled" if enabled else "disabled"
    typer.echo(f"{name} {state}" if changed else f"{name} was already {state}")


@app.command()
def disable(name: Name, by: By = None) -> None:
    """Refuse the provider's calls (RS_ERROR_INVALID_PARTNER) and launches of its games."""
    _set_enabled(name, False, by)


@app.command()
def enable(name: Name, by: By = None) -> None:
    """Accept the provider's calls again."""
    _set_enabled(name, True, by)


@app.command()
def token(
    player_id: Annotated[uuid.UUID, typer.Argument(metavar="PLAYER_ID", help="The player's id (a UUID).")],
    provider: Annotated[str, typer.Option("--provider", help="The provider's name.")],
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 code, e.g. EUR.")],
    game: Annotated[str | None, typer.Option("--game", metavar="CODE", help="One of its games.")] = None,
    by: By = None,
) -> None:
    """Issue a game token for a provider's integration tests; prints JSON {user, token, currency}."""

    async def _work(runtime: Runtime) -> tokens.IssuedToken:
        async with runtime.database.unit_of_work() as session:
            return await tokens.issue_for_testing(
                session,
                provider_name=provider,
                player_id=player_id,
                currency=currency.upper(),
                game_code=game,
                actor=_actor(by),
            )

    issued = run_command(_work)
    typer.echo(json.dumps({"user": issued.user, "token": issued.token, "currency": issued.currency}))
