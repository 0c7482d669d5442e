"""`/v1/staff/oauth/clients`: staff holding ``keys:manage`` register, list and revoke OAuth clients.

Registering is a key change and takes two members of staff: the first call checks the client
and files an approval request (name, scopes, public key: never a secret); a second member
approves it, and a secret client's secret is made then and shown in that approval's answer,
once, to the approver: it is in no request, no listing and no audit entry. A key client
registers its public JWK, and a private key is refused so that it never leaves its owner.
Revoking is immediate.
"""

from __future__ import annotations

from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import ECKey

from tests.backoffice.oauth.support import SecretClient, Server
from tests.sql import sql

CLIENTS = "/v1/staff/oauth/clients"


async def _add(
    server: Server, maker: dict[str, str], checker: dict[str, str], body: dict[str, Any]
) -> httpx.Response:
    """Ask with ``maker``'s key, approve with ``checker``'s: the approval's answer."""
    asked = await server.http.post(CLIENTS, json=body, headers=maker)
    assert asked.status_code == 202, asked.text
    return await server.http.post(
        f"/v1/staff/approvals/{asked.json()['id']}/approve", json={}, headers=checker
    )


async def test_registering_asks_and_the_secret_is_made_at_approval_and_shown_once_to_the_approver(
    server: Server,
) -> None:
    ann, bob = await server.staff_key("admin"), await server.staff_key("admin")

    asked = await server.http.post(
        CLIENTS, json={"name": "warehouse", "scopes": ["reports:ggr"]}, headers=ann
    )

    assert asked.status_code == 202, asked.text
    request = asked.json()
    assert (request["kind"], request["subject"], request["permission"], request["status"]) == (
        "oauth_client_add",
        "oauth_client:warehouse",
        "keys:manage",
        "pending",
    )
    assert request["payload"] == {"name": "warehouse", "scopes": ["reports:ggr"], "public_jwk": None}
    before = await server.http.get(CLIENTS, headers=ann)
    assert [c for c in before.json() if c["name"] == "warehouse"] == []
    own = await server.http.post(f"/v1/staff/approvals/{request['id']}/approve", json={}, headers=ann)
    assert (own.status_code, own.json()["code"]) == (403, "approval_own_request")

    approved = await server.http.post(f"/v1/staff/approvals/{request['id']}/approve", json={}, headers=bob)

    assert approved.status_code == 200, approved.text
    assert approved.headers["cache-control"] == "no-store"
    effect = approved.json()["effect"]
    assert (effect["name"], effect["auth_method"], effect["scopes"]) == (
        "warehouse",
        "client_secret",
        ["reports:ggr"],
    )
    secret = effect["client_secret"]
    assert secret.startswith("cro_")
    token = await server.token(SecretClient(effect["client_id"], secret))
    assert token.startswith("cra_")
    # Shown that once: in no other answer, and stored nowhere in the clear.
    answers = [
        await server.http.get(CLIENTS, headers=ann),
        await server.http.get(f"/v1/staff/approvals/{request['id']}", headers=ann),
        await server.http.get("/v1/staff/approvals?status=approved", headers=bob),
    ]
    assert all(a.status_code == 200 and secret not in a.text for a in answers)
    assert [c["client_id"] for c in answers[0].json() if c["name"] == "warehouse"] == [effect["client_id"]]
    [(stored,)] = await sql(
        server.runtime,
        "SELECT (SELECT count(*) FROM approval_requests WHERE payload::text LIKE :s)"
        " + (SELECT count(*) FROM audit_events WHERE details::text LIKE :s)",
        s=f"%{secret}%",
    )
    assert stored == 0
    again = await server.http.post(f"/v1/staff/approvals/{request['id']}/approve", json={}, headers=bob)
    assert (again.status_code, again.json()["code"]) == (409, "approval_not_pending")


async def test_a_key_client_registers_its_public_jwk_and_gets_no_secret(server: Server) -> None:
    ann, bob = await server.staff_key("admin"), await server.staff_key("admin")
    key = ECKey.generate_key("P-256")

    approved = await _add(
        server,
        ann,
        bob,
        {"name": "regulator-feed", "scopes": ["reports:players"], "public_jwk": key.as_dict(private=False)},
    )

    assert approved.status_code == 200, approved.text
    assert approved.json()["payload"]["public_jwk"]["kty"] == "EC"
    effect = approved.json()["effect"]
    assert effect["auth_method"] == "private_key_jwt"
    assert "client_secret" not in effect
    oauth = AsyncOAuth2Client(effect["client_id"], key, token_endpoint_auth_method="private_key_jwt")
    oauth.register_client_auth_method(PrivateKeyJWT(server.token_url, alg="ES256"))
    async with oauth:
        token = await oauth.fetch_token(server.token_url, grant_type="client_credentials")
    assert token["scope"] == "reports:players"


async def test_bad_registrations_are_refused_with_their_reason_before_anyone_is_asked(server: Server) -> None:
    ann, bob = await server.staff_key("admin"), await server.staff_key("admin")
    private = ECKey.generate_key("P-256").as_dict(private=True)
    assert (await _add(server, ann, bob, {"name": "taken", "scopes": ["reports:ggr"]})).status_code == 200
    [(before,)] = await sql(server.runtime, "SELECT count(*) FROM approval_requests")

    answers = [
        await server.http.post(CLIENTS, json=body, headers=ann)
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
    [(after,)] = await sql(server.runtime, "SELECT count(*) FROM approval_requests")
    assert after == before


async def test_a_name_taken_while_the_request_waited_leaves_it_pending(server: Server) -> None:
    ann, bob = await server.staff_key("admin"), await server.staff_key("admin")
    asked = await server.http.post(CLIENTS, json={"name": "racer", "scopes": ["reports:ggr"]}, headers=ann)
    await server.secret_client_named("racer", "reports:ggr")

    approved = await server.http.post(
        f"/v1/staff/approvals/{asked.json()['id']}/approve", json={}, headers=bob
    )

    assert (approved.status_code, approved.json()["code"]) == (409, "conflict")
    shown = await server.http.get(f"/v1/staff/approvals/{asked.json()['id']}", headers=bob)
    assert shown.json()["status"] == "pending"


async def test_revoking_an_unknown_client_is_404(server: Server) -> None:
    admin = await server.staff_key("admin")

    response = await server.http.delete(f"{CLIENTS}/oc_nobody", headers=admin)

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


async def test_a_role_without_keys_manage_cannot_see_the_clients_nor_approve_one(server: Server) -> None:
    support, ann = await server.staff_key("support"), await server.staff_key("admin")
    payments = await server.staff_key("payments")
    asked = await server.http.post(CLIENTS, json={"name": "nosy", "scopes": ["reports:ggr"]}, headers=ann)

    listed = await server.http.get(CLIENTS, headers=support)
    approved = await server.http.post(
        f"/v1/staff/approvals/{asked.json()['id']}/approve", json={}, headers=payments
    )

    assert (listed.status_code, listed.json()["code"]) == (403, "forbidden")
    assert (approved.status_code, approved.json()["code"]) == (403, "approval_permission_missing")
