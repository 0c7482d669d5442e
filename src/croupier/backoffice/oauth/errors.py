"""The errors of the OAuth endpoints (RFC 6749 §5.2) and of the resources they guard (RFC 6750 §3).

The token, revocation and introspection endpoints answer OAuth's own JSON error document,
``{"error", "error_description"}``, which every OAuth client library reads; they are not
problem+json. A resource such as the partner API answers problem+json like the rest of
Croupier, with RFC 6750's ``WWW-Authenticate: Bearer error=…`` header beside it.
"""

from __future__ import annotations

from typing import ClassVar

from croupier.kit.errors import CroupierError

REALM = "croupier"


class OAuthError(Exception):
    """An RFC 6749 §5.2 error; ``description`` is shown to the client, so it names no secret."""

    error: ClassVar[str] = "invalid_request"
    status: ClassVar[int] = 400

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}

    def headers(self) -> dict[str, str]:
        return {"Cache-Control": "no-store", "Pragma": "no-cache"}


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    error = "invalid_client"
    status = 401

    def headers(self) -> dict[str, str]:
        # §5.2: a 401 names the schemes the client may authenticate with.
        return super().headers() | {"WWW-Authenticate": f'Basic realm="{REALM}"'}


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class UnsupportedTokenType(OAuthError):
    error = "unsupported_token_type"  # RFC 7009 §2.2.1


# ---------------------------------------------------------------- resources (RFC 6750)


def _challenge(error: str | None, description: str | None = None, scope: str | None = None) -> str:
    parts = [f'realm="{REALM}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{description}"')
    if scope:
        parts.append(f'scope="{scope}"')
    return "Bearer " + ", ".join(parts)


class BearerRequired(CroupierError):
    """No token at all: RFC 6750 §3.1 says the challenge then carries no error code."""

    code = "unauthenticated"
    status = 401
    title = "An OAuth access token is required"

    def __init__(self) -> None:
        super().__init__("Send `Authorization: Bearer <access token>` from POST /oauth/token.")
        self.headers["WWW-Authenticate"] = _challenge(None)


class InvalidToken(CroupierError):
    code = "invalid_token"
    status = 401
    title = "The access token is invalid, expired or revoked"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail)
        self.headers["WWW-Authenticate"] = _challenge("invalid_token", "The access token is not active")


class InsufficientScope(CroupierError):
    code = "insufficient_scope"
    status = 403
    title = "The access token lacks the scope this needs"

    def __init__(self, scope: str) -> None:
        super().__init__(f"This needs an access token with the {scope} scope.", scope=scope)
        self.headers["WWW-Authenticate"] = _challenge("insufficient_scope", scope=scope)


# ---------------------------------------------------------------- administration


class InvalidClientName(CroupierError):
    code = "invalid_client_name"
    status = 422
    title = "Client names are 2-64 lower-case letters, digits, dots, dashes or underscores"


class UnknownScope(CroupierError):
    code = "unknown_scope"
    status = 422
    title = "No such scope"


class InvalidPublicKey(CroupierError):
    code = "invalid_public_key"
    status = 422
    title = "The client's key is not a usable public key"
