"""A live Croupier and OAuth clients registered in it, for tests that speak OAuth over HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import RSAKey

from croupier.audit.service import Actor
from croupier.backoffice.oauth import service
from croupier.kit.runtime import Runtime
from croupier.staff import service as staff


@dataclass(frozen=True)
class SecretClient:
    client_id: str
    secret: str


@dataclass(frozen=True)
class KeyClient:
    client_id: str
    private_key: RSAKey


@dataclass
class Server:
    http: httpx.AsyncClient
    runtime: Runtime
    base_url: str

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth/token"

    async def secret_client(self, *scopes: str) -> SecretClient:
        return await self.secret_client_named(_name(), *scopes)

    async def secret_client_named(self, name: str, *scopes: str) -> SecretClient:
        """Registered as `croupier oauth clients add` does: by one operator."""
        async with self.runtime.database.unit_of_work() as session:
            registered = await service.register(
                session, name=name, scopes=scopes, public_key=None, actor=Actor.operator("test")
            )
        assert registered.secret is not None
        return SecretClient(registered.client.client_id, registered.secret)

    async def key_client(self, *scopes: str) -> KeyClient:
        private_key = RSAKey.generate_key(2048)
        async with self.runtime.database.unit_of_work() as session:
            registered = await service.register(
                session,
                name=_name(),
                scopes=scopes,
                public_key=private_key.as_dict(private=False),
                actor=Actor.operator("test"),
            )
        return KeyClient(registered.client.client_id, private_key)

    def oauth(
        self, client: SecretClient, *, method: str = "client_secret_basic", **extra: Any
    ) -> AsyncOAuth2Client:
        """Authlib's own client, independent of Croupier's code."""
        return AsyncOAuth2Client(
            client.client_id, client.secret, token_endpoint_auth_method=method, timeout=30, **extra
        )

    def jwt_oauth(self, client: KeyClient, *, claims: dict[str, Any] | None = None) -> AsyncOAuth2Client:
        oauth = AsyncOAuth2Client(
            client.client_id,
            client.private_key,
            token_endpoint_auth_method="private_key_jwt",
            revocation_endpoint_auth_method="private_key_jwt",
            timeout=30,
        )
        oauth.register_client_auth_method(PrivateKeyJWT(self.token_url, claims=claims))
        return oauth

    async def token(self, client: SecretClient, scope: str | None = None) -> str:
        async with self.oauth(client) as oauth:
            granted = await oauth.fetch_token(self.token_url, grant_type="client_credentials", scope=scope)
        return str(granted["access_token"])

    async def staff_key(self, role: str) -> dict[str, str]:
        async with self.runtime.database.unit_of_work() as session:
            secret = await staff.issue(session, name=_name(), role=role, issued_by="oauth tests")
        return {"Authorization": f"Bearer {secret}"}


def _name() -> str:
    return f"c-{uuid.uuid4().hex[:10]}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
