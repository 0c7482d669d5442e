"""The OAuth 2.0 authorization server, spoken to by Authlib's client over real HTTP.

Machine clients get short-lived bearer tokens with the client credentials grant, proving
who they are with a secret (Basic or in the body) or a JWT signed with their own key
(private_key_jwt, RFC 7523, each assertion accepted once). A client can revoke and
introspect its own tokens and learns nothing about anybody else's; errors are OAuth's JSON
error documents, never a 500.
"""

from __future__ import annotations

import base64

import httpx
import pytest
from authlib.integrations.base_client import OAuthError
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select, text

from croupier.audit.models import AuditEvent
from croupier.audit.tags import AuditAction
from tests.backoffice.oauth.support import Server, bearer

GGR = "/v1/partners/reports/ggr?from=2026-12-01&to=2026-12-02"


async def _form(server: Server, path: str, data: dict[str, str], **kwargs: object) -> httpx.Response:
    return await server.http.post(path, data=data, **kwargs)  # type: ignore[arg-type]


class TestMetadata:
    async def test_the_metadata_document_is_valid_rfc_8414_and_names_the_endpoints(
        self, server: Server
    ) -> None:
        response = await server.http.get("/.well-known/oauth-authorization-server")

        assert response.status_code == 200
        document = response.json()
        AuthorizationServerMetadata(document).validate()
        assert document["issuer"] == server.base_url
        assert document["token_endpoint"] == server.token_url
        assert document["grant_types_supported"] == ["client_credentials"]
        assert set(document["token_endpoint_auth_methods_supported"]) == {
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        }
        assert set(document["scopes_supported"]) == {"reports:ggr", "reports:players"}


class TestClientCredentialsGrant:
    @pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
    async def test_a_secret_client_gets_a_short_lived_bearer_token(self, server: Server, method: str) -> None:
        client = await server.secret_client("reports:ggr", "reports:players")

        async with server.oauth(client, method=method) as oauth:
            token = await oauth.fetch_token(
                server.token_url, grant_type="client_credentials", scope="reports:ggr"
            )

        assert token["token_type"] == "Bearer"
        assert token["expires_in"] == 600
        assert token["scope"] == "reports:ggr"
        assert token["access_token"].startswith("cra_")
        assert "refresh_token" not in token
        used = await server.http.get(GGR, headers=bearer(token["access_token"]))
        assert used.status_code == 200, used.text

    async def test_without_a_scope_parameter_the_token_holds_every_scope_of_the_client(
        self, server: Server
    ) -> None:
        client = await server.secret_client("reports:ggr", "reports:players")

        async with server.oauth(client) as oauth:
            token = await oauth.fetch_token(server.token_url, grant_type="client_credentials")

        assert token["scope"] == "reports:ggr reports:players"

    async def test_the_token_answer_is_not_to_be_cached(self, server: Server) -> None:
        client = await server.secret_client("reports:ggr")

        response = await _form(
            server,
            "/oauth/token",
            {"grant_type": "client_credentials"},
            auth=(client.client_id, client.secret),
        )

        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"

    async def test_a_private_key_jwt_client_gets_a_token(self, server: Server) -> None:
        client = await server.key_client("reports:players")

        async with server.jwt_oauth(client) as oauth:
            token = await oauth.fetch_token(server.token_url, grant_type="client_credentials")

        assert token["scope"] == "reports:players"
        used = await server.http.get(
            "/v1/partners/reports/players?from=2026-12-01&to=2026-12-01",
            headers=bearer(token["access_token"]),
        )
        assert used.status_code == 200, used.text

    async def test_every_grant_is_audited_under_the_client(self, server: Server) -> None:
        client = await server.secret_client("reports:ggr")

        await server.token(client)

        async with server.runtime.database.unit_of_work() as session:
            grants = (
                await session.scalars(
                    select(AuditEvent).where(
                        AuditEvent.action == str(AuditAction.OAUTH_TOKEN_GRANT),
                        AuditEvent.actor_id == client.client_id,
                    )
                )
            ).all()
        assert [(g.actor_type, g.outcome, g.details["scopes"]) for g in grants] == [
            ("client", "success", ["reports:ggr"])
        ]

    async def test_neither_the_secret_nor_the_token_reaches_the_audit_trail_or_the_database(
        self, server: Server
    ) -> None:
        client = await server.secret_client("reports:ggr")
        token = await server.token(client)
        await server.http.get(GGR, headers=bearer(token))
        await _form(
            server, "/oauth/token", {"grant_type": "client_credentials"}, auth=(client.client_id, "x")
        )

        async with server.runtime.database.unit_of_work() as session:
            stored = await session.scalar(
                text(
                    "SELECT string_agg(t::text, ' ') FROM ("
                    " SELECT row_to_json(a)::text AS t FROM audit_events a"
                    " UNION ALL SELECT row_to_json(c)::text FROM oauth_clients c"
                    " UNION ALL SELECT row_to_json(o)::text FROM oauth_access_tokens o) everything"
                )
            )
        assert client.client_id in stored
        assert client.secret not in stored
        assert token not in stored


