"""Withdrawals above the four-eyes threshold: the first approval only asks, a second member of staff
approves, and the withdrawal is approved once and paid out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from croupier.staff.service import StaffRole
from tests.backoffice.support import Desk, audited
from tests.factories import SignedIn
from tests.payments.support import Live, eventually, live_settings, serve
from tests.psp_sandbox import PspSandbox
from tests.sql import sql

FOUR_EYES = 150_000  # EUR: above this approving it takes two
LARGE = FOUR_EYES + 1


@pytest.fixture
async def live(database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox) -> AsyncIterator[Live]:
    settings = live_settings(
        database_url, keyring_json, tmp_path, psp, four_eyes_withdrawal_minor={"EUR": FOUR_EYES}
    )
    async for runtime, base_url in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Live(http=http, runtime=runtime, psp=psp, base_url=base_url)


async def _held(live: Live, amount: int) -> tuple[SignedIn, str]:
    """A player with a withdrawal of ``amount`` waiting for staff; returns it with its id."""
    player, method = await live.funded(LARGE + 50_000)
    response = await live.withdraw(player, amount, method)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "pending_approval"
    return player, response.json()["id"]


async def _status(live: Live, withdrawal_id: str) -> str:
    [(status,)] = await sql(live.runtime, "SELECT status FROM withdrawals WHERE id = :id", id=withdrawal_id)
    return str(status)


async def _approvals_of_withdrawal(live: Live) -> int:
    return len(await audited(live.runtime, "payments:withdrawal:approve"))


class TestFourEyesWithdrawals:
    async def test_up_to_the_threshold_one_approval_is_enough(self, live: Live) -> None:
        desk = Desk(live.http, live.runtime)
        _, withdrawal_id = await _held(live, FOUR_EYES)
        alice = await desk.key(StaffRole.PAYMENTS, name="alice")

        response = await live.http.post(
            f"/v1/staff/withdrawals/{withdrawal_id}/approve", json={}, headers=alice
        )

        assert response.status_code == 200, response.text
        assert response.json()["reviewed_by"] == "alice"

    async def test_above_it_the_first_approval_asks_and_a_second_member_approves(self, live: Live) -> None:
        desk = Desk(live.http, live.runtime)
        player, withdrawal_id = await _held(live, LARGE)
        alice = await desk.key(StaffRole.PAYMENTS, name="alice")
        bob = await desk.key(StaffRole.PAYMENTS, name="bob")
        path = f"/v1/staff/withdrawals/{withdrawal_id}/approve"

        asked = await live.http.post(path, json={"note": "KYC ok"}, headers=alice)
        asked_again = await live.http.post(path, json={}, headers=alice)

        assert asked.status_code == 202, asked.text
        request = asked.json()
        assert (request["kind"], request["subject"], request["maker"], request["maker_reason"]) == (
            "withdrawal_approve",
            f"withdrawal:{withdrawal_id}",
            "alice",
            "KYC ok",
        )
        assert request["payload"] == {"withdrawal_id": withdrawal_id, "amount": LARGE, "currency": "EUR"}
        assert (asked_again.status_code, asked_again.json()["id"]) == (202, request["id"])
        assert await _status(live, withdrawal_id) == "pending_approval"
        own = await desk.approve(alice, request["id"])
        assert (own.status_code, own.json()["code"]) == (403, "approval_own_request")
        assert await _status(live, withdrawal_id) == "pending_approval"

        approved = await desk.approve(bob, request["id"])

        assert approved.status_code == 200, approved.text
        assert approved.json()["effect"]["withdrawal_id"] == withdrawal_id
        paid = await eventually(
            lambda: live.get(player, f"/v1/withdrawals/{withdrawal_id}"),
            lambda w: w["status"] == "paid",
        )
        assert paid["status"] == "paid"
        twice = await desk.approve(bob, request["id"])
        assert (twice.status_code, twice.json()["code"]) == (409, "approval_not_pending")
        assert await audited(live.runtime, "payments:withdrawal:approve") == [
            ("payments:withdrawal:approve", "success", "bob")
        ]
        await live.books_balance()

    async def test_a_rejected_request_leaves_the_withdrawal_waiting_and_the_funds_held(
        self, live: Live
    ) -> None:
        desk = Desk(live.http, live.runtime)
        player, withdrawal_id = await _held(live, LARGE)
        alice, bob = await desk.key(StaffRole.PAYMENTS), await desk.key(StaffRole.PAYMENTS)
        request = (
            await live.http.post(f"/v1/staff/withdrawals/{withdrawal_id}/approve", json={}, headers=alice)
        ).json()

        rejected = await desk.reject(bob, request["id"], "source of funds unclear")

        assert rejected.status_code == 200, rejected.text
        assert await _status(live, withdrawal_id) == "pending_approval"
        assert await live.wallet(player) == {"available": 50_000, "held": LARGE}
        assert await _approvals_of_withdrawal(live) == 0

    async def test_concurrent_approvals_approve_the_withdrawal_once(self, live: Live) -> None:
        desk = Desk(live.http, live.runtime)
        _, withdrawal_id = await _held(live, LARGE)
        maker = await desk.key(StaffRole.PAYMENTS)
        checkers = [await desk.key(StaffRole.PAYMENTS) for _ in range(3)]
        request = (
            await live.http.post(f"/v1/staff/withdrawals/{withdrawal_id}/approve", json={}, headers=maker)
        ).json()

        answers = await asyncio.gather(*(desk.approve(c, request["id"]) for c in checkers))

        assert sorted(a.status_code for a in answers) == [200, 409, 409]
        assert await _approvals_of_withdrawal(live) == 1

    async def test_a_withdrawal_the_player_cancels_closes_its_pending_request(self, live: Live) -> None:
        desk = Desk(live.http, live.runtime)
        player, withdrawal_id = await _held(live, LARGE)
        alice, bob = await desk.key(StaffRole.PAYMENTS, name="alice"), await desk.key(StaffRole.PAYMENTS)
        request = (
            await live.http.post(f"/v1/staff/withdrawals/{withdrawal_id}/approve", json={}, headers=alice)
        ).json()

        cancelled = await live.http.delete(f"/v1/withdrawals/{withdrawal_id}", headers=player.headers)

        assert cancelled.status_code == 200, cancelled.text
        shown = (await live.http.get(f"/v1/staff/approvals/{request['id']}", headers=bob)).json()
        assert (shown["status"], shown["checker"], shown["checker_note"]) == (
            "cancelled",
            None,
            "the player cancelled the withdrawal",
        )
        response = await desk.approve(bob, request["id"])
        assert (response.status_code, response.json()["code"]) == (409, "approval_not_pending")
        assert await audited(live.runtime, "backoffice:approval:close") == [
            ("backoffice:approval:close", "success", player.id)
        ]

    async def test_a_withdrawal_rejected_directly_closes_its_pending_request_in_the_same_transaction(
        self, live: Live
    ) -> None:
        desk = Desk(live.http, live.runtime)
        player, withdrawal_id = await _held(live, LARGE)
        alice, bob = (
            await desk.key(StaffRole.PAYMENTS, name="alice"),
            await desk.key(StaffRole.PAYMENTS, name="bob"),
        )
        request = (
            await live.http.post(f"/v1/staff/withdrawals/{withdrawal_id}/approve", json={}, headers=alice)
        ).json()

        rejected = await live.http.post(
            f"/v1/staff/withdrawals/{withdrawal_id}/reject",
            json={"note": "source of funds unclear"},
            headers=bob,
        )

        assert rejected.status_code == 200, rejected.text
        assert await _status(live, withdrawal_id) == "rejected"
        pending = (await live.http.get("/v1/staff/approvals", headers=bob)).json()["items"]
        assert request["id"] not in {r["id"] for r in pending}
        shown = (await live.http.get(f"/v1/staff/approvals/{request['id']}", headers=alice)).json()
        assert (shown["status"], shown["checker_note"]) == ("cancelled", "the withdrawal was rejected")
        assert await audited(live.runtime, "backoffice:approval:close") == [
            ("backoffice:approval:close", "success", "bob")
        ]
        assert await live.wallet(player) == {"available": LARGE + 50_000, "held": 0}

    async def test_a_refused_rejection_leaves_the_request_pending(self, live: Live) -> None:
        """The closing is in the rejection's transaction: a rejection that fails undoes it."""
        desk = Desk(live.http, live.runtime)
        _, withdrawal_id = await _held(live, LARGE)
        alice, bob = await desk.key(StaffRole.PAYMENTS), await desk.key(StaffRole.PAYMENTS)
        request = (
            await live.http.post(f"/v1/staff/withdrawals/{withdrawal_id}/approve", json={}, headers=alice)
        ).json()
        await sql(live.runtime, "UPDATE withdrawals SET status = 'approved' WHERE id = :id", id=withdrawal_id)

        refused = await live.http.post(
            f"/v1/staff/withdrawals/{withdrawal_id}/reject", json={"note": "too late"}, headers=bob
        )

        assert (refused.status_code, refused.json()["code"]) == (409, "withdrawal_not_awaiting_review")
        shown = (await live.http.get(f"/v1/staff/approvals/{request['id']}", headers=bob)).json()
        assert shown["status"] == "pending"
        assert await audited(live.runtime, "backoffice:approval:close") == []
