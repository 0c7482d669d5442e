"""The console in a real browser: Debian's Chromium driven by Playwright, against a live Croupier.

Each flow signs its staff in as people do (password, then the authenticator app, set up on
first sign-in from the secret the page shows) and works through the pages by clicking:
a withdrawal above the four-eyes threshold approved by a second person, a KYC review, a
risk case claimed, noted and closed, and a role without the permission seeing the 403
page. On every page the browser reports no Content-Security-Policy violation, no script
error, and no request leaving the server. Without chromium the tests are skipped locally
and fail in CI.

``CROUPIER_SCREENSHOTS=docs/screenshots`` saves the main pages as PNG files there (the
README shows them).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.backoffice.console.test_kyc import _check
from tests.browser_support import CHROMIUM, RECORD_VIOLATIONS, playwright_api
from tests.payments.support import Live, eventually, live_settings, serve
from tests.psp_sandbox import PspSandbox
from tests.risk.support import alert
from tests.sql import sql
from tests.staff.support import PASSWORD, code_for, invite
from tests.wallet.support import make_player

pytestmark = pytest.mark.slow
FOUR_EYES = 150_000
SCREENSHOTS = os.environ.get("CROUPIER_SCREENSHOTS")


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Any]:
    async with playwright_api("async")() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
        )
        yield browser
        await browser.close()


@pytest.fixture
async def live(database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox) -> AsyncIterator[Live]:
    settings = live_settings(
        database_url, keyring_json, tmp_path, psp, four_eyes_withdrawal_minor={"EUR": FOUR_EYES}
    )
    async for runtime, base_url in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Live(http=http, runtime=runtime, psp=psp, base_url=base_url)


@dataclass
class Person:
    """One member of staff at their own browser (a context of its own: their own cookies)."""

    page: Any
    base_url: str
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def open(self, path: str) -> None:
        await self.page.goto(self.base_url + path)

    async def shot(self, name: str) -> None:
        if SCREENSHOTS:  # Playwright makes the folder
            await self.page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)

    async def clean(self) -> None:
        """Nothing the policy refused, no script error, no request beyond the server."""
        assert await self.page.evaluate("window.__violations") == []
        assert self.errors == []
        assert self.outside == []


async def _person(chromium: Any, live: Live) -> Person:
    context = await chromium.new_context(viewport={"width": 1280, "height": 900})
    await context.add_init_script(RECORD_VIOLATIONS)
    person = Person(await context.new_page(), live.base_url)

    async def only_the_server(route: Any) -> None:
        if route.request.url.startswith(live.base_url + "/"):
            await route.continue_()
        else:
            person.outside.append(route.request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_the_server)
    person.page.on("console", lambda m: m.type == "error" and person.errors.append(m.text))
    person.page.on("pageerror", lambda e: person.errors.append(str(e)))
    return person


async def signed_in(chromium: Any, live: Live, email: str, *roles: str, shots: bool = False) -> Person:
    """Invited (as `croupier staff invite` does), then in the browser: the invitation's page to
    choose a password, and the first sign-in."""
    token = await invite(live.runtime, email, *roles)
    person = await _person(chromium, live)
    page = person.page
    await person.open(f"/console/invitations/{token}")  # the link the invitation gives
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button:has-text('Set my password')")
    await page.wait_for_url("**/console/sign-in")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    if shots:
        await person.shot("sign-in")
    await page.click("button:has-text('Continue')")
    await page.click("button:has-text('Set up my authenticator app')")
    secret = (await page.inner_text("#totp-secret")).strip()
    if shots:
        await person.shot("authenticator")
    await page.fill("input[name=code]", code_for(secret))
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url("**/console/dashboard")
    await person.clean()
    return person


async def test_sign_in_with_the_authenticator_opens_the_dashboard(chromium: Any, live: Live) -> None:
    player, _ = await live.funded(50_000)  # a card deposit
    for _ in range(3):
        played = await live.http.post(
            "/v1/games/dice/rounds",
            json={"stake": 1_000, "currency": "EUR", "target": 49.5, "direction": "under"},
            headers={**player.headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert played.status_code == 201, played.text
    await alert(live.runtime, await make_player(live.runtime))
    ada = await signed_in(chromium, live, "ada@casino.example", "risk", shots=True)

    assert await ada.page.locator("svg.chart").count() == 3  # money, GGR and players, in EUR
    assert "dice" in await ada.page.inner_text("main table")
    assert "risk cases open" in await ada.page.inner_text("main")
    assert "ada@casino.example" in await ada.page.inner_text("header")
    await ada.shot("dashboard")

    await ada.page.click("button:has-text('Sign out')")
    await ada.page.wait_for_url("**/console/sign-in")
    await ada.open("/console/dashboard")
    assert ada.page.url.endswith("/console/sign-in")
    await ada.clean()


async def test_a_large_withdrawal_is_approved_by_a_second_person(chromium: Any, live: Live) -> None:
    player, method = await live.funded(FOUR_EYES + 60_000)
    asked = await live.withdraw(player, FOUR_EYES + 1, method)
    withdrawal_id = asked.json()["id"]
    alice = await signed_in(chromium, live, "alice@casino.example", "payments")
    bob = await signed_in(chromium, live, "bob@casino.example", "payments")

    await alice.open("/console/withdrawals")
    row = alice.page.locator(f"tr[data-withdrawal='{withdrawal_id}']")
    await row.locator("input[name=note]").first.fill("documents in order")
    await alice.shot("withdrawals")
    await row.locator("button:has-text('Approve')").click()
    assert "a colleague must approve it" in await alice.page.inner_text("main")
    await alice.open("/console/approvals")
    assert "Yours: a colleague decides" in await alice.page.inner_text("main")

    await bob.open("/console/approvals")
    await bob.shot("approvals")
    await bob.page.locator("tr[data-request] button:has-text('Approve')").click()
    assert "Approved, and done." in await bob.page.inner_text("main")

    async def status() -> str:
        [(value,)] = await sql(
            live.runtime, "SELECT status FROM withdrawals WHERE id = :id", id=withdrawal_id
        )
        return str(value)

    await eventually(status, lambda s: s == "paid")
    [(maker, checker)] = await sql(live.runtime, "SELECT maker, checker FROM approval_requests")
    assert (maker, checker) == ("alice@casino.example", "bob@casino.example")
    await alice.clean()
    await bob.clean()


async def test_a_kyc_review_sets_the_level_with_a_reason(chromium: Any, live: Live) -> None:
    player = await live.player()
    await _check(live.runtime, player.id, "rejected", "final", timedelta(days=1))
    kim = await signed_in(chromium, live, "kim@casino.example", "kyc")

    await kim.open("/console/kyc")
    await kim.page.click(f"a[href='/console/kyc/{player.id}']")
    await kim.page.select_option("select[name=level]", "full")
    await kim.page.fill("textarea[name=reason]", "passport checked by hand")
    await kim.shot("kyc-review")
    await kim.page.click("button:has-text('Set the level')")

    assert "KYC full" in await kim.page.inner_text("h1")
    await kim.open(f"/console/players/{player.id}")
    assert "Level full" in await kim.page.inner_text("#kyc")
    await kim.shot("player-360")
    await kim.clean()


async def test_an_analyst_claims_notes_and_closes_a_case(chromium: Any, live: Live) -> None:
    player = await make_player(live.runtime)
    await alert(live.runtime, player)
    rita = await signed_in(chromium, live, "rita@casino.example", "risk")

    await rita.open("/console/cases")
    await rita.page.click("button:has-text('Claim the next case')")
    await rita.page.fill("textarea[name=text]", "two cards, one device")
    await rita.page.click("button:has-text('Add the note')")
    await rita.page.select_option("select[name=disposition]", "false_positive")
    await rita.page.fill("textarea[name=reason]", "a family sharing a laptop")
    await rita.shot("case")
    await rita.page.click("button:has-text('Close the case')")

    assert "closed as false positive" in await rita.page.inner_text("main")
    [(status, assignee)] = await sql(live.runtime, "SELECT status, assignee FROM risk_cases")
    assert (status, assignee) == ("closed", "rita@casino.example")
    await rita.clean()


async def test_a_role_without_the_permission_sees_the_403_page(chromium: Any, live: Live) -> None:
    sam = await signed_in(chromium, live, "sam@casino.example", "support")

    response = await sam.page.goto(live.base_url + "/console/cases")

    assert response.status == 403
    assert "risk:read" in await sam.page.inner_text("main")
    assert sam.errors == ["Failed to load resource: the server responded with a status of 403 (Forbidden)"]
    sam.errors.clear()  # the browser's own note of the 403 page: expected here
    await sam.open("/console/dashboard")
    nav = await sam.page.inner_text("header nav")  # what support may open, and only that
    assert "Cases" not in nav
    assert "Players" in nav
    await sam.clean()