class TestRefusedGrants:
    async def test_a_wrong_secret_is_invalid_client_401_with_a_challenge_and_audited(
        self, server: Server
    ) -> None:
        client = await server.secret_client("reports:ggr")

        with pytest.raises(OAuthError) as refused:
            async with server.oauth(type(client)(client.client_id, "cro_" + "x" * 43)) as oauth:
                await oauth.fetch_token(server.token_url, grant_type="client_credentials")
        raw = await _form(
            server, "/oauth/token", {"grant_type": "client_credentials"}, auth=(client.client_id, "wrong")
        )

        assert refused.value.error == "invalid_client"
        assert raw.status_code == 401
        assert raw.headers["www-authenticate"].startswith("Basic ")
        assert raw.json()["error"] == "invalid_client"
        async with server.runtime.database.unit_of_work() as session:
            denied = (
                await session.scalars(
                    select(AuditEvent.outcome).where(
                        AuditEvent.action == str(AuditAction.OAUTH_TOKEN_GRANT),
                        AuditEvent.actor_id == client.client_id,
                    )
                )
            ).all()
        assert denied == ["denied", "denied"]

    async def test_an_unknown_client_is_invalid_client(self, server: Server) -> None:
        response = await _form(
            server, "/oauth/token", {"grant_type": "client_credentials"}, auth=("oc_nobody", "cro_whatever")
        )

        assert (response.status_code, response.json()["error"]) == (401, "invalid_client")

    async def test_a_replayed_client_assertion_is_refused(self, server: Server) -> None:
        client = await server.key_client("reports:ggr")

        async with server.jwt_oauth(client, claims={"jti": "the-same-jti"}) as oauth:
            await oauth.fetch_token(server.token_url, grant_type="client_credentials")
            with pytest.raises(OAuthError) as replayed:
                await oauth.fetch_token(server.token_url, grant_type="client_credentials")

        assert replayed.value.error == "invalid_client"
        assert "used before" in (replayed.value.description or "")
        async with server.runtime.database.unit_of_work() as session:
            grants = (
                await session.scalars(
                    select(AuditEvent).where(
                        AuditEvent.action == str(AuditAction.OAUTH_TOKEN_GRANT),
                        AuditEvent.actor_id == client.client_id,
                    )
                )
            ).all()
        assert sorted((g.outcome, g.details.get("error")) for g in grants) == [
            ("denied", "invalid_client"),
            ("success", None),
        ]

    @pytest.mark.parametrize(
        ("case", "claims"),
        [
            ("audience of another server", {"aud": "https://elsewhere.example/oauth/token"}),
            ("expired", {"exp": 1_700_000_000, "iat": 1_699_999_000}),
            ("another client's name", {"sub": "oc_someone_else"}),
            ("no jti", {"jti": ""}),
        ],
    )
    async def test_a_client_assertion_that_does_not_check_out_is_invalid_client(
        self, server: Server, case: str, claims: dict[str, object]
    ) -> None:
        client = await server.key_client("reports:ggr")

        async with server.jwt_oauth(client, claims=claims) as oauth:
            with pytest.raises(OAuthError) as refused:
                await oauth.fetch_token(server.token_url, grant_type="client_credentials")

        assert refused.value.error == "invalid_client", case

    async def test_an_assertion_signed_with_another_key_is_invalid_client(self, server: Server) -> None:
        client = await server.key_client("reports:ggr")
        impostor = type(client)(client.client_id, RSAKey.generate_key(2048))

        async with server.jwt_oauth(impostor) as oauth:
            with pytest.raises(OAuthError) as refused:
                await oauth.fetch_token(server.token_url, grant_type="client_credentials")

        assert refused.value.error == "invalid_client"

    async def test_an_unsigned_assertion_is_invalid_client(self, server: Server) -> None:
        client = await server.key_client("reports:ggr")
        header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
        claims = jwt.encode(
            {"alg": "RS256"},
            {
                "iss": client.client_id,
                "sub": client.client_id,
                "aud": server.token_url,
                "exp": 4_000_000_000,
                "jti": "unsigned",
            },
            client.private_key,
        ).split(".")[1]

        response = await _form(
            server,
            "/oauth/token",
            {
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": f"{header}.{claims}.",
            },
        )

        assert (response.status_code, response.json()["error"]) == (401, "invalid_client")

    @pytest.mark.parametrize(
        ("scope", "why"), [("reports:everything", "Unknown scope"), ("reports:players", "does not hold")]
    )
    async def test_a_scope_unknown_or_not_held_is_invalid_scope(
        self, server: Server, scope: str, why: str
    ) -> None:
        client = await server.secret_client("reports:ggr")

        async with server.oauth(client) as oauth:
            with pytest.raises(OAuthError) as refused:
                await oauth.fetch_token(server.token_url, grant_type="client_credentials", scope=scope)

        assert refused.value.error == "invalid_scope"
        assert why in (refused.value.description or "")

    @pytest.mark.parametrize(
        ("data", "error"),
        [
            ({"grant_type": "password", "username": "u", "password": "p"}, "unsupported_grant_type"),
            ({"grant_type": "authorization_code", "code": "c"}, "unsupported_grant_type"),
            ({}, "invalid_request"),
            ({"grant_type": "client_credentials", "client_secret": "s"}, "invalid_request"),
        ],
    )
    async def test_malformed_or_unsupported_requests_get_the_rfc_6749_error(
        self, server: Server, data: dict[str, str], error: str
    ) -> None:
        client = await server.secret_client("reports:ggr")

        response = await _form(server, "/oauth/token", data, auth=(client.client_id, client.secret))

        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"] == error

    async def test_a_json_body_or_a_repeated_parameter_is_invalid_request_never_a_500(
        self, server: Server
    ) -> None:
        as_json = await server.http.post("/oauth/token", json={"grant_type": "client_credentials"})
        repeated = await server.http.post(
            "/oauth/token",
            content="grant_type=client_credentials&grant_type=client_credentials",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        two_methods = await _form(
            server,
            "/oauth/token",
            {"grant_type": "client_credentials", "client_id": "a", "client_secret": "b"},
            auth=("a", "b"),
        )
        bad_basic = await server.http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic not-base64!"},
        )

        assert [r.json()["error"] for r in (as_json, repeated, two_methods, bad_basic)] == [
            "invalid_request",
            "invalid_request",
            "invalid_request",
            "invalid_client",
        ]


