"""What keeps the console's pages safe in a browser: headers, cookies, CSRF tokens.

- A strict Content-Security-Policy: scripts, styles and images from this server only, no
  inline script or style, forms post only here, no framing (with ``X-Frame-Options: DENY``
  from ``kit.http``). Pages are never cached (``no-store``): they show personal data.
- Cookies are ``HttpOnly``, ``SameSite=Strict`` and ``Secure`` unless the console is served
  over plain HTTP on purpose (``CROUPIER_PUBLIC_URL`` starting ``http://``, for development).
- CSRF: every form and every htmx request carries a token that is an HMAC, under a key
  derived from the keyring, of a random per-browser cookie and the session cookie (a signed
  double-submit token). Another site can neither read the cookies nor compute the HMAC, so it
  cannot forge a form; a token from before sign-in is useless after it.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Form, Header, Request
from starlette.responses import Response

from croupier.crypto.blind_index import blind_index
from croupier.kit.deps import RuntimeDep
from croupier.kit.errors import Forbidden
from croupier.kit.keyring import KeyringSource
from croupier.kit.settings import Settings
from croupier.staff.auth import SESSION_COOKIE

__all__ = ["SESSION_COOKIE", "CsrfChecked", "check_csrf", "csrf_token", "page_headers", "set_cookie"]

CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
CSRF_COOKIE = "croupier_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


class CsrfRejected(Forbidden):
    code = "csrf_rejected"
    title = "The form is stale or did not come from the console"


def page_headers() -> dict[str, str]:
    return {"content-security-policy": CONSOLE_CSP, "cache-control": "no-store"}


def secure_cookies(settings: Settings) -> bool:
    return not settings.public_url.startswith("http://")


def set_cookie(response: Response, settings: Settings, name: str, value: str, *, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=secure_cookies(settings),
        httponly=True,
        samesite="strict",
    )


def browser_secret(request: Request) -> tuple[str, bool]:
    """The browser's CSRF cookie, or a new one (True: the response must set it)."""
    current = request.cookies.get(CSRF_COOKIE, "")
    if 32 <= len(current) <= 64 and current.isascii():
        return current, False
    return secrets.token_urlsafe(32), True


def csrf_token(keyring: KeyringSource, browser: str, session_cookie: str) -> str:
    return blind_index(keyring.current(), "console-csrf", f"{browser}|{session_cookie}").hex()


async def check_csrf(
    request: Request,
    runtime: RuntimeDep,
    csrf: Annotated[str | None, Form()] = None,
    header: Annotated[str | None, Header(alias=CSRF_HEADER)] = None,
) -> None:
    """A dependency of every console route that changes something."""
    sent = csrf or header or ""
    browser = request.cookies.get(CSRF_COOKIE, "")
    if not browser or not sent:
        raise CsrfRejected("Reload the page and try again.")
    expected = csrf_token(runtime.keyring, browser, request.cookies.get(SESSION_COOKIE, ""))
    if not hmac.compare_digest(sent, expected):
        raise CsrfRejected("Reload the page and try again.")


CsrfChecked = Annotated[None, Depends(check_csrf)]
