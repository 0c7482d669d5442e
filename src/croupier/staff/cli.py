"""``croupier staff keys issue|revoke|list``, ``croupier staff roles list|define|remove``,
``croupier staff invite`` and ``croupier staff accounts list|disable|enable|grant|revoke``."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from croupier.audit.service import Actor
from croupier.kit.commands import run_command
from croupier.kit.runtime import Runtime
from croupier.staff import accounts, roles, service
from croupier.staff.models import StaffKey

app = typer.Typer(
    no_args_is_help=True, help="Staff of the back office: accounts for people, keys for machines, roles."
)
keys_app = typer.Typer(no_args_is_help=True, help="Issue, revoke and list staff keys.")
app.add_typer(keys_app, name="keys")
roles_app = typer.Typer(no_args_is_help=True, help="Built-in roles and custom sets of permissions.")
app.add_typer(roles_app, name="roles")
accounts_app = typer.Typer(
    no_args_is_help=True, help="List staff accounts, disable them, grant and revoke roles."
)
app.add_typer(accounts_app, name="accounts")


def _describe(key: StaffKey) -> str:
    state = "revoked" if key.revoked_at else "active"
    used = f"last used {key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never used"
    return f"{key.name}\t{key.role}\t{state}\tissued {key.created_at:%Y-%m-%d} by {key.issued_by}\t{used}"


def _operator(by: str | None) -> str:
    return by or getpass.getuser()


@keys_app.command("issue")
def issue(
    name: str,
    role: Annotated[str, typer.Option(help="What the key may do: a built-in or custom role.")],
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


@roles_app.command("list")
def list_roles() -> None:
    """Every role and the permissions it grants."""

    async def _work(runtime: Runtime) -> list[roles.Role]:
        async with runtime.database.unit_of_work() as session:
            return await roles.listing(session)

    for role in run_command(_work):
        kind = "built-in" if role.built_in else "custom"
        typer.echo(f"{role.name}\t{kind}\t{' '.join(sorted(role.permissions))}\t{role.description}")


@roles_app.command("define")
def define_role(
    name: str,
    permission: Annotated[list[str], typer.Option(help="A permission the role grants; repeat for more.")],
    description: Annotated[str, typer.Option(help="What the role is for.")],
    by: Annotated[str | None, typer.Option(help="Who defines it (default: the login name).")] = None,
) -> None:
    """Create a custom role, or replace the permissions of one."""

    async def _work(runtime: Runtime) -> roles.Role:
        async with runtime.database.unit_of_work() as session:
            return await roles.define(
                session,
                name=name,
                description=description,
                permissions=permission,
                actor=Actor.operator(_operator(by)),
            )

    role = run_command(_work)
    typer.echo(f"{role.name}\t{' '.join(sorted(role.permissions))}")


@roles_app.command("remove")
def remove_role(name: str, by: Annotated[str | None, typer.Option(help="Who removes it.")] = None) -> None:
    """Remove a custom role; keys and staff holding it lose what it granted at once."""

    async def _work(runtime: Runtime) -> None:
        async with runtime.database.unit_of_work() as session:
            await roles.remove(session, name=name, actor=Actor.operator(_operator(by)))

    run_command(_work)
    typer.echo(f"removed {name}")


@app.command("invite")
def invite(
    email: str,
    role: Annotated[list[str], typer.Option(help="A role the person gets; repeat for more.")],
    name: Annotated[
        str | None, typer.Option(help="How the person is shown (default: from the email).")
    ] = None,
    by: Annotated[str | None, typer.Option(help="Who invites (default: the login name).")] = None,
) -> None:
    """Invite a person (the first admin too); prints a one-time link that sets the password."""

    async def _work(runtime: Runtime) -> tuple[accounts.Invitation, str]:
        async with runtime.database.unit_of_work() as session:
            made = await accounts.invite(
                session,
                settings=runtime.settings,
                email=email,
                role_names=role,
                display_name=name,
                actor=Actor.operator(_operator(by)),
            )
        return made, accounts.accept_url(runtime.settings, made.token)

    made, url = run_command(_work)
    typer.echo(f"invited {made.account.email} ({' '.join(made.account.roles)})")
    typer.echo(f"invitation token (shown once): {made.token}")
    typer.echo(f"set the password with: POST {url}")
    typer.echo(f"expires {made.expires_at:%Y-%m-%d %H:%M} UTC")


def _describe_account(view: accounts.AccountView) -> str:
    mfa = "totp" if view.mfa_enrolled else "no mfa yet"
    seen = (
        f"last sign-in {view.last_sign_in_at:%Y-%m-%d %H:%M}" if view.last_sign_in_at else "never signed in"
    )
    return f"{view.email}\t{view.state}\t{' '.join(view.roles) or '-'}\t{mfa}\t{seen}\t{view.display_name}"


@accounts_app.command("list")
def list_accounts() -> None:
    """Every staff account: email, state, roles, second factor, last sign-in, name."""

    async def _work(runtime: Runtime) -> list[accounts.AccountView]:
        async with runtime.database.unit_of_work() as session:
            return await accounts.listing(session)

    for view in run_command(_work):
        typer.echo(_describe_account(view))


def _change(email: str, by: str | None, change: accounts.AccountChange) -> None:
    async def _work(runtime: Runtime) -> accounts.AccountView:
        async with runtime.database.unit_of_work() as session:
            account_id = await accounts.find(session, email)
            return await change(session, account_id, Actor.operator(_operator(by)))

    typer.echo(_describe_account(run_command(_work)))


_BY = Annotated[str | None, typer.Option(help="Who makes the change (default: the login name).")]


@accounts_app.command("disable")
def disable_account(email: str, by: _BY = None) -> None:
    """Refuse the account from now on; its sessions end at once."""
    _change(email, by, lambda s, account_id, actor: accounts.disable(s, account_id=account_id, actor=actor))


@accounts_app.command("enable")
def enable_account(email: str, by: _BY = None) -> None:
    """Let a disabled account sign in again."""
    _change(email, by, lambda s, account_id, actor: accounts.enable(s, account_id=account_id, actor=actor))


@accounts_app.command("grant")
def grant_role(email: str, role: str, by: _BY = None) -> None:
    """Give the account a role (built-in or custom); it applies from the next request.

    One person suffices here, as with the operator's other commands: whoever runs it holds
    the database already. Over HTTP a grant is a four-eyes request a second admin approves.
    """
    _change(email, by, lambda s, a, actor: accounts.grant(s, account_id=a, role=role, actor=actor))


@accounts_app.command("revoke")
def revoke_role(email: str, role: str, by: _BY = None) -> None:
    """Take a role from the account; it applies from the next request."""
    _change(email, by, lambda s, a, actor: accounts.revoke(s, account_id=a, role=role, actor=actor))