class TestTokens:
    async def test_an_expired_token_is_refused(self, server: Server) -> None:
        client = await server.secret_client("reports:ggr")
        token = await server.token(client)
        async with server.runtime.database.unit_of_work() as session:
            await session.execute(
                text(
                    "UPDATE oauth_access_tokens SET issued_at = issued_at - interval '11 minutes',"
                    " expires_at = expires_at - interval '11 minutes'"
                    " WHERE client_pk = (SELECT id FROM oauth_clients WHERE client_id = :c)"
                ),
                {"c": client.client_id},
            )

        response = await server.http.get(GGR, headers=bearer(token))

        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"
        assert 'error="invalid_token"' in response.headers["www-authenticate"]

    async def test_rows_of_tokens_expired_over_a_day_ago_go_when_the_client_gets_a_new_one(
        self, server: Server
    ) -> None:
        client = await server.secret_client("reports:ggr")
        await server.token(client)
        await server.token(client)
        async with server.runtime.database.unit_of_work() as session:
            await session.execute(
                text(
                    "UPDATE oauth_access_tokens SET expires_at = now() - interval '25 hours'"
                    " WHERE id = (SELECT t.id FROM oauth_access_tokens t JOIN oauth_clients c"
                    " ON c.id = t.client_pk WHERE c.client_id = :c LIMIT 1)"
                ),
                {"c": client.client_id},
            )

        await server.token(client)

        async with server.runtime.database.unit_of_work() as session:
            kept = await session.scalar(
                text(
                    "SELECT count(*) FROM oauth_access_tokens t JOIN oauth_clients c ON c.id = t.client_pk"
                    " WHERE c.client_id = :c"
                ),
                {"c": client.client_id},
            )
        assert kept == 2

    async def test_a_revoked_token_is_refused_and_the_revocation_is_audited(self, server: Server) -> None:
        client = await server.secret_client("reports:ggr")
        token = await server.token(client)

        async with server.oauth(client) as oauth:
            revoked = await oauth.revoke_token(f"{server.base_url}/oauth/revoke", token=token)

        assert revoked.status_code == 200
        assert (await server.http.get(GGR, headers=bearer(token))).status_code == 401
        async with server.runtime.database.unit_of_work() as session:
            actions = (
                await session.scalars(
                    select(AuditEvent.action).where(
                        AuditEvent.actor_id == client.client_id,
                        AuditEvent.action == str(AuditAction.OAUTH_TOKEN_REVOKE),
                    )
                )
            ).all()
        assert actions == ["oauth:token:revoke"]

    async def test_revoking_an_unknown_token_answers_200_all_the_same(self, server: Server) -> None:
        client = await server.secret_client("reports:ggr")

        async with server.oauth(client) as oauth:
            revoked = await oauth.revoke_token(f"{server.base_url}/oauth/revoke", token="cra_no_such_token")

        assert revoked.status_code == 200

    async def test_introspection_says_active_with_the_scope_then_inactive_once_revoked(
        self, server: Server
    ) -> None:
        client = await server.secret_client("reports:ggr", "reports:players")
        token = await server.token(client, scope="reports:ggr")
        introspect = f"{server.base_url}/oauth/introspect"

        async with server.oauth(client) as oauth:
            active = (await oauth.introspect_token(introspect, token=token)).json()
            await oauth.revoke_token(f"{server.base_url}/oauth/revoke", token=token)
            inactive = (await oauth.introspect_token(introspect, token=token)).json()

        assert active["active"] is True
        assert active["scope"] == "reports:ggr"
        assert active["client_id"] == client.client_id
        assert active["token_type"] == "Bearer"
        assert active["exp"] - active["iat"] == 600
        assert inactive == {"active": False}

    async def test_a_client_learns_nothing_about_another_clients_token_nor_can_revoke_it(
        self, server: Server
    ) -> None:
        owner = await server.secret_client("reports:ggr")
        other = await server.key_client("reports:ggr")
        token = await server.token(owner)

        async with server.jwt_oauth(other) as oauth:
            seen = (await oauth.introspect_token(f"{server.base_url}/oauth/introspect", token=token)).json()
        async with server.jwt_oauth(other) as oauth:
            revoked = await oauth.revoke_token(f"{server.base_url}/oauth/revoke", token=token)

        assert seen == {"active": False}
        assert revoked.status_code == 200
        still = await server.http.get(GGR, headers=bearer(token))
        assert still.status_code == 200, still.text

    async def test_introspection_needs_client_authentication(self, server: Server) -> None:
        client = await server.secret_client("reports:ggr")
        token = await server.token(client)

        response = await _form(server, "/oauth/introspect", {"token": token})

        assert (response.status_code, response.json()["error"]) == (401, "invalid_client")

    async def test_a_refused_introspection_is_audited_under_the_client_it_claimed(
        self, server: Server
    ) -> None:
        client = await server.secret_client("reports:ggr")

        response = await _form(
            server, "/oauth/introspect", {"token": "cra_x"}, auth=(client.client_id, "wrong")
        )

        assert response.status_code == 401
        async with server.runtime.database.unit_of_work() as session:
            refusals = (
                await session.scalars(select(AuditEvent).where(AuditEvent.actor_id == client.client_id))
            ).all()
        assert [(r.action, r.outcome) for r in refusals] == [("oauth:token:introspect", "denied")]
