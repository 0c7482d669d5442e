"""`croupier staff roles`: custom roles as sets of permissions, run as an operator runs them.

A key scoped by a custom role can do what the role grants and nothing else; changing or
removing the role changes what the key may do on its next request.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from croupier.kit.settings import Settings
from tests.cli_support import acroupier, env_for, refused, succeeded, usage_error

pytestmark = pytest.mark.slow  # each case runs the console script


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return env_for(settings)


async def test_a_custom_role_scopes_a_key_until_it_is_removed(
    env: dict[str, str], client: httpx.AsyncClient
) -> None:
    defined = succeeded(
        await acroupier(
            "staff", "roles", "define", "rule-auditor",
            "--permission", "risk:rules:read", "--description", "reads rule sets", env=env,
        )
    )  # fmt: skip
    secret = succeeded(
        await acroupier("staff", "keys", "issue", "auditor", "--role", "rule-auditor", env=env)
    )
    headers = {"Authorization": f"Bearer {secret.strip()}"}

    assert defined == "rule-auditor\trisk:rules:read\n"
    listed = succeeded(await acroupier("staff", "roles", "list", env=env))
    assert "rule-auditor\tcustom\trisk:rules:read\treads rule sets" in listed
    assert "admin\tbuilt-in\t" in listed
    assert (await client.get("/v1/staff/risk/rules", headers=headers)).status_code == 200
    assert (await client.get("/v1/staff/risk/alerts", headers=headers)).status_code == 403

    succeeded(await acroupier("staff", "roles", "remove", "rule-auditor", env=env))

    assert (await client.get("/v1/staff/risk/rules", headers=headers)).status_code == 403


async def test_unknown_permissions_built_in_names_and_unknown_roles_are_refused(env: dict[str, str]) -> None:
    unknown_permission, built_in, unknown_role, no_permission = await asyncio.gather(
        acroupier(
            "staff", "roles", "define", "x-ray", "--permission", "vault:open", "--description", "d", env=env
        ),
        acroupier(
            "staff", "roles", "define", "admin", "--permission", "audit:read", "--description", "d", env=env
        ),
        acroupier("staff", "keys", "issue", "k1", "--role", "nobody", env=env),
        acroupier("staff", "roles", "define", "x-ray", "--description", "d", env=env),
    )

    refused(unknown_permission, "Unknown permission 'vault:open'")
    refused(built_in, "'admin' is a built-in role")
    refused(unknown_role, "No role named 'nobody'")
    usage_error(no_permission, "--permission")
    assert "x-ray" not in succeeded(await acroupier("staff", "roles", "list", env=env))
