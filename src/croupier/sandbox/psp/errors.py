"""Every failure is ``{"error": code, "message": text}`` with a 4xx status, as providers answer.

Validation messages name the offending fields but never repeat their values:
the value may be a card number or a security code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

_log = structlog.get_logger("croupier.sandbox.psp")

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}


class PspError(Exception):
    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def invalid_request(message: str) -> PspError:
    return PspError(422, "invalid_request", message)


def _field(error: Mapping[str, Any]) -> str:
    # An unknown field is named by the client, so it could be anything: a card number too.
    if error.get("type") == "extra_forbidden":
        return "(unexpected field)"
    parts = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _psp_error(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, PspError):  # registered for PspError only
        raise TypeError("broken invariant: registered for PspError only")
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):  # registered for this type only
        raise TypeError("broken invariant: registered for this type only")
    fields = sorted({_field(error) for error in exc.errors()})
    return error_response(422, "invalid_request", "Invalid or missing fields: " + ", ".join(fields) + ".")


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):  # registered for this type only
        raise TypeError("broken invariant: registered for this type only")
    if exc.status_code == 400:
        # The framework's "could not parse the body": the same answer as any other malformed request.
        return error_response(422, "invalid_request", "The body could not be parsed.")
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    _log.error("psp.unexpected_error", exc_info=exc)
    return error_response(500, "internal_error", "The sandbox failed; see its log.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PspError, _psp_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
