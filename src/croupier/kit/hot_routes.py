"""Hot routes: the bet paths, answered without FastAPI's per-request dependency solving.

An endpoint marked ``@answered_first_by(fast)`` on a router whose ``route_class`` is
``HotRoute`` keeps its FastAPI declaration: its OpenAPI operation, and the framework's
handler for every request ``fast`` does not take. ``fast(request)`` answers the plainly
well-formed request itself (a JSON object body, a bearer token, a valid key: whatever its
endpoint needs) and returns None for anything else, before it has done any work; the
framework then answers that request as before, its refusal included. So the error
contract is the framework's by construction, and only the path every bet takes is lean.

Why: solving a bet's dependencies (the session, the settings, the principal, the key, the
client) cost more server CPU than the bet's own logic (``bench/server_cpu.py --profile``).
Exceptions leave ``fast`` exactly as they leave an endpoint, through the app's handlers
and the conflict retry.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.routing import APIRoute

from croupier.kit.runtime import Runtime

FastPath = Callable[[Request], Awaitable[Response | None]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_FAST_PATH = "__croupier_fast_path__"


def answered_first_by(fast: FastPath) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint: ``fast`` answers its requests first (see the module's docstring)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _FAST_PATH, fast)
        return endpoint

    return mark


class HotRoute(APIRoute):
    """A route whose marked endpoint is answered by its fast path first, by FastAPI otherwise."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        framework = super().get_route_handler()
        fast: FastPath | None = getattr(self.endpoint, _FAST_PATH, None)
        if fast is None:
            return framework

        async def handler(request: Request) -> Response:
            answer = await fast(request)
            return answer if answer is not None else await framework(request)

        return handler


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


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
    if scheme.lower() != "bearer" or not token or len(token) > 256:
        return None
    return token


def json_response(content: bytes | str, *, status_code: int = 200) -> Response:
    return Response(content=content, status_code=status_code, media_type="application/json")
