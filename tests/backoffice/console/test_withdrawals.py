"""Withdrawals and four-eyes approvals in the console, against a live Croupier and the sandbox provider.

Approving a withdrawal above the threshold only asks; the asker sees it on the approvals
page as theirs, with nothing to press; a colleague approves it there and it is paid out. At
or below the threshold one approval is enough; a rejection needs a reason.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from croupier.staff.access import StaffRole
from tests.backoffice.support import Desk
from tests.payments.support import Live, eventually, live_settings, serve
from tests.psp_sandbox import PspSandbox
from tests.sql import sql

FOUR_EYES = 150_000


@pytest.fixture
async def live(database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox) -> AsyncIterator[Live]:
    settings = live_settings(
        database_url, keyring_json, tmp_path, psp, four_eyes_withdrawal_minor={"EUR": FOUR_EYES}
    )
    async for runtime, base_url in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Live(http=http, runtime=runtime, psp=psp, base_url=base_url)


async def _held(live: Live, amount: int) -> str:
    player, method = await live.funded(amount + 50_000)
    response = await live.withdraw(player, amount, method)
    assert response.json()["status"] == "pending_approval", response.text
    return str(response.json()["id"])


async def _status(live: Live, withdrawal_id: str) -> str:
    [(status,)] = await sql(live.runtime, "SELECT status FROM withdrawals WHERE id = :id", id=withdrawal_id)
    return str(status)


def _token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found is not None, page.text
    return found[1]


async def test_a_large_withdrawal_takes_a_second_person(live: Live) -> None:
    desk = Desk(live.http, live.runtime)
    alice = await desk.key(StaffRole.PAYMENTS, name="alice")
    bob = await desk.key(StaffRole.PAYMENTS, name="bob")
    withdrawal_id = await _held(live, FOUR_EYES + 1)
    queue = await live.http.get("/console/withdrawals", headers=alice)
    assert f'data-withdrawal="{withdrawal_id}"' in queue.text

    asked = await live.http.post(
        f"/console/withdrawals/{withdrawal_id}/approve",
        data={"csrf": _token(queue), "note": "documents in order"},
        headers=alice,
        follow_redirects=True,
    )
    alices_view = await live.http.get("/console/approvals", headers=alice)
    bobs_view = await live.http.get("/console/approvals", headers=bob)
    request_id = re.search(r'data-request="([0-9a-f-]+)"', bobs_view.text)

    assert "a colleague must approve it" in asked.text
    assert await _status(live, withdrawal_id) == "pending_approval"
    assert "Yours: a colleague decides" in alices_view.text
    assert request_id is not None
    assert "documents in order" in bobs_view.text

    approved = await live.http.post(
        f"/console/approvals/{request_id[1]}/approve",
        data={"csrf": _token(bobs_view)},
        headers=bob,
        follow_redirects=True,
    )

    assert "Approved, and done." in approved.text
    await eventually(lambda: _status(live, withdrawal_id), lambda s: s == "paid")


async def test_the_asker_cannot_approve_their_own_request_even_by_posting(live: Live) -> None:
    desk = Desk(live.http, live.runtime)
    alice = await desk.key(StaffRole.PAYMENTS, name="alice")
    withdrawal_id = await _held(live, FOUR_EYES + 1)
    queue = await live.http.get("/console/withdrawals", headers=alice)
    await live.http.post(
        f"/console/withdrawals/{withdrawal_id}/approve", data={"csrf": _token(queue)}, headers=alice
    )
    [(request_id,)] = await sql(live.runtime, "SELECT id FROM approval_requests")

    own = await live.http.post(
        f"/console/approvals/{request_id}/approve", data={"csrf": _token(queue)}, headers=alice
    )

    assert own.status_code == 403
    assert 'data-code="approval_own_request"' in own.text
    assert await _status(live, withdrawal_id) == "pending_approval"


async def test_up_to_the_threshold_one_approval_pays_and_a_rejection_needs_a_reason(live: Live) -> None:
    desk = Desk(live.http, live.runtime)
    alice = await desk.key(StaffRole.PAYMENTS, name="alice")
    small, other = await _held(live, FOUR_EYES), await _held(live, FOUR_EYES)
    queue = await live.http.get("/console/withdrawals", headers=alice)

    approved = await live.http.post(
        f"/console/withdrawals/{small}/approve", data={"csrf": _token(queue)}, headers=alice
    )
    reasonless = await live.http.post(
        f"/console/withdrawals/{other}/reject", data={"csrf": _token(queue), "note": ""}, headers=alice
    )
    rejected = await live.http.post(
        f"/console/withdrawals/{other}/reject",
        data={"csrf": _token(queue), "note": "card not in the player's name"},
        headers=alice,
    )

    assert approved.headers["location"] == "/console/withdrawals?done=approved"
    assert reasonless.status_code == 422
    assert rejected.headers["location"] == "/console/withdrawals?done=rejected"
    await eventually(lambda: _status(live, small), lambda s: s == "paid")
    assert await _status(live, other) == "rejected"
