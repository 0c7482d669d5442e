"""Machine clients and their tokens: register and revoke clients, authenticate them, grant,
introspect and revoke access tokens, and check a bearer token for a resource.

Access tokens are opaque (``cra_`` + 256 random bits) and stored only as SHA-256, like staff
keys: a token is live only while its row says so, so revoking a token or its whole client
takes effect on the next request, and introspection is a look-up. Client secrets
(``cro_`` + 256 random bits) are stored the same way: a fast hash is right for a secret of
full entropy. Every grant, refusal and revocation is audited.
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.backoffice.oauth import assertions, repository
from croupier.backoffice.oauth.credentials import ClientCredentials
from croupier.backoffice.oauth.errors import (
    InvalidClient,
    InvalidClientName,
    InvalidScope,
    InvalidToken,
    OAuthError,
    UnknownScope,
)
from croupier.backoffice.oauth.models import ClientAuth, OAuthAccessToken, OAuthClient
from croupier.backoffice.oauth.scopes import Scope, as_text, parse_scopes
from croupier.identity import tokens
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict, NotFound

# Prefixes that secret scanners and Croupier's log scrubbing recognise (``cr?_``).
CLIENT_SECRET_PREFIX = "cro_"  # noqa: S105 - a prefix, not a secret
ACCESS_TOKEN_PREFIX = "cra_"  # noqa: S105 - a prefix, not a secret
TOKEN_TYPE = "Bearer"  # noqa: S105 - RFC 6750's token type
# An expired token's row is kept this long (its grant stays in the audit trail for good).
EXPIRED_TOKENS_KEPT = timedelta(days=1)
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def _target(client_id: str) -> Target:
    return Target("oauth_client", client_id)


# ---------------------------------------------------------------- clients


@dataclass(frozen=True)
class Registration:
    """A client that may be registered: its name, scopes and public JWK (None: a secret client)."""

    name: str
    scopes: list[str]
    public_jwk: dict[str, Any] | None


async def check_registration(
    session: AsyncSession,
    *,
    name: str,
    scopes: Iterable[str],
    public_key: str | Mapping[str, Any] | None,
) -> Registration:
    """What ``register`` would make, checked (name, known scopes, a public key, the name free)
    without making it: the staff API asks a second member first, with this as the request."""
    if not _NAME.match(name):
        raise InvalidClientName()
    try:
        granted = parse_scopes(scopes)
    except ValueError as unknown:
        raise UnknownScope(f"No scope named {unknown}; known: {as_text(Scope)}.") from None
    if not granted:
        raise UnknownScope(f"Give the client at least one scope: {as_text(Scope)}.")
    if await repository.name_taken(session, name):
        raise Conflict(f"An OAuth client named {name!r} exists; revoke it or pick another name.")
    jwk = assertions.public_jwk(public_key) if public_key is not None else None
    return Registration(name, sorted(granted), jwk)


@dataclass(frozen=True)
class Registered:
    client: OAuthClient
    secret: str | None  # shown once, for a secret client; never stored


async def register(
    session: AsyncSession,
    *,
    name: str,
    scopes: Iterable[str],
    public_key: str | Mapping[str, Any] | None,
    actor: Actor,
) -> Registered:
    """A new client holding ``scopes``: with a secret, or with ``public_key`` for private_key_jwt."""
    checked = await check_registration(session, name=name, scopes=scopes, public_key=public_key)
    granted, jwk = checked.scopes, checked.public_jwk
    secret, digest = tokens.new_token(CLIENT_SECRET_PREFIX) if jwk is None else (None, None)
    client = OAuthClient(
        id=uuid.uuid4(),
        client_id="oc_" + secrets.token_hex(12),
        name=name,
        auth_method=ClientAuth.SECRET if jwk is None else ClientAuth.PRIVATE_KEY_JWT,
        secret_hash=digest,
        public_jwk=jwk,
        scopes=sorted(granted),
        created_by=actor.id or str(actor.type),
        created_at=utcnow(),
    )
    repository.add(session, client)
    audit.record(
        session,
        AuditAction.OAUTH_CLIENT_ADD,
        actor=actor,
        target=_target(client.client_id),
        details={"name": name, "scopes": sorted(granted), "auth_method": client.auth_method},
    )
    return Registered(client, secret)


async def listing(session: AsyncSession) -> list[OAuthClient]:
    return await repository.clients(session)


async def revoke_client(session: AsyncSession, *, client_id: str, actor: Actor) -> None:
    """Retire a client: it can no longer authenticate, and every token it holds dies at once."""
    if await repository.revoke_client(session, client_id=client_id, at=utcnow()) is None:
        raise NotFound(f"No active OAuth client {client_id!r}.")
    audit.record(session, AuditAction.OAUTH_CLIENT_REVOKE, actor=actor, target=_target(client_id))


# ---------------------------------------------------------------- client authentication


async def authenticate(
    session: AsyncSession, *, credentials: ClientCredentials, audiences: Collection[str]
) -> OAuthClient:
    """The active client the credentials prove; ``InvalidClient`` otherwise, saying no more than that.

    ``audiences`` are the values a client assertion's ``aud`` may take. A used assertion's
    ``jti`` is recorded in the caller's transaction, which commits even when the request is
    then refused, so an assertion is accepted once.
    """
    if credentials.assertion is not None:
        claimed = assertions.claimed_client(credentials.assertion)
        if credentials.client_id is not None and credentials.client_id != claimed:
            raise InvalidClient("The client_id parameter differs from the assertion's issuer.")
        client = await repository.client_by_id(session, claimed)
        if client is None or client.public_jwk is None:
            raise InvalidClient("Unknown client, or not one that authenticates with private_key_jwt.")
        now = utcnow()
        verified = assertions.verify(
            credentials.assertion, jwk=client.public_jwk, client_id=claimed, audiences=audiences, now=now
        )
        fresh = await repository.use_assertion(
            session, client_pk=client.id, jti=verified.jti, expires_at=verified.expires_at, now=now
        )
        if not fresh:
            raise InvalidClient("This client assertion was used before: sign a new one (a new jti).")
        return client
    if credentials.client_id is None or credentials.secret is None:
        raise InvalidClient("Client authentication is required.")
    client = await repository.client_by_id(session, credentials.client_id)
    presented = tokens.digest(credentials.secret)
    if client is None or client.secret_hash is None or not hmac.compare_digest(client.secret_hash, presented):
        raise InvalidClient("Unknown client or wrong secret.")
    return client


class Endpoint(StrEnum):
    TOKEN = "token"  # noqa: S105 - an endpoint, not a secret
    REVOKE = "revoke"
    INTROSPECT = "introspect"


_REFUSAL_ACTIONS = {
    Endpoint.TOKEN: AuditAction.OAUTH_TOKEN_GRANT,
    Endpoint.REVOKE: AuditAction.OAUTH_TOKEN_REVOKE,
    Endpoint.INTROSPECT: AuditAction.OAUTH_TOKEN_INTROSPECT,
}


async def refused(
    session: AsyncSession, error: OAuthError, *, endpoint: Endpoint, client_id: str | None, info: ClientInfo
) -> None:
    """Audit a refused request in a transaction of its own: the request's is not to be trusted."""
    await audit.record_now(
        session,
        _REFUSAL_ACTIONS[endpoint],
        actor=Actor.client(client_id) if client_id else Actor.anonymous(),
        outcome=Outcome.DENIED,
        target=_target(client_id) if client_id else None,
        client=info,
        details={"endpoint": str(endpoint), "error": error.error, "reason": error.description},
    )


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Grant:
    access_token: str
    expires_in: int
    scopes: frozenset[str]

    def body(self) -> dict[str, str | int]:
        """RFC 6749 §5.1; no refresh token: a client asks again with its credentials."""
        return {
            "access_token": self.access_token,
            "token_type": TOKEN_TYPE,
            "expires_in": self.expires_in,
            "scope": as_text(self.scopes),
        }


