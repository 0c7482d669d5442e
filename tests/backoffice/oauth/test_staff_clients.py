"""`/v1/staff/oauth/clients`: staff holding ``keys:manage`` register, list and revoke OAuth clients.

A secret client's secret is in the registration answer and nowhere else; a key client
registers its public JWK, and a private key is refused so that it never leaves its owner.
"""

from __future__ import annotations

from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import ECKey

from tests.backoffice.oauth.support import SecretClient, Server

CLIENTS = "/v1/staff/oauth/clients"


async def test_an_admin_registers_a_secret_client_whose_secret_is_shown_once(server: Server) -> None:
    admin = await server.staff_key("admin")

    added = await server.http.post(
        CLIENTS, json={"name": "warehouse", "scopes": ["reports:ggr"]}, headers=admin
    )
    listed = await server.http.get(CLIENTS, headers=admin)

    assert added.status_code == 201, added.text
    assert added.headers["cache-control"] == "no-store"
    body = added.json()
    assert (body["name"], body["auth_method"], body["scopes"]) == (
        "warehouse",
        "client_secret",
        ["reports:ggr"],
    )
    secret = body["client_secret"]
    assert secret.startswith("cro_")
    assert listed.status_code == 200
    assert secret not in listed.text
    assert "client_secret" not in listed.text.replace('"auth_method":"client_secret"', "")
    assert [c["client_id"] for c in listed.json() if c["name"] == "warehouse"] == [body["client_id"]]
    token = await server.token(SecretClient(body["client_id"], secret))
    assert token.startswith("cra_")


async def test_a_key_client_registers_its_public_jwk_and_gets_no_secret(server: Server) -> None:
    admin = await server.staff_key("admin")
    key = ECKey.generate_key("P-256")

    added = await server.http.post(
        CLIENTS,
        json={
            "name": "regulator-feed",
            "scopes": ["reports:players"],
            "public_jwk": key.as_dict(private=False),
        },
        headers=admin,
    )

    assert added.status_code == 201, added.text
    assert added.json()["auth_method"] == "private_key_jwt"
    assert added.json()["client_secret"] is None
    oauth = AsyncOAuth2Client(added.json()["client_id"], key, token_endpoint_auth_method="private_key_jwt")
    oauth.register_client_auth_method(PrivateKeyJWT(server.token_url, alg="ES256"))
    async with oauth:
        token = await oauth.fetch_token(server.token_url, grant_type="client_credentials")
    assert token["scope"] == "reports:players"


async def test_bad_registrations_are_refused_with_their_reason(server: Server) -> None:
    admin = await server.staff_key("admin")
    private = ECKey.generate_key("P-256").as_dict(private=True)
    await server.http.post(CLIENTS, json={"name": "taken", "scopes": ["reports:ggr"]}, headers=admin)

    answers = [
        await server.http.post(CLIENTS, json=body, headers=admin)
        for body in (
            {"name": "p", "scopes": ["reports:ggr"], "public_jwk": private},
            {"name": "leaky", "scopes": ["reports:ggr"], "public_jwk": private},
            {"name": "greedy", "scopes": ["reports:everything"]},
            {"name": "taken", "scopes": ["reports:ggr"]},
            {"name": "shared", "scopes": ["reports:ggr"], "public_jwk": {"kty": "oct", "k": "c2VjcmV0"}},
        )
    ]

    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (422, "validation_error"),
        (422, "invalid_public_key"),
        (422, "unknown_scope"),
        (409, "conflict"),
        (422, "invalid_public_key"),
    ]


async def test_revoking_an_unknown_client_is_404(server: Server) -> None:
    admin = await server.staff_key("admin")

    response = await server.http.delete(f"{CLIENTS}/oc_nobody", headers=admin)

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


async def test_a_role_without_keys_manage_cannot_see_the_clients(server: Server) -> None:
    support = await server.staff_key("support")

    response = await server.http.get(CLIENTS, headers=support)

    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
