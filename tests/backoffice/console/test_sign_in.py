"""Signing in to the console: password, then the authenticator app; the session lives in a cookie.

Over HTTP as a browser does it (forms, cookies, redirects): a first sign-in sets up the
authenticator app and nothing opens before its code; the session cookie is HttpOnly and
SameSite=Strict; a wrong password or code shows the form again with the reason; signing
out ends the session; the cookie never opens the JSON API.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from croupier.kit.runtime import Runtime
from tests.conftest import TEST_IP
from tests.staff.support import PASSWORD, code_for, invite, wrong_code

EMAIL = "rita@casino.example"


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that keeps cookies and does not follow redirects, as the tests look at each step."""
    transport = httpx.ASGITransport(app=app, client=(TEST_IP, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found is not None, page.text
    return found[1]


async def _invited(browser: httpx.AsyncClient, runtime: Runtime, *roles: str) -> None:
    token = await invite(runtime, EMAIL, *roles)
    accepted = await browser.post(f"/v1/staff/invitations/{token}/accept", json={"password": PASSWORD})
    assert accepted.status_code == 200, accepted.text


async def _password_step(browser: httpx.AsyncClient, password: str = PASSWORD) -> httpx.Response:
    form = await browser.get("/console/sign-in")
    return await browser.post(
        "/console/sign-in", data={"csrf": _csrf(form), "email": EMAIL, "password": password}
    )


async def test_a_first_sign_in_sets_up_the_authenticator_then_opens_the_console(
    browser: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _invited(browser, runtime, "risk")

    password = await _password_step(browser)
    cookie = password.headers["set-cookie"].lower()
    before_code = await browser.get("/console/dashboard")
    code_page = await browser.get("/console/sign-in/code")
    enrolment = await browser.post("/console/sign-in/enrol", data={"csrf": _csrf(code_page)})
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', enrolment.text)
    assert secret is not None, enrolment.text
    done = await browser.post(
        "/console/sign-in/code", data={"csrf": _csrf(enrolment), "code": code_for(secret[1])}
    )
    dashboard = await browser.get("/console/dashboard")

    assert password.status_code == 303
    assert password.headers["location"] == "/console/sign-in/code"
    assert cookie.startswith("croupier_staff=crb_")
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert before_code.status_code == 303  # signed in, second factor not yet done
    assert before_code.headers["location"] == "/console/sign-in/code"
    assert "Set up my authenticator app" in code_page.text
    assert done.status_code == 303
    assert done.headers["location"] == "/console/dashboard"
    assert dashboard.status_code == 200
    assert EMAIL in dashboard.text


async def test_a_wrong_password_or_code_shows_the_form_again_with_the_reason(
    browser: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _invited(browser, runtime, "support")
    wrong = await _password_step(browser, "not-the-password-at-all")
    assert wrong.status_code == 401
    assert 'data-code="invalid_credentials"' in wrong.text
    assert "set-cookie" not in wrong.headers or "croupier_staff" not in wrong.headers["set-cookie"]

    await _password_step(browser)
    page = await browser.get("/console/sign-in/code")
    enrolment = await browser.post("/console/sign-in/enrol", data={"csrf": _csrf(page)})
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', enrolment.text)
    assert secret is not None
    refused = await browser.post(
        "/console/sign-in/code", data={"csrf": _csrf(enrolment), "code": wrong_code(secret[1])}
    )

    assert refused.status_code in {400, 401, 422}
    assert 'data-code="invalid_otp"' in refused.text
    assert (await browser.get("/console/dashboard")).headers["location"] == "/console/sign-in/code"


async def test_signing_out_ends_the_session_and_the_cookie_never_opens_the_api(
    browser: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _invited(browser, runtime, "risk")
    await _password_step(browser)
    page = await browser.get("/console/sign-in/code")
    enrolment = await browser.post("/console/sign-in/enrol", data={"csrf": _csrf(page)})
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', enrolment.text)
    assert secret is not None
    await browser.post("/console/sign-in/code", data={"csrf": _csrf(enrolment), "code": code_for(secret[1])})
    token = browser.cookies["croupier_staff"]
    dashboard = await browser.get("/console/dashboard")

    api = await browser.get("/v1/staff/risk/rules")  # the cookie rides along, and opens nothing
    out = await browser.post("/console/sign-out", data={"csrf": _csrf(dashboard)})
    after = await browser.get("/console/dashboard", headers={"Cookie": f"croupier_staff={token}"})

    assert api.status_code == 401
    assert out.status_code == 303
    assert after.status_code == 303
    assert after.headers["location"] == "/console/sign-in"


async def test_a_sign_in_form_without_its_token_is_refused(
    browser: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _invited(browser, runtime, "risk")
    await browser.get("/console/sign-in")  # the browser has its cookie

    forged = await browser.post("/console/sign-in", data={"email": EMAIL, "password": PASSWORD})

    assert forged.status_code == 403
    assert 'data-code="csrf_rejected"' in forged.text
    assert "croupier_staff" not in browser.cookies


async def test_an_invitation_link_opens_a_page_to_choose_the_password_once(
    browser: httpx.AsyncClient, runtime: Runtime
) -> None:
    token = await invite(runtime, EMAIL, "support")
    page = await browser.get(f"/console/invitations/{token}")

    weak = await browser.post(
        f"/console/invitations/{token}", data={"csrf": _csrf(page), "password": "password"}
    )
    chosen = await browser.post(
        f"/console/invitations/{token}", data={"csrf": _csrf(page), "password": PASSWORD}
    )
    again = await browser.post(
        f"/console/invitations/{token}", data={"csrf": _csrf(page), "password": PASSWORD}
    )
    signed = await _password_step(browser)

    assert page.status_code == 200
    assert weak.status_code == 422
    assert 'data-code="weak_password"' in weak.text  # the form again, and the link still works
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/console/sign-in"
    assert 400 <= again.status_code < 500  # used once
    assert signed.headers["location"] == "/console/sign-in/code"