def _requested(client: OAuthClient, scope: str | None) -> frozenset[str]:
    held = frozenset(client.scopes)
    if scope is None:  # §3.3: the default is every scope the client holds
        return held
    asked = frozenset(scope.split())
    if not asked:
        raise InvalidScope("The scope parameter is empty.")
    known = {str(s) for s in Scope}
    if unknown := sorted(asked - known):
        raise InvalidScope(f"Unknown scope: {' '.join(unknown)}.")
    if beyond := sorted(asked - held):
        raise InvalidScope(f"The client does not hold: {' '.join(beyond)}.")
    return asked


async def grant(
    session: AsyncSession,
    *,
    client: OAuthClient,
    scope: str | None,
    lifetime_seconds: int,
    info: ClientInfo,
) -> Grant:
    """The client credentials grant (RFC 6749 §4.4)."""
    scopes = _requested(client, scope)
    token, digest = tokens.new_token(ACCESS_TOKEN_PREFIX)
    now = utcnow()
    # Rows of tokens long expired only answer "inactive", as no row does: drop the client's.
    await repository.drop_expired_tokens(session, client_pk=client.id, before=now - EXPIRED_TOKENS_KEPT)
    repository.add(
        session,
        OAuthAccessToken(
            id=uuid.uuid4(),
            token_hash=digest,
            client_pk=client.id,
            scopes=sorted(scopes),
            issued_at=now,
            expires_at=now + timedelta(seconds=lifetime_seconds),
        ),
    )
    audit.record(
        session,
        AuditAction.OAUTH_TOKEN_GRANT,
        actor=Actor.client(client.client_id),
        target=_target(client.client_id),
        client=info,
        details={"scopes": sorted(scopes), "expires_in": lifetime_seconds},
    )
    return Grant(token, lifetime_seconds, scopes)


