"""The dependency a resource declares: an active access token holding a scope (RFC 6750).

``require_scope(Scope.X)`` answers 401 ``invalid_token`` for a token that is unknown,
expired, revoked or whose client is, and 403 ``insufficient_scope`` for one without X,
each with RFC 6750's ``WWW-Authenticate: Bearer`` challenge. Refusals are audited in a
transaction of their own; a resource audits what a token was used for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2
from fastapi.security.utils import get_authorization_scheme_param

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.backoffice.oauth import service
from croupier.backoffice.oauth.endpoints import TOKEN_PATH
from croupier.backoffice.oauth.errors import BearerRequired, InsufficientScope, InvalidToken
from croupier.backoffice.oauth.scopes import DESCRIPTIONS, Scope
from croupier.backoffice.oauth.service import Bearer
from croupier.kit.deps import Client, DbSession

_scheme = OAuth2(
    flows=OAuthFlows(clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_PATH, scopes=DESCRIPTIONS)),
    scheme_name="OAuthClientCredentials",
    description="An access token from `POST /oauth/token` (client credentials grant).",
    auto_error=False,
)


def require_scope(scope: Scope) -> Callable[..., Awaitable[Bearer]]:
    async def dependency(
        request: Request,
        session: DbSession,
        client: Client,
        authorization: Annotated[str | None, Depends(_scheme)],
    ) -> Bearer:
        scheme, token = get_authorization_scheme_param(authorization)
        if not authorization or scheme.lower() != "bearer" or not token:
            raise BearerRequired()
        route = f"{request.method} {getattr(request.scope.get('route'), 'path', request.url.path)}"
        try:
            holder = await service.bearer(session, token=token)
        except InvalidToken:
            await audit.record_now(
                session,
                AuditAction.OAUTH_TOKEN_DENY,
                actor=Actor.anonymous(),
                outcome=Outcome.DENIED,
                target=Target("route", route),
                client=client,
                details={"error": "invalid_token"},
            )
            raise
        if scope not in holder.scopes:
            await audit.record_now(
                session,
                AuditAction.OAUTH_TOKEN_DENY,
                actor=holder.actor,
                outcome=Outcome.DENIED,
                target=Target("route", route),
                client=client,
                details={"error": "insufficient_scope", "needs": str(scope)},
            )
            raise InsufficientScope(str(scope))
        return holder

    dependency.scope = scope  # type: ignore[attr-defined]
    return dependency
