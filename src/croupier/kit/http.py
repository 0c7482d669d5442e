"""ASGI middleware: request id, structured access log, metrics, body limit, headers."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from croupier.kit.errors import problem
from croupier.kit.metrics import HTTP_LATENCY, HTTP_REQUESTS

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_log = structlog.get_logger("croupier.http")

# The API answers JSON that no browser should run, style or frame: a policy that allows
# nothing. A response that sets one of these headers itself keeps its own (the docs pages
# carry a policy that lets them load their scripts; their assets are cached for good).
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"content-security-policy", API_CSP),
]
_OVERRIDABLE = frozenset({b"cache-control", b"content-security-policy"})
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


def _with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    own = {name for name, _ in headers if name in _OVERRIDABLE}  # ASGI header names are lowercase
    if not own:
        return [*headers, *SECURITY_HEADERS]
    return [*headers, *(header for header in SECURITY_HEADERS if header[0] not in own)]


class RequestContextMiddleware:
    """Outermost layer: everything inside it runs with a request id bound to the logs."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        supplied = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        declared = headers.get(b"content-length", b"0")
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # An HTTPException passes through FastAPI's body parsing untouched.
                    raise HTTPException(413, "The body exceeds the limit.")
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *_with_security_headers(list(message.get("headers", []))),
                    (b"x-request-id", request_id.encode()),
                    *([HSTS] if scope.get("scheme") == "https" else []),
                ]
            await send(message)

        try:
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                too_large = problem(
                    413, "payload_too_large", "Request body too large", "The body exceeds the limit."
                )
                await too_large(scope, receive, send_wrapper)
            else:
                await self.app(scope, limited_receive, send_wrapper)
        finally:
            self._observe(scope, status, started)

    @staticmethod
    def _observe(scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route: Any = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        HTTP_REQUESTS.labels(template, method, str(status)).inc()
        HTTP_LATENCY.labels(template, method).observe(elapsed)
        _log.info(
            "http_request",
            method=method,
            route=template,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
        )
