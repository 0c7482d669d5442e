"""Withdrawals: back to a card the player deposited with, held until the provider pays,
reviewed by staff above the threshold, cancellable until approved."""

from __future__ import annotations

import uuid

import httpx

from croupier.audit import service as audit
from croupier.audit.tags import AuditAction
from croupier.payments.cli import withdrawals_app
from croupier.staff import service as staff
from croupier.staff.service import StaffRole
from tests.mail.helpers import invoke
from tests.payments.support import PAYOUTS_FAIL, Live, eventually
from tests.sql import sql

THRESHOLD = 100_000  # EUR, the default


async def _status(
    live: Live, player: object, withdrawal_id: str, *, not_in: tuple[str, ...]
) -> dict[str, object]:
    return await eventually(
        lambda: live.get(player, f"/v1/withdrawals/{withdrawal_id}"),  # type: ignore[arg-type]
        lambda w: w["status"] not in not_in,
    )


async def _staff_key(live: Live, role: StaffRole = StaffRole.PAYMENTS, name: str = "alice") -> dict[str, str]:
    async with live.runtime.database.unit_of_work() as session:
        secret = await staff.issue(session, name=name, role=role, issued_by="test")
    return {"Authorization": f"Bearer {secret}"}


class TestPayouts:
    async def test_a_withdrawal_below_the_threshold_is_held_then_paid_out(self, live: Live) -> None:
        player, method = await live.funded(10_000)

        response = await live.withdraw(player, 4_000, method)

        assert response.status_code == 201, response.text
        withdrawal = response.json()
        assert withdrawal["status"] in {"approved", "submitted", "paid"}
        paid = await _status(live, player, withdrawal["id"], not_in=("approved", "submitted"))
        assert paid["status"] == "paid"
        assert await live.wallet(player) == {"available": 6_000, "held": 0}
        statement = (await live.get(player, "/v1/wallet/transactions"))["items"]
        assert [(e["kind"], e["amount"]) for e in statement] == [("withdrawal", -4_000), ("deposit", 10_000)]
        async with live.runtime.database.unit_of_work() as session:
            actions = [
                e.action for e in await audit.events(session, target_type="player", target_id=player.id)
            ]
        assert {AuditAction.WITHDRAWAL_REQUEST, AuditAction.WITHDRAWAL_PAID} <= set(actions)
        await live.books_balance()

    async def test_the_funds_are_held_while_the_payout_is_in_flight(self, live: Live) -> None:
        player, method = await live.funded(10_000)
        await live.psp.pause_webhooks()
        try:
            withdrawal = (await live.withdraw(player, 3_000, method)).json()
            await _status(live, player, withdrawal["id"], not_in=("approved",))

            assert await live.wallet(player) == {"available": 7_000, "held": 3_000}
        finally:
            await live.psp.resume_webhooks()
        await _status(live, player, withdrawal["id"], not_in=("submitted",))
        assert await live.wallet(player) == {"available": 7_000, "held": 0}

    async def test_a_failed_payout_releases_the_hold(self, live: Live) -> None:
        player, method = await live.funded(10_000, card=PAYOUTS_FAIL)

        withdrawal = (await live.withdraw(player, 2_500, method)).json()
        done = await _status(live, player, withdrawal["id"], not_in=("approved", "submitted"))

        assert (done["status"], done["failure_code"]) == ("failed", "payout_rejected")
        assert await live.wallet(player) == {"available": 10_000, "held": 0}
        await live.books_balance()

    async def test_more_than_the_available_balance_is_refused_and_nothing_is_held(self, live: Live) -> None:
        player, method = await live.funded(1_000)

        response = await live.withdraw(player, 1_001, method)

        assert response.status_code == 422
        assert response.json()["code"] == "insufficient_funds"
        assert await live.wallet(player) == {"available": 1_000, "held": 0}
        assert await sql(live.runtime, "SELECT id FROM withdrawals") == []


