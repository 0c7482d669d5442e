"""`croupier risk`: the risk engine's operations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from croupier.kit.commands import refusals, run_command
from croupier.kit.runtime import Runtime
from croupier.risk import evaluation

app = typer.Typer(no_args_is_help=True, help="Risk: fraud and AML detection, alerts and their quality.")


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
