"""ASGI middleware: request id, trace context, access log, metrics, body limit, duplicate keys, headers."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from croupier.kit import tracing
from croupier.kit.errors import HTTPProblem, problem
from croupier.kit.metrics import HTTP_LATENCY, HTTP_REQUESTS
from croupier.kit.tracing import context_for

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


class _DuplicateKey(Exception):
    pass


def _refuse_duplicates(pairs: list[tuple[str, object]]) -> None:
    if len(pairs) > 1 and len({key for key, _ in pairs}) != len(pairs):
        raise _DuplicateKey
    # Nothing is kept: the document is parsed only to look at its keys.


_PAIRS_DECODER = json.JSONDecoder(object_pairs_hook=_refuse_duplicates)


def has_duplicate_keys(body: bytes) -> bool:
    """Whether a JSON object in ``body`` names a key twice (after unescaping: ``"a"`` and ``"\\u0061"``).

    Python keeps the last value and other parsers the first, so ``{"stake": -100, "stake": 100}``
    could mean one thing to a signature checker or a proxy and another to Croupier. A body
    that is no JSON object or array is left to the endpoint (``malformed_body``).
    """
    if body.lstrip()[:1] not in (b"{", b"["):
        return False
    try:
        # json.loads(body, object_pairs_hook=...) would build a decoder per call.
        _PAIRS_DECODER.decode(body.decode(json.detect_encoding(body), "surrogatepass"))
    except _DuplicateKey:
        return True
    except (ValueError, RecursionError):
        return False
    return False


def _duplicate_key() -> HTTPProblem:
    detail = "A JSON object in the body names a key twice."
    return HTTPProblem(422, "duplicate_json_key", "Duplicate key in JSON body", detail)


# Where game providers, the PSP and the KYC provider call in: behind a client certificate when
# CROUPIER_TLS_CLIENT_CERT_REQUIRED is set.
CLIENT_CERTIFICATE_PATHS = ("/providers/", "/v1/webhooks/")


class ClientCertificateGate:
    """Refuses the provider paths to a connection without a verified client certificate.

    Reads the ASGI ``tls`` extension, which ``croupier serve`` fills in when
    CROUPIER_TLS_CLIENT_CA is set (``kit.tls.ClientCertificateProtocol``).
    """

    def __init__(self, app: ASGIApp, *, prefixes: tuple[str, ...] = CLIENT_CERTIFICATE_PATHS) -> None:
        self.app = app
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            tls = scope.get("extensions", {}).get("tls")
            if not (tls and tls["client_cert_chain"]):
                refused = problem(
                    403,
                    "client_certificate_required",
                    "Client certificate required",
                    "This path needs a TLS client certificate from the configured authority.",
                )
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)


class RequestContextMiddleware:
    """Outermost layer: everything inside it runs with a request id bound to the logs."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, body_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # Larger limits for the few paths that take files (by exact path); all others keep the small one.
        self.body_limits = dict(body_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        supplied = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        # W3C trace context: the caller's trace continued (or a new one), this request's span.
        trace = context_for(headers.get(b"traceparent"))
        tracing.CURRENT.set(trace)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            request_id=request_id, trace_id=trace.trace_id, span_id=trace.span_id
        )
        started = time.perf_counter()
        status = 500
        declared = headers.get(b"content-length", b"0")
        limit = self.body_limits.get(scope["path"], self.max_body_bytes)
        received = 0
        chunks: list[bytes] = []

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    # An HTTPException passes through FastAPI's body parsing untouched.
                    raise HTTPException(413, "The body exceeds the limit.")
                chunks.append(chunk)
                # Checked once the whole body is in, before any endpoint sees it; whatever
                # the content type: FastAPI reads a body without one as JSON, and the
                # signed provider callbacks read theirs raw.
                if not message.get("more_body", False):
                    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                    if has_duplicate_keys(body):
                        raise _duplicate_key()
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
            if declared.isdigit() and int(declared) > limit:
                too_large = problem(
                    413, "payload_too_large", "Request body too large", "The body exceeds the limit."
                )
                await too_large(scope, receive, send_wrapper)
            else:
                await self.app(scope, limited_receive, send_wrapper)
        finally:
            self._observe(scope, status, started, trace)

    @staticmethod
    def _observe(scope: Scope, status: int, started: float, trace: tracing.TraceContext) -> None:
        elapsed = time.perf_counter() - started
        route: Any = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        HTTP_REQUESTS.labels(template, method, str(status)).inc()
        HTTP_LATENCY.labels(template, method).observe(elapsed)
        recorder = tracing.RECORDER
        if recorder is not None:
            ended = time.time_ns()
            recorder.record(
                trace,
                name=f"{method} {template}",
                start_ns=ended - int(elapsed * 1e9),
                end_ns=ended,
                attributes={
                    "http.request.method": method,
                    "http.route": template,
                    "http.response.status_code": status,
                },
            )
        _log.info(
            "http_request",
            method=method,
            route=template,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
        )
