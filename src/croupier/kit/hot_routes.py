"""Hot routes: the bet paths, answered without FastAPI's per-request dependency solving.

An endpoint marked ``@answered_first_by(fast)`` on a router whose ``route_class`` is
``HotRoute`` keeps its FastAPI declaration: its OpenAPI operation, and the framework's
handler for every request ``fast`` does not take. ``fast(request)`` answers the plainly
well-formed request itself (a JSON object body, a bearer token, a valid key: whatever its
endpoint needs) and returns None for anything else, before it has done any work; the
framework then answers that request as before, its refusal included. So the error
contract is the framework's by construction, and only the path every bet takes is lean.

An endpoint on such a router that takes nothing but the request (Hub88's wallet calls, whose
contract is Hub88's) is called with it directly: there is nothing to solve. A route with
dependencies of its decorator, its router or an include gets the framework on every request.

Why: solving a dice bet's dependencies (the session, the settings, the principal, the key,
the client) took 21.5 % of its server CPU, the session lookup they wrap included
(``bench/server_cpu.py --profile``, docs/architecture.md "Scale").
Exceptions leave ``fast`` exactly as they leave an endpoint, through the app's handlers
and the conflict retry.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

FastPath = Callable[[Request], Awaitable[Response | None]]
Handler = Callable[[Request], Coroutine[Any, Any, Response]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_FAST_PATH = "__croupier_fast_path__"
# Longer bearer tokens are refused unread (``identity.auth``); none is that long.
MAX_BEARER_LENGTH = 256


def answered_first_by(fast: FastPath) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint: ``fast`` answers its requests first (see the module's docstring)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _FAST_PATH, fast)
        return endpoint

    return mark


class HotRoute(APIRoute):
    """A route whose marked endpoint is answered by its fast path first, by FastAPI otherwise;
    and whose endpoint, when it takes nothing but the request, is called with it directly."""

    def get_route_handler(self) -> Handler:
        framework = super().get_route_handler()
        effective = _effective_dependant(self)
        if not _nothing_added(self, effective):
            return framework  # dependencies of the router or of an include: solve them
        fast: FastPath | None = getattr(self.endpoint, _FAST_PATH, None)
        if fast is None:
            return _direct(self.endpoint) if _takes_only_the_request(effective) else framework

        async def handler(request: Request) -> Response:
            answer = await fast(request)
            return answer if answer is not None else await framework(request)

        return handler


def _effective_dependant(route: APIRoute) -> Dependant | None:
    """The dependant FastAPI answers with: the route's own, or, for a route of an included
    router, the one with the include's dependencies added (None when that cannot be told)."""
    context_var = getattr(fastapi_routing, "_effective_route_context_var", None)
    if context_var is None:
        return None
    effective = context_var.get()
    if effective is not None and effective.original_route is route:
        found: Dependant | None = getattr(effective, "dependant", None)
        return found
    return route.dependant


def _nothing_added(route: APIRoute, effective: Dependant | None) -> bool:
    """Whether the route runs with its endpoint's own parameters only: no dependencies from
    the decorator, the router or an include."""
    return (
        effective is not None
        and not route.dependencies
        and len(effective.dependencies) == len(route.dependant.dependencies)
    )


def _takes_only_the_request(dependant: Dependant | None) -> bool:
    if dependant is None or dependant.request_param_name is None:
        return False
    solved = (
        dependant.path_params,
        dependant.query_params,
        dependant.header_params,
        dependant.cookie_params,
        dependant.body_params,
        dependant.dependencies,
    )
    injected = (
        dependant.websocket_param_name,
        dependant.http_connection_param_name,
        dependant.response_param_name,
        dependant.background_tasks_param_name,
        dependant.security_scopes_param_name,
    )
    return not any(solved) and all(name is None for name in injected)


def _direct(
    endpoint: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    async def handler(request: Request) -> Response:
        answer = await endpoint(request)
        if not isinstance(answer, Response):  # pragma: no cover - such endpoints answer a Response
            raise TypeError("an endpoint that takes only the request answers a Response")
        return answer

    return handler


async def json_object(request: Request) -> dict[str, Any] | None:
    """The body when it is a JSON object sent as ``application/json``; None for anything else."""
    content_type = request.headers.get("content-type", "")
    if content_type.partition(";")[0].strip().lower() != "application/json":
        return None
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def bearer_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>`` as the framework's bearer scheme reads it;
    None when there is none, or any doubt."""
    header = request.headers.getlist("authorization")
    if len(header) != 1:
        return None
    scheme, _, token = header[0].partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_BEARER_LENGTH:
        return None
    return token
