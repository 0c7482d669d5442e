"""``croupier sanctions import|imports|screen|hits|clear``: lists in, players screened, hits decided.

Rules live in ``service``; these commands parse, call and print. The file is read
and checked in full before the database is touched: a bad file changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from croupier.audit.service import operator
from croupier.kit.client import ClientInfo
from croupier.kit.commands import refusals, run_command
from croupier.kit.runtime import Runtime
from croupier.risk.sanctions import service
from croupier.risk.sanctions.formats import ListFormat
from croupier.risk.sanctions.formats.read import read
from croupier.risk.sanctions.matching import Match, Subject
from croupier.risk.sanctions.models import HitStatus, SanctionsEntry, SanctionsHit, SanctionsImport

app = typer.Typer(no_args_is_help=True, help="Sanctions lists: import them, screen players, decide hits.")


@app.command("import")
def import_list(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The list as its publisher ships it.")],
    list_format: Annotated[
        ListFormat, typer.Option("--format", help="ofac-csv (sdn.csv), eu-xml or un-xml.")
    ],
    alt: Annotated[
        Path | None,
        typer.Option("--alt", help="OFAC's alt.csv (default: alt.csv beside sdn.csv, when there)."),
    ] = None,
) -> None:
    """Load a list, keep its provenance, and screen every player against what changed."""
    if alt is not None and list_format is not ListFormat.OFAC_CSV:
        raise typer.BadParameter("only the OFAC format has an alt.csv", param_hint="--alt")
    with refusals():
        listing = read(file, list_format, alt=alt)

    async def _work(runtime: Runtime) -> service.ImportReport:
        async with runtime.database.unit_of_work() as session:
            return await service.import_list(
                session,
                listing=listing,
                settings=runtime.settings,
                actor=operator(),
                client=ClientInfo.command_line(),
            )

    report = run_command(_work)
    typer.echo(
        f"imported {report.source} from {report.file_name} ({report.format}) "
        f"as list version {report.import_id}"
    )
    typer.echo(f"sha256 {report.sha256}")
    typer.echo(
        f"entries {report.total}: added {report.added}, changed {report.changed}, "
        f"removed {report.removed}, unchanged {report.unchanged}"
    )
    typer.echo(f"screened {report.players_screened} players against the changes: {report.hits} new hits")
    if report.open_hits_on_removed:
        typer.echo(
            f"note: {report.open_hits_on_removed} open hits refer to removed entries; "
            "they stay open until cleared"
        )


def _import_line(row: SanctionsImport) -> str:
    return (
        f"{row.id}\t{row.imported_at:%Y-%m-%d %H:%M:%S}\t{row.source}\t{row.format}\t{row.file_name}\t"
        f"sha256 {row.file_sha256}\ttotal {row.total} +{row.added} ~{row.changed} -{row.removed} "
        f"={row.unchanged}\thits {row.hits}\tby {row.imported_by}"
    )


@app.command("imports")
def imports(limit: Annotated[int, typer.Option(min=1, max=1000)] = 20) -> None:
    """Each import's provenance, newest first: version, time, source, file hash, counts."""

    async def _work(runtime: Runtime) -> list[str]:
        async with runtime.database.unit_of_work() as session:
            return [_import_line(r) for r in await service.imports(session, limit=limit)]

    for line in run_command(_work):
        typer.echo(line)


def _match_line(match: Match) -> str:
    return f"{match.score:.3f}\t{match.matched_name}\t{match.entry.entry_id}\t{' '.join(match.reasons)}"


@app.command("screen")
def screen(
    name: Annotated[str, typer.Argument(help="A full name, in any script.")],
    born: Annotated[str | None, typer.Option("--dob", help="Date of birth, YYYY-MM-DD.")] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-2 country.")] = None,
) -> None:
    """The best candidates for a name on the current lists (nothing is stored)."""
    try:
        date_of_birth = date.fromisoformat(born) if born else None
    except ValueError:
        raise typer.BadParameter("use YYYY-MM-DD", param_hint="--dob") from None
    subject = Subject(name=name, date_of_birth=date_of_birth, country=country.upper() if country else None)

    async def _work(runtime: Runtime) -> list[Match]:
        async with runtime.database.unit_of_work() as session:
            return await service.search(session, subject)

    found = run_command(_work)
    if not found:
        typer.echo("no candidates")
    for match in found:
        typer.echo(_match_line(match))


def _hit_line(hit: SanctionsHit, entry: SanctionsEntry) -> str:
    decided = f"\tcleared by {hit.cleared_by}: {hit.cleared_reason}" if hit.cleared_at else ""
    return (
        f"{hit.id}\t{hit.status}\t{'blocking' if hit.blocking else 'alert'}\t{hit.score:.3f}\t"
        f"player {hit.player_id}\t{entry.source}:{entry.source_id} {entry.name}"
        f"{' (removed from the list)' if entry.removed_at else ''}{decided}"
    )


@app.command("hits")
def hits(
    player: Annotated[uuid.UUID | None, typer.Option(help="Only this player's hits.")] = None,
    status: Annotated[HitStatus | None, typer.Option(help="open or cleared.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """Screening hits, newest first."""

    async def _work(runtime: Runtime) -> list[str]:
        async with runtime.database.unit_of_work() as session:
            rows = await service.hits(session, player_id=player, status=status, limit=limit)
            return [_hit_line(hit, entry) for hit, entry in rows]

    for line in run_command(_work):
        typer.echo(line)


@app.command("clear")
def clear(
    hit_id: Annotated[uuid.UUID, typer.Argument(metavar="HIT_ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why the player is not the listed person.")],
) -> None:
    """Clear a hit (audited): payments resume, and it is not raised again unless the entry changes."""
    if not reason.strip():
        raise typer.BadParameter("give a reason", param_hint="--reason")

    async def _work(runtime: Runtime) -> SanctionsHit:
        async with runtime.database.unit_of_work() as session:
            return await service.clear(
                session,
                hit_id=hit_id,
                reason=reason.strip(),
                actor=operator(),
                client=ClientInfo.command_line(),
            )

    hit = run_command(_work)
    typer.echo(f"cleared {hit.id} (player {hit.player_id})")
