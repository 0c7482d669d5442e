"""The console's pages are safe in a browser: strict headers and cookies, no inline script.

Over HTTP through the app: the Content-Security-Policy allows scripts, styles and images
from the server only, forbids framing and form posts elsewhere; the CSRF cookie is HttpOnly,
SameSite=Strict, and Secure unless the console is served over plain HTTP; no page carries
inline script, inline event handlers or inline styles (the policy would block them anyway,
so a page relying on them would be broken). A visitor who is not signed in is sent to the
sign-in page, never shown a page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from croupier.api import create_app
from croupier.audit.service import Actor
from croupier.kit.runtime import Runtime
from croupier.staff import roles
from croupier.staff.access import StaffRole
from tests.conftest import TEST_IP, make_settings
from tests.risk.support import staff_key
from tests.wallet.support import bet, deposit, make_player

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


class _Inline(HTMLParser):
    """Collects what a strict policy would block: inline scripts, handlers and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script":
            self._in_script = True
            if "src" not in names:
                self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag}[{n}]" for n in names if n.startswith("on") or n == "style"]

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append("script body")


def inline_code(page: str) -> list[str]:
    parser = _Inline()
    parser.feed(page)
    return parser.found


@pytest.fixture
async def https_client(
    database_url: str, keyring_json: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(database_url, keyring_json, tmp_path, public_url="https://casino.example")
    runtime = await Runtime.start(settings)
    transport = httpx.ASGITransport(app=create_app(runtime=runtime), client=(TEST_IP, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://casino.example") as http:
        yield http
    await runtime.close()


async def test_the_sign_in_page_carries_the_console_policy(client: httpx.AsyncClient) -> None:
    response = await client.get("/console/sign-in")

    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert inline_code(response.text) == []
    assert 'name="csrf" value="' in response.text


async def test_the_csrf_cookie_is_httponly_and_strict_and_secure_over_https(
    client: httpx.AsyncClient, https_client: httpx.AsyncClient
) -> None:
    plain = (await client.get("/console/sign-in")).headers["set-cookie"].lower()
    secure = (await https_client.get("/console/sign-in")).headers["set-cookie"].lower()

    for cookie in (plain, secure):
        assert cookie.startswith("croupier_csrf=")
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
    assert "secure" not in plain  # CROUPIER_PUBLIC_URL is http://: development on purpose
    assert "; secure" in secure


async def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("/console", "/console/dashboard"):
        response = await client.get(path)
        assert response.status_code == 303
    assert response.headers["location"] == "/console/sign-in"


async def test_the_dashboard_charts_money_and_play_and_counts_the_risk_queue(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    player = await make_player(runtime)
    await deposit(runtime, player, 5_000)
    await bet(runtime, player, 1_250)
    headers = await staff_key(runtime, StaffRole.SUPPORT, name="desk")

    response = await client.get("/console/dashboard", headers=headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-security-policy"] == CSP
    assert inline_code(response.text) == []
    assert response.text.count("<svg") == 3  # money, GGR and active players for EUR
    assert "GGR per day (EUR, minor units)" in response.text
    assert ": 1250</title>" in response.text  # today's bar
    assert "risk cases open" in response.text


async def test_a_page_the_role_may_not_see_is_a_403_page(client: httpx.AsyncClient, runtime: Runtime) -> None:
    async with runtime.database.unit_of_work() as session:
        await roles.define(
            session,
            name="rules-only",
            description="d",
            permissions=["risk:rules:read"],
            actor=Actor.operator("t"),
        )
    headers = await staff_key(runtime, "rules-only", name="narrow")

    response = await client.get("/console/dashboard", headers=headers)

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-code="forbidden"' in response.text
    assert "dashboard:read" in response.text
