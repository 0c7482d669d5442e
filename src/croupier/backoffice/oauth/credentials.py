"""How a client authenticates at the OAuth endpoints, read from the request (RFC 6749 §2.3).

``client_secret_basic`` (HTTP Basic, each half form-urlencoded), ``client_secret_post``
(``client_id`` and ``client_secret`` in the body) or ``private_key_jwt`` (RFC 7523). A
request using more than one is refused, as §2.3 requires.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote_plus

from starlette.datastructures import FormData

from croupier.backoffice.oauth.assertions import ASSERTION_TYPE
from croupier.backoffice.oauth.errors import InvalidClient, InvalidRequest

# A parameter longer than this is not one Croupier issued or could verify.
MAX_PARAMETER_CHARS = 8192


class AuthMethod(StrEnum):  # RFC 8414 names, not secrets
    CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105
    CLIENT_SECRET_POST = "client_secret_post"  # noqa: S105
    PRIVATE_KEY_JWT = "private_key_jwt"


@dataclass(frozen=True)
class ClientCredentials:
    method: AuthMethod
    client_id: str | None  # for private_key_jwt, optional: the assertion's iss names the client
    secret: str | None = None
    assertion: str | None = None


def single(form: FormData, name: str) -> str | None:
    """A form parameter; sending one twice is refused (RFC 6749 §3.2)."""
    values = form.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise InvalidRequest(f"The {name} parameter is repeated.")
    value = values[0]
    if not isinstance(value, str):
        raise InvalidRequest(f"The {name} parameter must be text.")
    if len(value) > MAX_PARAMETER_CHARS:
        raise InvalidRequest(f"The {name} parameter is too long.")
    return value or None


def read(authorization: str | None, form: FormData) -> ClientCredentials:
    client_id = single(form, "client_id")
    secret = single(form, "client_secret")
    assertion = single(form, "client_assertion")
    assertion_type = single(form, "client_assertion_type")
    basic = _basic(authorization)
    used = [basic is not None, secret is not None, assertion is not None]
    if sum(used) > 1:
        raise InvalidRequest("Use one client authentication method per request.")
    if basic is not None:
        if client_id is not None and client_id != basic[0]:
            raise InvalidRequest("The client_id parameter differs from the Basic credentials.")
        return ClientCredentials(AuthMethod.CLIENT_SECRET_BASIC, basic[0], secret=basic[1])
    if secret is not None:
        if client_id is None:
            raise InvalidRequest("client_secret_post needs the client_id parameter.")
        return ClientCredentials(AuthMethod.CLIENT_SECRET_POST, client_id, secret=secret)
    if assertion is not None:
        if assertion_type != ASSERTION_TYPE:
            raise InvalidRequest(f"client_assertion_type must be {ASSERTION_TYPE}.")
        return ClientCredentials(AuthMethod.PRIVATE_KEY_JWT, client_id, assertion=assertion)
    raise InvalidClient("Client authentication is required.")


def _basic(authorization: str | None) -> tuple[str, str] | None:
    if not authorization:
        return None
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClient("Authenticate the client with HTTP Basic or in the request body.")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as error:
        raise InvalidClient("The Basic credentials are malformed.") from error
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise InvalidClient("The Basic credentials are malformed.")
    return unquote_plus(client_id), unquote_plus(secret)
