"""The authorization server's endpoints: token (RFC 6749 §4.4), revocation (RFC 7009),
introspection (RFC 7662) and the metadata document (RFC 8414).

Their bodies are form-encoded and their errors are OAuth's JSON error documents, as every
OAuth client expects; each parses its form itself so that no malformed request becomes a
problem document or a 500.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException

from croupier.backoffice.oauth import assertions, service
from croupier.backoffice.oauth import credentials as client_credentials
from croupier.backoffice.oauth.assertions import ALGORITHMS
from croupier.backoffice.oauth.credentials import AuthMethod, single
from croupier.backoffice.oauth.errors import InvalidRequest, OAuthError, UnsupportedGrantType
from croupier.backoffice.oauth.models import OAuthClient
from croupier.backoffice.oauth.scopes import Scope
from croupier.backoffice.oauth.service import Endpoint
from croupier.kit.deps import Client, DbSession, SettingsDep
from croupier.kit.settings import Settings

router = APIRouter(tags=["oauth"])

TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
REVOKE_PATH = "/oauth/revoke"
INTROSPECT_PATH = "/oauth/introspect"
METADATA_PATH = "/.well-known/oauth-authorization-server"
_FORM = "application/x-www-form-urlencoded"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "`invalid_request`, `invalid_grant`, `invalid_scope`, `unsupported_grant_type`",
        "content": {"application/json": {"schema": _ERROR_SCHEMA}},
    },
    401: {
        "description": "`invalid_client`, with `WWW-Authenticate`",
        "content": {"application/json": {"schema": _ERROR_SCHEMA}},
    },
}


def declare_oauth_errors(schema: dict[str, Any]) -> None:
    """An OpenAPI finisher: the shared one declares a problem+json 400 for every body (which the
    body-size guard may still send); the OAuth endpoints' own 400 and 401 are OAuth JSON errors."""
    for path in (TOKEN_PATH, REVOKE_PATH, INTROSPECT_PATH):
        responses = schema.get("paths", {}).get(path, {}).get("post", {}).get("responses", {})
        for status, declared in _ERRORS.items():
            entry = responses.setdefault(str(status), {"description": "", "content": {}})
            entry["description"] = ", ".join(
                filter(None, [declared["description"], entry.get("description")])
            )
            entry.setdefault("content", {}).update(declared["content"])


_CLIENT_FIELDS = ("client_id", "client_secret", "client_assertion_type", "client_assertion")


def _form_body(required: str, *fields: str) -> dict[str, Any]:
    """The form an endpoint reads, for the OpenAPI document (each endpoint parses it itself)."""
    text = {"type": "string", "minLength": 1}
    return {
        "requestBody": {
            "required": True,
            "content": {
                _FORM: {
                    "schema": {
                        "type": "object",
                        "required": [required],
                        "properties": dict.fromkeys((required, *fields, *_CLIENT_FIELDS), text),
                    }
                }
            },
        }
    }


def _issuer(settings: Settings) -> str:
    return settings.public_url.rstrip("/")


def _audiences(settings: Settings) -> tuple[str, ...]:
    """What a client assertion's ``aud`` may name: the token endpoint (RFC 7523 §3) or the issuer."""
    return _issuer(settings) + TOKEN_PATH, _issuer(settings)


def _error(error: OAuthError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers())


async def _form(request: Request) -> FormData:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != _FORM:
        raise InvalidRequest(f"Send the parameters as {_FORM}.")
    try:
        return await request.form(max_files=0, max_fields=32)
    except (ValueError, MultiPartException) as error:
        raise InvalidRequest("The form body is malformed.") from error


async def _client(request: Request, session: DbSession, settings: Settings, form: FormData) -> OAuthClient:
    credentials = client_credentials.read(request.headers.get("authorization"), form)
    # Who the client claims to be, for the audit entry of a refusal (marked denied, so unproven).
    request.state.oauth_client_id = credentials.client_id
    if credentials.assertion is not None and credentials.client_id is None:
        with suppress(OAuthError):
            request.state.oauth_client_id = assertions.claimed_client(credentials.assertion)
    client = await service.authenticate(session, credentials=credentials, audiences=_audiences(settings))
    request.state.oauth_client_id = client.client_id
    return client


