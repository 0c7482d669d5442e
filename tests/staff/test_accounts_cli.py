"""`croupier staff invite` bootstraps the first admin; `croupier staff accounts` manages accounts."""

from __future__ import annotations

import re

import httpx

from croupier.kit.settings import Settings
from tests.cli_support import acroupier, env_for, refused, succeeded, usage_error
from tests.staff.support import PASSWORD, sign_in


async def test_an_operator_invites_the_first_admin_whose_token_sets_the_password(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    env = env_for(settings)

    out = succeeded(
        await acroupier(
            "staff", "invite", "Boss@Casino.example", "--role", "admin", "--name", "The Boss", env=env
        )
    )

    assert "invited boss@casino.example (admin)" in out
    token = re.search(r"invitation token \(shown once\): (cri_\S+)", out)
    assert token is not None, out
    assert f"/console/invitations/{token[1]}" in out
    accepted = await client.post(f"/v1/staff/invitations/{token[1]}/accept", json={"password": PASSWORD})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["name"] == "The Boss"
    assert (await sign_in(client, "boss@casino.example")).json()["state"] == "mfa_enrollment_required"


async def test_an_unknown_role_or_a_repeated_email_is_refused(settings: Settings) -> None:
    env = env_for(settings)

    refused(
        await acroupier("staff", "invite", "a@casino.example", "--role", "croupier", env=env), "No role named"
    )
    succeeded(await acroupier("staff", "invite", "a@casino.example", "--role", "risk", env=env))
    refused(await acroupier("staff", "invite", "not-an-email", "--role", "risk", env=env), "staff email")
    usage_error(await acroupier("staff", "invite", "b@casino.example", env=env), "--role")


async def test_accounts_are_listed_granted_revoked_and_disabled_from_the_command_line(
    settings: Settings,
) -> None:
    env = env_for(settings)
    succeeded(await acroupier("staff", "invite", "desk@casino.example", "--role", "support", env=env))

    granted = succeeded(await acroupier("staff", "accounts", "grant", "desk@casino.example", "kyc", env=env))
    assert "kyc support" in granted
    revoked = succeeded(await acroupier("staff", "accounts", "revoke", "desk@casino.example", "kyc", env=env))
    assert "\tsupport\t" in revoked
    succeeded(await acroupier("staff", "accounts", "disable", "desk@casino.example", env=env))

    listed = succeeded(await acroupier("staff", "accounts", "list", env=env))
    assert listed.startswith("desk@casino.example\tdisabled\tsupport\tno mfa yet\tnever signed in\tdesk")
    assert "cri_" not in listed
    refused(
        await acroupier("staff", "accounts", "grant", "desk@casino.example", "croupier", env=env),
        "No role named",
    )
    refused(
        await acroupier("staff", "accounts", "disable", "ghost@casino.example", env=env), "No staff account"
    )
