"""`croupier oauth clients add|list|revoke`, run as an operator runs them.

``add`` prints the client_id and, for a secret client, the secret: once. ``list`` never shows
a secret. ``revoke`` kills the client's tokens on their next use.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from croupier.kit.settings import Settings
from tests.cli_support import acroupier, env_for, refused, succeeded, usage_error

pytestmark = pytest.mark.slow  # each case runs the console script


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return env_for(settings)


def _fields(output: str) -> dict[str, str]:
    return dict(line.split("\t", 1) for line in output.splitlines())


async def _token(client: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )


async def test_a_secret_client_is_added_listed_without_its_secret_and_revoked(
    env: dict[str, str], client: httpx.AsyncClient
) -> None:
    added = await acroupier(
        "oauth",
        "clients",
        "add",
        "warehouse",
        "--scope",
        "reports:ggr",
        "--scope",
        "reports:players",
        env=env,
    )

    fields = _fields(succeeded(added))
    client_id, secret = fields["client_id"], fields["client_secret"]
    assert secret.startswith("cro_")
    assert "shown this once" in added.stderr
    granted = await _token(client, client_id, secret)
    assert granted.status_code == 200, granted.text
    token = granted.json()["access_token"]
    listed = succeeded(await acroupier("oauth", "clients", "list", env=env))
    assert f"{client_id}\twarehouse\tclient_secret\treports:ggr reports:players\tactive" in listed
    assert secret not in listed
    assert "cro_" not in listed

    assert (
        succeeded(await acroupier("oauth", "clients", "revoke", client_id, env=env))
        == f"revoked {client_id}\n"
    )

    used = await client.get(
        "/v1/partners/reports/ggr?from=2026-12-01&to=2026-12-01", headers={"Authorization": f"Bearer {token}"}
    )
    assert used.status_code == 401
    assert (await _token(client, client_id, secret)).status_code == 401
    assert "\trevoked " in succeeded(await acroupier("oauth", "clients", "list", env=env))


async def test_a_key_client_is_added_from_a_pem_public_key_and_gets_no_secret(
    env: dict[str, str], tmp_path: Path
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    public = tmp_path / "feed.pub.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )

    output = succeeded(
        await acroupier(
            "oauth", "clients", "add", "feed", "--scope", "reports:players", "--jwk", str(public), env=env
        )
    )

    assert set(_fields(output)) == {"client_id"}
    assert "\tfeed\tprivate_key_jwt\treports:players\tactive" in succeeded(
        await acroupier("oauth", "clients", "list", env=env)
    )


async def test_a_private_key_an_unknown_scope_and_an_unknown_client_are_refused(
    env: dict[str, str], tmp_path: Path
) -> None:
    private = tmp_path / "leak.pem"
    private.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )

    refused(
        await acroupier(
            "oauth", "clients", "add", "leak", "--scope", "reports:ggr", "--jwk", str(private), env=env
        ),
        "private key",
    )
    refused(
        await acroupier("oauth", "clients", "add", "greedy", "--scope", "reports:all", env=env), "No scope"
    )
    refused(await acroupier("oauth", "clients", "revoke", "oc_nobody", env=env), "No active OAuth client")
    usage_error(await acroupier("oauth", "clients", "add", "noscope", env=env), "--scope")
