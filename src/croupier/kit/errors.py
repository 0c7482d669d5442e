"""Domain errors rendered as RFC 9457 ``application/problem+json``.

Every expected failure is a ``CroupierError`` subclass with a stable
machine-readable ``code`` and an HTTP status. One set of handlers renders them,
plus the framework's own errors (validation, unknown route, oversized body), so
that a client never sees anything but a problem document, and never a 500 for
bad input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

if TYPE_CHECKING:
    from fastapi import FastAPI, Request

    # Pages for people (the staff console) answer an error as a page, not as problem+json:
    # given the request and the problem's status, code, title and detail, such a renderer
    # returns the page, or None for a request that is not one of its pages.
    PageErrors = Callable[[Request, int, str, str, str], Response | None]

from croupier.kit.metrics import DATABASE_BUSY
from croupier.kit.retry import RETRY_MARKER, is_retryable, is_unavailable

PROBLEM_JSON = "application/problem+json"
# Seconds a client is asked to wait when every database connection is taken.
BUSY_RETRY_AFTER_SECONDS = 1
_log = structlog.get_logger("croupier.errors")


class CroupierError(Exception):
    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Request failed"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra
        self.headers: dict[str, str] = {}


class NotFound(CroupierError):
    code = "not_found"
    status = 404
    title = "Not found"


class Unauthenticated(CroupierError):
    code = "unauthenticated"
    status = 401
    title = "Authentication required"


class Forbidden(CroupierError):
    code = "forbidden"
    status = 403
    title = "Not allowed"


class Conflict(CroupierError):
    code = "conflict"
    status = 409
    title = "Conflict"


class RateLimited(CroupierError):
    code = "rate_limited"
    status = 429
    title = "Too many requests"


class HTTPProblem(StarletteHTTPException):
    """A problem with its own code, raised where only an HTTPException passes through
    untouched: while FastAPI reads the request body (``kit.http``)."""

    def __init__(self, status: int, code: str, title: str, detail: str) -> None:
        super().__init__(status, detail)
        self.code = code
        self.title = title


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://croupier.dev/problems/{code.replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def responses(*errors: type[CroupierError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entry declaring the problems an endpoint can answer."""
    out: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        entry = out.setdefault(
            error.status, {"description": "", "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}
        )
        entry["description"] = ", ".join(filter(None, [entry["description"], f"`{error.code}`"]))
    return out


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "request_id": {"type": "string"},
    },
}


def _safe_validation_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    # Never echo the rejected input back: it may be a password or a token.
    return [
        {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": e.get("type")}
        for e in errors
    ]


_HTTP_CODES = {
    # FastAPI raises a bare 400 only when it cannot parse the body.
    400: ("malformed_body", "Malformed request body"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    413: ("payload_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
}


def install_error_handlers(app: FastAPI, *, pages: PageErrors | None = None) -> None:
    # Imported here: every command imports this module for CroupierError, and no command needs FastAPI.
    from fastapi.exceptions import RequestValidationError

    def as_page(request: Request, status: int, code: str, title: str, detail: str) -> Response | None:
        return pages(request, status, code, title, detail) if pages is not None else None

    @app.exception_handler(CroupierError)
    async def _domain(request: Request, exc: CroupierError) -> Response:
        if (page := as_page(request, exc.status, exc.code, exc.title, exc.detail)) is not None:
            return page
        response = problem(exc.status, exc.code, exc.title, exc.detail, **exc.extra)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        page = as_page(request, 422, "validation_error", "Invalid request", "One or more fields are invalid.")
        if page is not None:
            return page
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return problem(400, "malformed_body", "Malformed request body", "The body is not valid JSON.")
        return problem(
            422,
            "validation_error",
            "Invalid request",
            "One or more fields are invalid.",
            errors=_safe_validation_errors(errors),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc, HTTPProblem):
            code, title = exc.code, exc.title
        else:
            code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "Request failed"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        if (page := as_page(request, exc.status_code, code, title, detail)) is not None:
            return page
        response = problem(exc.status_code, code, title, detail)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(DBAPIError)
    @app.exception_handler(ConcurrentAttempt)  # its sqlstate makes it retryable like the database's own
    async def _conflict(request: Request, exc: DBAPIError | ConcurrentAttempt) -> JSONResponse:
        if is_unavailable(exc):
            # Nothing was committed that the client was told of; with its idempotency key a retry
            # is safe, and after a failover it reaches the new primary.
            _log.warning("database_unavailable", error_type=type(exc).__name__)
            response = problem(
                503,
                "database_unavailable",
                "Database unavailable",
                "The database is unreachable; try again shortly.",
            )
            response.headers["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
            return response
        if not is_retryable(exc):
            return await _unexpected(request, exc)
        _log.info("transaction_conflict", sqlstate=getattr(getattr(exc, "orig", exc), "sqlstate", None))
        return _try_again()

    @app.exception_handler(PoolTimeout)
    async def _busy(_: Request, __: PoolTimeout) -> JSONResponse:
        # The pool stayed full for the whole bounded wait: shed the request (its
        # transaction rolls back) rather than let requests queue up behind each other.
        DATABASE_BUSY.inc()
        _log.warning("database_busy")
        response = problem(
            503, "database_busy", "Database busy", "Every database connection is in use; try again shortly."
        )
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
        return response

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        _log.exception("unhandled_error", error_type=type(exc).__name__)
        return problem(500, "internal_error", "Internal error", "An unexpected error occurred.")


class ConcurrentAttempt(Exception):
    """A concurrent request with the same idempotency key committed first.

    Raised where continuing would commit half of a duplicate; the request is run
    again (``kit.retry``), and then answers with what the first one stored.
    """

    sqlstate = "40001"  # serialization_failure: retried like one


def _try_again() -> JSONResponse:
    response = problem(
        503, "transaction_conflict", "Busy", "A concurrent change got in the way; send it again."
    )
    response.headers["Retry-After"] = "1"
    response.headers[RETRY_MARKER.decode()] = "1"
    return response


def install_problem_openapi(
    app: FastAPI, *, finishers: Iterable[Callable[[dict[str, Any]], None]] = ()
) -> None:
    """Make the OpenAPI document say what the handlers above really send (and let each of
    ``finishers`` amend it once built).

    FastAPI documents its own JSON validation error; Croupier answers every
    error, validation included, as problem+json, and any operation with a body
    can also answer ``malformed_body`` (400), ``payload_too_large`` (413) and
    ``duplicate_json_key`` (422).
    """
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        components["Problem"] = PROBLEM_SCHEMA
        content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}

        def declare(responses: dict[str, Any], status: str, code: str) -> None:
            entry = responses.get(status, {})
            described = entry.get("description", "") if PROBLEM_JSON in entry.get("content", {}) else ""
            if f"`{code}`" not in described:
                described = ", ".join(filter(None, [described, f"`{code}`"]))
            responses[status] = {"description": described, "content": content}

        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for entry in responses.values():
                    if PROBLEM_JSON in entry.get("content", {}):
                        entry["content"] = content
                if "422" in responses or "requestBody" in operation or operation.get("parameters"):
                    declare(responses, "422", "validation_error")
                if "requestBody" in operation:
                    declare(responses, "422", "duplicate_json_key")
                    declare(responses, "400", "malformed_body")
                    declare(responses, "413", "payload_too_large")
        for finish in finishers:
            finish(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
