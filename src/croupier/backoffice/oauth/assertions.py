"""``private_key_jwt`` (RFC 7523 §2.2, OpenID Connect Core §9): a client proves who it is with
a JWT it signs with its private key; Croupier holds the public half.

joserfc does the cryptography and the claim checks. The assertion must name the client in
``iss`` and ``sub``, be addressed to the token endpoint (or the issuer), carry ``exp`` and a
``jti``; the caller makes the ``jti`` single-use.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, Key, OKPKey, RSAKey
from joserfc.jwt import JWTClaimsRegistry

from croupier.backoffice.oauth.errors import InvalidClient, InvalidPublicKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Asymmetric algorithms only: "none" and the HMAC ones would let the stored key sign.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
# Clock skew tolerated between the client and Croupier.
LEEWAY_SECONDS = 60
# An assertion's jti is remembered until it expires, so its lifetime is bounded (an hour is
# what common client libraries, Authlib's among them, ask for).
MAX_LIFETIME_SECONDS = 3600 + LEEWAY_SECONDS
_KEY_TYPES = (RSAKey, ECKey, OKPKey)


def public_jwk(data: str | Mapping[str, Any]) -> dict[str, Any]:
    """A client's public key as a JWK, from a JWK (JSON text or mapping) or a PEM public key."""
    try:
        key = _import(data)
    except (JoseError, ValueError, TypeError) as error:
        raise InvalidPublicKey("Give an RSA, EC or OKP public key as a JWK or in PEM.") from error
    if not isinstance(key, _KEY_TYPES):
        raise InvalidPublicKey("Give an RSA, EC or OKP public key; shared secrets cannot sign assertions.")
    if key.is_private:
        raise InvalidPublicKey("That is a private key: register only its public half; the private one stays.")
    return dict(key.as_dict(private=False))


def _import(data: str | Mapping[str, Any]) -> Key:
    if isinstance(data, str) and not data.lstrip().startswith("{"):
        for key_type in ("RSA", "EC", "OKP"):
            try:
                return JWKRegistry.import_key(data, key_type)
            except (JoseError, ValueError, TypeError):
                continue
        raise ValueError("not a PEM key")
    loaded = json.loads(data) if isinstance(data, str) else dict(data)
    if not isinstance(loaded, dict):
        raise TypeError("not a JWK")
    return JWKRegistry.import_key(loaded)


def claimed_client(assertion: str) -> str:
    """The ``iss`` an assertion names, read before its signature is checked, to find the key."""
    try:
        payload = jws.extract_compact(assertion.encode()).payload
        claims = json.loads(payload)
    except (JoseError, ValueError, TypeError) as error:
        raise InvalidClient("The client assertion is not a JWT.") from error
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    if not isinstance(issuer, str) or not issuer:
        raise InvalidClient("The client assertion names no issuer.")
    return issuer


@dataclass(frozen=True)
class Verified:
    jti: str
    expires_at: datetime


def verify(
    assertion: str, *, jwk: Mapping[str, Any], client_id: str, audiences: Collection[str], now: datetime
) -> Verified:
    """The assertion's ``jti`` and expiry, once its signature and claims check out."""
    at = int(now.timestamp())
    claims = JWTClaimsRegistry(
        now=at,
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": client_id},
        sub={"essential": True, "value": client_id},
        aud={"essential": True, "values": list(audiences)},
        exp={"essential": True},
        jti={"essential": True},
    )
    try:
        token = jwt.decode(assertion, JWKRegistry.import_key(dict(jwk)), algorithms=list(ALGORITHMS))
        claims.validate(token.claims)
    except (JoseError, ValueError, TypeError) as error:
        # Which check failed is for the audit trail, not for a caller probing the key.
        raise InvalidClient("The client assertion is invalid or expired.") from error
    expires = token.claims["exp"]
    jti = token.claims["jti"]
    if not isinstance(expires, int) or expires - at > MAX_LIFETIME_SECONDS:
        raise InvalidClient(f"A client assertion may live at most {MAX_LIFETIME_SECONDS} seconds.")
    if not jti or len(jti) > 200:
        raise InvalidClient("The client assertion's jti must be 1-200 characters.")
    return Verified(jti=jti, expires_at=datetime.fromtimestamp(expires, UTC))
