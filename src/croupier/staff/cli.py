"""``croupier staff keys issue|revoke|list``."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from croupier.kit.commands import run_command
from croupier.kit.runtime import Runtime
from croupier.staff import service
from croupier.staff.models import StaffKey
from croupier.staff.service import StaffRole

app = typer.Typer(no_args_is_help=True, help="Staff keys for the operating API.")
keys_app = typer.Typer(no_args_is_help=True, help="Issue, revoke and list staff keys.")
app.add_typer(keys_app, name="keys")


def _describe(key: StaffKey) -> str:
    state = "revoked" if key.revoked_at else "active"
    used = f"last used {key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never used"
    return f"{key.name}\t{key.role}\t{state}\tissued {key.created_at:%Y-%m-%d} by {key.issued_by}\t{used}"


def _operator(by: str | None) -> str:
    return by or getpass.getuser()


@keys_app.command("issue")
def issue(
    name: str,
    role: Annotated[StaffRole, typer.Option(help="What the key may do.")],
    by: Annotated[str | None, typer.Option(help="Who issues it (default: the login name).")] = None,
) -> None:
    """Create a key; its secret is printed once and never stored."""

    async def _work(runtime: Runtime) -> str:
        async with runtime.database.unit_of_work() as session:
            return await service.issue(session, name=name, role=role, issued_by=_operator(by))

    typer.echo(run_command(_work))


@keys_app.command("revoke")
def revoke(name: str, by: Annotated[str | None, typer.Option(help="Who revokes it.")] = None) -> None:
    """Make a key useless at once."""

    async def _work(runtime: Runtime) -> None:
        async with runtime.database.unit_of_work() as session:
            await service.revoke(session, name=name, revoked_by=_operator(by))

    run_command(_work)
    typer.echo(f"revoked {name}")


@keys_app.command("list")
def listing() -> None:
    """Names, roles and state of every key (never the secrets)."""

    async def _work(runtime: Runtime) -> list[str]:
        async with runtime.database.unit_of_work() as session:
            return [_describe(key) for key in await service.listing(session)]

    for line in run_command(_work):
        typer.echo(line)