class TestClosedLoop:
    async def test_only_to_a_card_with_a_successful_deposit_in_that_currency(self, live: Live) -> None:
        player, method = await live.funded(10_000)
        declined = await live.post_deposit(
            player,
            {
                "amount": 100,
                "currency": "EUR",
                "payment_token": (await live.psp.tokenize("4000000000000002"))["token"],
            },
        )
        assert declined.json()["status"] == "failed"

        for method_id, currency in ((declined.json()["payment_method_id"], "EUR"), (method, "GBP")):
            response = await live.withdraw(player, 100, method_id, currency=currency)
            assert response.status_code == 422, response.text
            assert response.json()["code"] == "closed_loop"
        assert await live.wallet(player) == {"available": 10_000, "held": 0}

    async def test_another_players_card_is_not_found(self, live: Live) -> None:
        owner, method = await live.funded(1_000)
        thief, _ = await live.funded(1_000)

        response = await live.withdraw(thief, 500, method)

        assert response.status_code == 404
        assert await live.wallet(owner) == {"available": 1_000, "held": 0}
        assert await live.wallet(thief) == {"available": 1_000, "held": 0}

    async def test_an_unknown_currency_is_refused(self, live: Live) -> None:
        player, method = await live.funded(1_000)

        response = await live.withdraw(player, 500, method, currency="XXX")

        assert (response.status_code, response.json()["code"]) == (422, "unknown_currency")
        assert await live.wallet(player) == {"available": 1_000, "held": 0}

    async def test_an_unknown_card_is_not_found(self, live: Live) -> None:
        player, _ = await live.funded(1_000)

        response = await live.withdraw(player, 500, str(uuid.uuid4()))

        assert response.status_code == 404


class TestStepUp:
    async def test_a_withdrawal_needs_a_recent_strong_authentication(self, live: Live) -> None:
        player, method = await live.funded(1_000)
        await sql(
            live.runtime,
            "UPDATE player_sessions SET authenticated_at = authenticated_at - interval '1 hour'",
        )

        response = await live.withdraw(player, 500, method)

        assert response.status_code == 403
        assert response.json()["code"] == "step_up_required"
        assert await live.wallet(player) == {"available": 1_000, "held": 0}

        step_up = await live.http.post(
            "/v1/sessions/current/step-up", json={"password": player.password}, headers=player.headers
        )
        assert step_up.status_code == 200, step_up.text
        assert (await live.withdraw(player, 500, method)).status_code == 201


class TestIdempotency:
    async def test_a_retry_answers_the_same_withdrawal_and_holds_once(self, live: Live) -> None:
        player, method = await live.funded(10_000)
        await live.psp.pause_webhooks()
        try:
            first = await live.withdraw(player, 1_500, method, key="w-1")
            again = await live.withdraw(player, 1_500, method, key="w-1")
            reused = await live.withdraw(player, 1_600, method, key="w-1")
        finally:
            await live.psp.resume_webhooks()

        assert again.json()["id"] == first.json()["id"]
        assert again.headers["idempotent-replayed"] == "true"
        assert (reused.status_code, reused.json()["code"]) == (409, "idempotency_key_reused")
        await _status(live, player, first.json()["id"], not_in=("approved", "submitted"))
        assert await live.wallet(player) == {"available": 8_500, "held": 0}
        assert await sql(live.runtime, "SELECT count(*) FROM withdrawals") == [(1,)]


