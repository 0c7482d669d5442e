"""`croupier fairness verify`: recompute a round from its revealed seeds, offline."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from croupier.games import fairness
from croupier.games.errors import GameError
from croupier.games.verify import verify_round
from croupier.kit.commands import fail

app = typer.Typer(no_args_is_help=True, help="Provably fair rounds: verify.")


@app.callback()
def fairness_commands() -> None:
    """Provably fair rounds: verify."""


@app.command("verify")
def verify(  # noqa: PLR0917 - one parameter per command-line option
    game: Annotated[str, typer.Argument(help="dice, roulette, slots or blackjack")],
    server_seed: Annotated[str, typer.Option(help="The revealed server seed (64 hex characters).")],
    client_seed: Annotated[str, typer.Option(help="The client seed the round used.")],
    nonce: Annotated[int, typer.Option(min=0, help="The round's nonce.")],
    bet: Annotated[
        str,
        typer.Option(help='The bet as JSON, e.g. \'{"stake": 100, "target": 49.5, "direction": "under"}\'.'),
    ],
    action: Annotated[list[str] | None, typer.Option(help="Blackjack: each action in order.")] = None,
) -> None:
    """Print the seed's hash and the round's outcome as JSON (no database, no network)."""
    try:
        outcome = verify_round(
            game, server_seed, client_seed, nonce, bet=json.loads(bet), actions=action or []
        )
    except json.JSONDecodeError:
        raise typer.BadParameter("not JSON", param_hint="--bet") from None
    except GameError as exc:
        fail(exc.message)
    typer.echo(
        json.dumps(
            {"server_seed_hash": fairness.hash_server_seed(server_seed), **outcome.to_json()}, sort_keys=True
        )
    )
