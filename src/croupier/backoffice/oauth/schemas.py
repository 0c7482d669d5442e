"""Request and response bodies of the staff API for OAuth clients."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from croupier.backoffice.oauth.models import OAuthClient


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=64, description="A label: lower-case letters, digits, . _ -")
    scopes: list[str] = Field(min_length=1, max_length=16, description="Scopes the client may ask for.")
    public_jwk: dict[str, Any] | None = Field(
        None,
        description="The client's public key as a JWK: the client then authenticates with private_key_jwt"
        " (RFC 7523). Without it, the client gets a secret, shown once.",
    )


class ClientOut(BaseModel):
    client_id: str
    name: str
    auth_method: str
    scopes: list[str]
    created_at: datetime
    created_by: str
    revoked_at: datetime | None

    @classmethod
    def of(cls, client: OAuthClient) -> ClientOut:
        return cls(
            client_id=client.client_id,
            name=client.name,
            auth_method=client.auth_method,
            scopes=list(client.scopes),
            created_at=client.created_at,
            created_by=client.created_by,
            revoked_at=client.revoked_at,
        )