def _active(token: OAuthAccessToken, client: OAuthClient, now: datetime) -> bool:
    return token.revoked_at is None and client.revoked_at is None and token.expires_at > now


async def introspect(
    session: AsyncSession, *, client: OAuthClient, token: str, issuer: str
) -> dict[str, str | int | bool]:
    """RFC 7662 §2.2. A client learns about its own tokens only: any other is just inactive."""
    found = await repository.token_with_client(session, tokens.digest(token))
    if found is None:
        return {"active": False}
    row, owner = found
    if owner.id != client.id or not _active(row, owner, utcnow()):
        return {"active": False}
    return {
        "active": True,
        "scope": as_text(row.scopes),
        "client_id": owner.client_id,
        "token_type": TOKEN_TYPE,
        "exp": int(row.expires_at.timestamp()),
        "iat": int(row.issued_at.timestamp()),
        "sub": owner.client_id,
        "iss": issuer,
    }


async def revoke_token(session: AsyncSession, *, client: OAuthClient, token: str, info: ClientInfo) -> None:
    """RFC 7009 §2.1: revoke the client's own token; an unknown or foreign one is silently ignored
    (§2.2), so the answer tells nobody whether a token exists."""
    found = await repository.token_with_client(session, tokens.digest(token))
    if found is None or found[1].id != client.id:
        return
    if await repository.revoke_token(session, token_id=found[0].id, at=utcnow()):
        audit.record(
            session,
            AuditAction.OAUTH_TOKEN_REVOKE,
            actor=Actor.client(client.client_id),
            target=_target(client.client_id),
            client=info,
            details={"token": str(found[0].id)},
        )


@dataclass(frozen=True)
class Bearer:
    """The client an access token stands for, as a resource sees it."""

    client_id: str
    name: str
    scopes: frozenset[str]

    @property
    def actor(self) -> Actor:
        return Actor.client(self.client_id)


async def bearer(session: AsyncSession, *, token: str) -> Bearer:
    """The client behind an active token; ``InvalidToken`` if expired, revoked or its client is."""
    if not token.startswith(ACCESS_TOKEN_PREFIX) or len(token) > 128:
        raise InvalidToken("That is not an access token from POST /oauth/token.")
    found = await repository.token_with_client(session, tokens.digest(token))
    if found is None or not _active(*found, utcnow()):
        raise InvalidToken("The access token is unknown, expired or revoked; get a new one.")
    row, client = found
    return Bearer(client_id=client.client_id, name=client.name, scopes=frozenset(row.scopes))
