"""Staff balance adjustments over HTTP: small ones at once, larger ones only when a second member of
staff approves, and then exactly once."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from croupier.staff.service import StaffRole
from tests.backoffice.support import ADJUSTMENT_THRESHOLD, Desk, audited, counts
from tests.sql import sql

PAYMENTS = StaffRole.PAYMENTS
LARGE = ADJUSTMENT_THRESHOLD + 1


def _credit(amount: int, reason: str = "goodwill after an outage") -> dict[str, Any]:
    return {"amount": amount, "currency": "EUR", "reason": reason}


class TestAtOrBelowTheThreshold:
    async def test_an_adjustment_is_made_at_once_and_a_retry_with_its_key_moves_nothing_more(
        self, desk: Desk
    ) -> None:
        player, maker = await desk.player(), await desk.key(PAYMENTS, name="alice")

        done = await desk.adjust(maker, player.id, _credit(ADJUSTMENT_THRESHOLD), key="k-1")
        again = await desk.adjust(maker, player.id, _credit(ADJUSTMENT_THRESHOLD), key="k-1")

        assert done.status_code == 201, done.text
        assert again.status_code == 201, again.text
        assert again.json()["transfer_id"] == done.json()["transfer_id"]
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert await desk.cash(player) == ADJUSTMENT_THRESHOLD
        assert (await counts(desk.runtime))[0] == 0
        assert ("wallet:balance:adjust", "success", "alice") in await audited(desk.runtime, "wallet:")

    async def test_a_debit_is_compared_by_its_size(self, desk: Desk) -> None:
        player, maker = await desk.player(), await desk.key(PAYMENTS)
        assert (await desk.adjust(maker, player.id, _credit(ADJUSTMENT_THRESHOLD))).status_code == 201

        debit = await desk.adjust(maker, player.id, _credit(-LARGE))

        assert debit.status_code == 202, debit.text
        assert await desk.cash(player) == ADJUSTMENT_THRESHOLD


class TestAboveTheThreshold:
    async def test_an_adjustment_waits_for_a_second_member_and_is_made_once_on_approval(
        self, desk: Desk
    ) -> None:
        player = await desk.player()
        maker, checker = await desk.key(PAYMENTS, name="alice"), await desk.key(PAYMENTS, name="bob")

        asked = await desk.adjust(maker, player.id, _credit(LARGE), key="big-1")

        assert asked.status_code == 202, asked.text
        request = asked.json()
        assert (request["status"], request["maker"], request["permission"]) == (
            "pending",
            "alice",
            "wallet:adjust",
        )
        assert request["payload"] == {
            "player_id": player.id,
            "amount": LARGE,
            "currency": "EUR",
            "reason": "goodwill after an outage",
            "key": "big-1",
        }
        assert await desk.cash(player) == 0

        approved = await desk.approve(checker, request["id"], note="checked the ticket")

        assert approved.status_code == 200, approved.text
        body = approved.json()
        assert (body["status"], body["checker"], body["checker_note"]) == (
            "approved",
            "bob",
            "checked the ticket",
        )
        assert body["effect"]["transfer_id"]
        assert await desk.cash(player) == LARGE
        twice = await desk.approve(checker, request["id"])
        assert (twice.status_code, twice.json()["code"]) == (409, "approval_not_pending")
        assert await desk.cash(player) == LARGE
        assert await audited(desk.runtime, "backoffice:") == [
            ("backoffice:approval:request", "success", "alice"),
            ("backoffice:approval:approve", "success", "bob"),
        ]
        assert ("wallet:balance:adjust", "success", "bob") in await audited(desk.runtime, "wallet:")

    async def test_a_retry_with_the_same_key_answers_the_same_request_and_another_body_is_refused(
        self, desk: Desk
    ) -> None:
        player, maker = await desk.player(), await desk.key(PAYMENTS)

        first = await desk.adjust(maker, player.id, _credit(LARGE), key="big-2")
        retry = await desk.adjust(maker, player.id, _credit(LARGE), key="big-2")
        other = await desk.adjust(maker, player.id, _credit(LARGE + 1), key="big-2")

        assert (first.status_code, retry.status_code) == (202, 202)
        assert retry.json()["id"] == first.json()["id"]
        assert retry.headers.get("Idempotent-Replayed") == "true"
        assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
        assert (await counts(desk.runtime))[0] == 1

    async def test_a_key_spent_on_either_path_is_refused_on_the_other(self, desk: Desk) -> None:
        player, maker = await desk.player(), await desk.key(PAYMENTS)
        assert (await desk.adjust(maker, player.id, _credit(100), key="small")).status_code == 201
        assert (await desk.adjust(maker, player.id, _credit(LARGE), key="large")).status_code == 202

        large_on_small = await desk.adjust(maker, player.id, _credit(LARGE), key="small")
        small_on_large = await desk.adjust(maker, player.id, _credit(100), key="large")

        assert (large_on_small.status_code, large_on_small.json()["code"]) == (409, "idempotency_key_reused")
        assert (small_on_large.status_code, small_on_large.json()["code"]) == (409, "idempotency_key_reused")
        assert await counts(desk.runtime) == (1, 1)
        assert await desk.cash(player) == 100

    async def test_the_maker_cannot_approve_their_own_request(self, desk: Desk) -> None:
        player, maker = await desk.player(), await desk.key(PAYMENTS, name="alice")
        request = (await desk.adjust(maker, player.id, _credit(LARGE))).json()

        response = await desk.approve(maker, request["id"])

        assert (response.status_code, response.json()["code"]) == (403, "approval_own_request")
        assert await desk.cash(player) == 0
        assert ("backoffice:approval:approve", "denied", "alice") in await audited(
            desk.runtime, "backoffice:"
        )

    async def test_a_checker_without_the_actions_permission_is_refused(self, desk: Desk) -> None:
        player, maker = await desk.player(), await desk.key(PAYMENTS)
        request = (await desk.adjust(maker, player.id, _credit(LARGE))).json()
        # The risk desk may approve rule sets, not money.
        analyst, support = await desk.key(StaffRole.RISK, name="rita"), await desk.key(StaffRole.SUPPORT)

        by_analyst = await desk.approve(analyst, request["id"])
        by_support = await desk.approve(support, request["id"])
        seen = await desk.http.get(f"/v1/staff/approvals/{request['id']}", headers=analyst)
        listed = await desk.http.get("/v1/staff/approvals", headers=analyst)

        assert (by_analyst.status_code, by_analyst.json()["code"]) == (403, "approval_permission_missing")
        assert (by_support.status_code, by_support.json()["code"]) == (403, "forbidden")
        assert seen.status_code == 403
        assert listed.json()["items"] == []
        assert await desk.cash(player) == 0
        assert ("backoffice:approval:approve", "denied", "rita") in await audited(desk.runtime, "backoffice:")

    async def test_a_rejection_moves_no_money_and_closes_the_request(self, desk: Desk) -> None:
        player = await desk.player()
        maker, checker = await desk.key(PAYMENTS), await desk.key(PAYMENTS, name="bob")
        request = (await desk.adjust(maker, player.id, _credit(LARGE))).json()

        no_note = await desk.http.post(
            f"/v1/staff/approvals/{request['id']}/reject", json={}, headers=checker
        )
        rejected = await desk.reject(checker, request["id"], "no ticket for this")
        late = await desk.approve(checker, request["id"])

        assert no_note.status_code == 422
        assert rejected.status_code == 200, rejected.text
        assert (rejected.json()["status"], rejected.json()["checker_note"]) == (
            "rejected",
            "no ticket for this",
        )
        assert (late.status_code, late.json()["code"]) == (409, "approval_not_pending")
        assert await desk.cash(player) == 0
        assert (await counts(desk.runtime))[1] == 0
        assert ("backoffice:approval:reject", "success", "bob") in await audited(desk.runtime, "backoffice:")

    async def test_the_maker_may_cancel_and_nobody_else(self, desk: Desk) -> None:
        player = await desk.player()
        maker, colleague = await desk.key(PAYMENTS, name="alice"), await desk.key(PAYMENTS)
        request = (await desk.adjust(maker, player.id, _credit(LARGE))).json()
        path = f"/v1/staff/approvals/{request['id']}/cancel"

        by_colleague = await desk.http.post(path, headers=colleague)
        by_maker = await desk.http.post(path, headers=maker)
        approved = await desk.approve(colleague, request["id"])

        assert (by_colleague.status_code, by_colleague.json()["code"]) == (403, "approval_not_maker")
        assert by_maker.status_code == 200, by_maker.text
        assert by_maker.json()["status"] == "cancelled"
        assert (approved.status_code, approved.json()["code"]) == (409, "approval_not_pending")
        assert await desk.cash(player) == 0
        assert ("backoffice:approval:cancel", "success", "alice") in await audited(
            desk.runtime, "backoffice:"
        )

    async def test_an_expired_request_cannot_be_approved(self, desk: Desk) -> None:
        player = await desk.player()
        maker, checker = await desk.key(PAYMENTS), await desk.key(PAYMENTS)
        request = (await desk.adjust(maker, player.id, _credit(LARGE))).json()
        await sql(
            desk.runtime,
            "UPDATE approval_requests SET expires_at = now() - interval '1 minute' WHERE id = :id",
            id=request["id"],
        )

        response = await desk.approve(checker, request["id"])

        assert (response.status_code, response.json()["code"]) == (409, "approval_expired")
        assert await desk.cash(player) == 0
        shown = await desk.http.get(f"/v1/staff/approvals/{request['id']}", headers=checker)
        assert shown.json()["status"] == "expired"
        assert ("backoffice:approval:expire", "success", None) in await audited(desk.runtime, "backoffice:")
        # The subject is free again: the same adjustment may be asked for anew.
        again = await desk.adjust(maker, player.id, _credit(LARGE))
        assert (again.status_code, again.json()["status"]) == (202, "pending")

    async def test_concurrent_approvals_make_the_adjustment_once(self, desk: Desk) -> None:
        player, maker = await desk.player(), await desk.key(PAYMENTS)
        checkers = [await desk.key(PAYMENTS) for _ in range(4)]
        request = (await desk.adjust(maker, player.id, _credit(LARGE))).json()

        answers = await asyncio.gather(*(desk.approve(c, request["id"]) for c in checkers))

        assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
        assert await desk.cash(player) == LARGE
        [(transfers,)] = await sql(
            desk.runtime, "SELECT count(*) FROM ledger_transfers WHERE kind = 'adjustment'"
        )
        assert transfers == 1


class TestTheDesk:
    async def test_lists_pending_requests_the_member_may_decide_and_by_status(self, desk: Desk) -> None:
        player = await desk.player()
        maker, checker = await desk.key(PAYMENTS), await desk.key(PAYMENTS)
        first = (await desk.adjust(maker, player.id, _credit(LARGE))).json()
        second = (await desk.adjust(maker, player.id, _credit(LARGE + 5))).json()
        await desk.approve(checker, first["id"])

        pending = (await desk.http.get("/v1/staff/approvals", headers=checker)).json()["items"]
        approved = (await desk.http.get("/v1/staff/approvals?status=approved", headers=checker)).json()[
            "items"
        ]
        unknown = await desk.http.get("/v1/staff/approvals?status=nonsense", headers=checker)

        assert [r["id"] for r in pending] == [second["id"]]
        assert [r["id"] for r in approved] == [first["id"]]
        assert unknown.status_code == 422

    async def test_an_unknown_request_is_404(self, desk: Desk) -> None:
        checker = await desk.key(PAYMENTS)
        for method, path, body in [
            ("GET", "", None),
            ("POST", "/approve", {}),
            ("POST", "/reject", {"note": "n"}),
            ("POST", "/cancel", None),
        ]:
            response = await desk.http.request(
                method, f"/v1/staff/approvals/{uuid.uuid4()}{path}", json=body, headers=checker
            )
            assert (response.status_code, response.json()["code"]) == (404, "not_found"), path


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"amount": 0, "currency": "EUR", "reason": "r"}, 422, "invalid_amount"),
        ({"amount": 100, "currency": "XXX", "reason": "r"}, 422, "unknown_currency"),
        ({"amount": LARGE, "currency": "XXX", "reason": "r"}, 422, "unknown_currency"),
        ({"amount": 100, "currency": "EUR", "reason": "   "}, 422, "reason_required"),
        ({"amount": LARGE, "currency": "EUR", "reason": "   "}, 422, "reason_required"),
        ({"amount": 100, "currency": "EUR"}, 422, "validation_error"),
        ({"amount": "100", "currency": "EUR", "reason": "r"}, 422, "validation_error"),
        ({"amount": 2**63, "currency": "EUR", "reason": "r"}, 422, "validation_error"),
        ({"amount": 1.5, "currency": "EUR", "reason": "r"}, 422, "validation_error"),
        ({"amount": 100, "currency": "eur", "reason": "r"}, 422, "validation_error"),
        ({"amount": 100, "currency": "EUR", "reason": "r" * 501}, 422, "validation_error"),
        ({"amount": 100, "currency": "EUR", "reason": "r", "extra": 1}, 422, "validation_error"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_written(
    desk: Desk, body: dict[str, Any], status: int, code: str
) -> None:
    player, maker = await desk.player(), await desk.key(PAYMENTS)
    before = await counts(desk.runtime)

    response = await desk.adjust(maker, player.id, body)

    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert await counts(desk.runtime) == before


async def test_an_unknown_player_or_a_missing_key_is_refused_and_nothing_is_written(desk: Desk) -> None:
    maker = await desk.key(PAYMENTS)
    before = await counts(desk.runtime)

    for amount in (100, LARGE):
        unknown = await desk.adjust(maker, str(uuid.uuid4()), _credit(amount))
        assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found"), unknown.text
    keyless = await desk.http.post(
        f"/v1/staff/players/{uuid.uuid4()}/adjustments", json=_credit(100), headers=maker
    )

    assert (keyless.status_code, keyless.json()["code"]) == (400, "idempotency_key_required")
    assert await counts(desk.runtime) == before