async def _refuse(
    request: Request, session: DbSession, client: Client, error: OAuthError, endpoint: Endpoint
) -> JSONResponse:
    claimed = getattr(request.state, "oauth_client_id", None)
    await service.refused(session, error, endpoint=endpoint, client_id=claimed, info=client)
    return _error(error)


@router.post(
    TOKEN_PATH,
    summary="An access token for a machine client (client credentials grant)",
    response_class=JSONResponse,
    responses={
        200: {"description": "`access_token`, `token_type` Bearer, `expires_in`, `scope`"},
        **_ERRORS,
    },
    openapi_extra=_form_body("grant_type", "scope"),
)
async def token(request: Request, session: DbSession, settings: SettingsDep, client: Client) -> Response:
    try:
        form = await _form(request)
        grant_type = single(form, "grant_type")
        if grant_type is None:
            raise InvalidRequest("The grant_type parameter is required.")
        if grant_type != "client_credentials":
            raise UnsupportedGrantType("Croupier issues tokens for the client_credentials grant only.")
        oauth_client = await _client(request, session, settings, form)
        granted = await service.grant(
            session,
            client=oauth_client,
            scope=single(form, "scope"),
            lifetime_seconds=settings.oauth_token_lifetime_seconds,
            info=client,
        )
    except OAuthError as error:
        return await _refuse(request, session, client, error, Endpoint.TOKEN)
    return JSONResponse(granted.body(), headers=_NO_STORE)


@router.post(
    REVOKE_PATH,
    summary="Revoke one of the client's own access tokens (RFC 7009)",
    responses={
        200: {"description": "Revoked, or not a token of this client: the answer is the same"},
        **_ERRORS,
    },
    openapi_extra=_form_body("token", "token_type_hint"),
)
async def revoke(request: Request, session: DbSession, settings: SettingsDep, client: Client) -> Response:
    try:
        form = await _form(request)
        oauth_client = await _client(request, session, settings, form)
        token = single(form, "token")
        if token is None:
            raise InvalidRequest("The token parameter is required.")
        await service.revoke_token(session, client=oauth_client, token=token, info=client)
    except OAuthError as error:
        return await _refuse(request, session, client, error, Endpoint.REVOKE)
    return Response(status_code=200, headers=_NO_STORE)


@router.post(
    INTROSPECT_PATH,
    summary="Whether one of the client's own access tokens is active (RFC 7662)",
    response_class=JSONResponse,
    responses={
        200: {"description": "`active`, and for an active token its `scope`, `client_id`, `exp`…"},
        **_ERRORS,
    },
    openapi_extra=_form_body("token", "token_type_hint"),
)
async def introspect(request: Request, session: DbSession, settings: SettingsDep, client: Client) -> Response:
    try:
        form = await _form(request)
        oauth_client = await _client(request, session, settings, form)
        token = single(form, "token")
        if token is None:
            raise InvalidRequest("The token parameter is required.")
        answer = await service.introspect(session, client=oauth_client, token=token, issuer=_issuer(settings))
    except OAuthError as error:
        return await _refuse(request, session, client, error, Endpoint.INTROSPECT)
    return JSONResponse(answer, headers=_NO_STORE)


@router.get(METADATA_PATH, summary="The authorization server's metadata (RFC 8414)")
async def metadata(settings: SettingsDep) -> dict[str, Any]:
    issuer = _issuer(settings)
    methods = [str(m) for m in AuthMethod]
    return {
        "issuer": issuer,
        "token_endpoint": issuer + TOKEN_PATH,
        "revocation_endpoint": issuer + REVOKE_PATH,
        "introspection_endpoint": issuer + INTROSPECT_PATH,
        "grant_types_supported": ["client_credentials"],
        # There is no authorization endpoint, but RFC 8414 requires this member to be non-empty:
        # "none" (OAuth 2.0 Multiple Response Type Encoding Practices) is the registered type
        # that issues nothing.
        "response_types_supported": ["none"],
        "scopes_supported": [str(s) for s in Scope],
        "token_endpoint_auth_methods_supported": methods,
        "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        "revocation_endpoint_auth_methods_supported": methods,
        "revocation_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        "introspection_endpoint_auth_methods_supported": methods,
        "introspection_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
    }