class TestReview:
    async def test_above_the_threshold_the_withdrawal_waits_and_the_player_can_cancel(
        self, live: Live
    ) -> None:
        player, method = await live.funded(THRESHOLD + 50_000)

        withdrawal = (await live.withdraw(player, THRESHOLD + 1, method)).json()

        assert withdrawal["status"] == "pending_approval"
        assert await live.wallet(player) == {"available": 49_999, "held": THRESHOLD + 1}
        cancelled = await live.http.delete(f"/v1/withdrawals/{withdrawal['id']}", headers=player.headers)
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert await live.wallet(player) == {"available": THRESHOLD + 50_000, "held": 0}
        await live.books_balance()

    async def test_staff_approve_through_the_api_and_it_is_paid_out(self, live: Live) -> None:
        player, method = await live.funded(THRESHOLD * 2)
        withdrawal = (await live.withdraw(player, THRESHOLD + 1, method)).json()
        desk = await _staff_key(live)

        queue = await live.http.get("/v1/staff/withdrawals/awaiting-review", headers=desk)
        assert [w["id"] for w in queue.json()["items"]] == [withdrawal["id"]]
        approved = await live.http.post(
            f"/v1/staff/withdrawals/{withdrawal['id']}/approve", json={"note": "KYC ok"}, headers=desk
        )

        assert approved.status_code == 200, approved.text
        assert approved.json()["reviewed_by"] == "alice"
        paid = await _status(live, player, withdrawal["id"], not_in=("approved", "submitted"))
        assert paid["status"] == "paid"
        too_late = await live.http.delete(f"/v1/withdrawals/{withdrawal['id']}", headers=player.headers)
        assert (too_late.status_code, too_late.json()["code"]) == (409, "withdrawal_not_cancellable")
        again = await live.http.post(
            f"/v1/staff/withdrawals/{withdrawal['id']}/approve", json={}, headers=desk
        )
        assert (again.status_code, again.json()["code"]) == (409, "withdrawal_not_awaiting_review")
        async with live.runtime.database.unit_of_work() as session:
            [event] = await audit.events(session, action=AuditAction.WITHDRAWAL_APPROVE)
        assert (event.actor_type, event.actor_id) == ("staff", "alice")
        assert await live.wallet(player) == {"available": THRESHOLD - 1, "held": 0}
        await live.books_balance()

    async def test_an_approved_withdrawal_cannot_be_cancelled_even_before_it_is_paid(
        self, live: Live
    ) -> None:
        player, method = await live.funded(THRESHOLD * 2)
        withdrawal = (await live.withdraw(player, THRESHOLD + 1, method)).json()
        await live.psp.pause_webhooks()
        try:
            desk = await _staff_key(live)
            await live.http.post(f"/v1/staff/withdrawals/{withdrawal['id']}/approve", json={}, headers=desk)

            response = await live.http.delete(f"/v1/withdrawals/{withdrawal['id']}", headers=player.headers)

            assert (response.status_code, response.json()["code"]) == (409, "withdrawal_not_cancellable")
        finally:
            await live.psp.resume_webhooks()

    async def test_staff_reject_from_the_command_line_and_the_funds_return(self, live: Live) -> None:
        player, method = await live.funded(THRESHOLD * 2)
        withdrawal = (await live.withdraw(player, THRESHOLD + 1, method)).json()

        listed = await invoke(withdrawals_app, ["pending"], live.settings)
        result = await invoke(
            withdrawals_app,
            ["reject", withdrawal["id"], "--note", "source of funds unclear", "--by", "bob"],
            live.settings,
        )

        assert withdrawal["id"] in listed.stdout
        assert result.exit_code == 0, result.output
        assert '"status": "rejected"' in result.stdout
        assert (await live.get(player, f"/v1/withdrawals/{withdrawal['id']}"))["status"] == "rejected"
        assert await live.wallet(player) == {"available": THRESHOLD * 2, "held": 0}
        async with live.runtime.database.unit_of_work() as session:
            [event] = await audit.events(session, action=AuditAction.WITHDRAWAL_REJECT)
        assert (event.actor_type, event.actor_id, event.details["note"]) == (
            "operator",
            "bob",
            "source of funds unclear",
        )
        await live.books_balance()

    async def test_the_desk_needs_a_payments_staff_key(self, live: Live) -> None:
        player, method = await live.funded(THRESHOLD * 2)
        withdrawal = (await live.withdraw(player, THRESHOLD + 1, method)).json()
        path = f"/v1/staff/withdrawals/{withdrawal['id']}/approve"
        desk = await _staff_key(live, name="carol")
        async with live.runtime.database.unit_of_work() as session:
            await staff.revoke(session, name="carol", revoked_by="test")

        for headers in ({}, player.headers, {"Authorization": "Bearer crk_not-a-key"}, desk):
            response = await live.http.post(path, json={}, headers=headers)
            assert response.status_code == 401, headers
        assert (await live.get(player, f"/v1/withdrawals/{withdrawal['id']}"))["status"] == "pending_approval"


class TestOwnership:
    async def test_a_player_cannot_see_or_cancel_someone_elses_withdrawal(self, live: Live) -> None:
        owner, method = await live.funded(THRESHOLD * 2)
        other = await live.player()
        withdrawal = (await live.withdraw(owner, THRESHOLD + 1, method)).json()

        seen = await live.http.get(f"/v1/withdrawals/{withdrawal['id']}", headers=other.headers)
        cancelled = await live.http.delete(f"/v1/withdrawals/{withdrawal['id']}", headers=other.headers)

        assert (seen.status_code, cancelled.status_code) == (404, 404)
        assert (await live.get(other, "/v1/withdrawals"))["items"] == []
        assert (await live.get(owner, f"/v1/withdrawals/{withdrawal['id']}"))["status"] == "pending_approval"

    async def test_withdrawals_need_a_session(self, live: Live) -> None:
        client: httpx.AsyncClient = live.http
        assert (await client.get("/v1/withdrawals")).status_code == 401
        assert (await client.post("/v1/withdrawals", json={})).status_code == 401
        assert (await client.delete(f"/v1/withdrawals/{uuid.uuid4()}")).status_code == 401
