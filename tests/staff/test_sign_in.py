"""Staff sign in with a password and then a TOTP code; nothing opens before the code.

Invitation → password → sign-in → authenticator app enrolled at the first sign-in →
code → the routes the roles permit, and only those. Sessions end after a short idle time
and at a fixed lifetime; repeated failures lock the address; each code works once.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select, update

from croupier.audit.models import AuditEvent
from croupier.audit.tags import AuditAction
from croupier.kit.clock import utcnow
from croupier.kit.runtime import Runtime
from croupier.staff.models import StaffAccount, StaffSession
from tests.staff.support import (
    PASSWORD,
    bearer,
    code_for,
    idle_for,
    invite,
    onboard,
    sign_in,
    wrong_code,
)

RULES = "/v1/staff/risk/rules"
WITHDRAWALS = "/v1/staff/withdrawals/awaiting-review"


async def _actions(runtime: Runtime) -> list[tuple[str, str]]:
    async with runtime.database.unit_of_work() as session:
        rows = await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
        return [(row.action, row.outcome) for row in rows]


class TestTheFirstSignIn:
    async def test_an_invited_person_enrols_totp_and_then_reaches_what_their_role_permits(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        token = await invite(runtime, "Rita@Casino.example", "risk")
        accepted = await client.post(f"/v1/staff/invitations/{token}/accept", json={"password": PASSWORD})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["state"] == "active"
        assert "token" not in accepted.json()  # setting the password opens no session

        started = await sign_in(client, "rita@casino.example")
        assert started.status_code == 201, started.text
        assert started.json()["state"] == "mfa_enrollment_required"
        session = bearer(started.json()["token"])
        assert started.json()["token"].startswith("crb_")

        enrolment = (await client.post("/v1/staff/sessions/current/totp", headers=session)).json()
        assert enrolment["otpauth_uri"].startswith("otpauth://totp/")
        done = await client.post(
            "/v1/staff/sessions/current/mfa", json={"code": code_for(enrolment["secret"])}, headers=session
        )
        assert done.status_code == 200, done.text
        assert done.json()["state"] == "active"

        assert (await client.get(RULES, headers=session)).status_code == 200
        refused = await client.get(WITHDRAWALS, headers=session)
        assert refused.status_code == 403
        assert refused.json()["code"] == "forbidden"
        me = (await client.get("/v1/staff/me", headers=session)).json()
        assert me["email"] == "rita@casino.example"
        assert me["name"] == "rita"
        assert me["roles"] == ["risk"]
        assert "risk:rules:read" in me["permissions"]
        assert "withdrawals:review" not in me["permissions"]

    async def test_every_step_is_audited_and_a_sessions_allowed_calls_are_not(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        staff = await onboard(client, runtime, "audit@casino.example", "risk")
        await client.get(RULES, headers=staff.headers)
        await client.get(WITHDRAWALS, headers=staff.headers)

        actions = await _actions(runtime)
        for expected in (
            (AuditAction.STAFF_ACCOUNT_INVITE, "success"),
            (AuditAction.STAFF_ACCOUNT_ACCEPT, "success"),
            (AuditAction.STAFF_SESSION_SIGN_IN, "success"),
            (AuditAction.STAFF_ACCOUNT_MFA_ENROL, "success"),
            (AuditAction.STAFF_SESSION_MFA, "success"),
            (AuditAction.STAFF_ACCESS_DENY, "denied"),
        ):
            assert (str(expected[0]), expected[1]) in actions
        assert str(AuditAction.STAFF_KEY_USE) not in {action for action, _ in actions}

    async def test_before_the_second_factor_nothing_but_the_sign_in_steps_opens(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        staff = await onboard(client, runtime, "early@casino.example", "risk")
        again = await sign_in(client, staff.email)
        assert again.json()["state"] == "mfa_required"
        half_open = bearer(again.json()["token"])

        for path in (RULES, "/v1/staff/me"):
            response = await client.get(path, headers=half_open)
            assert response.status_code == 403, response.text
            assert response.json()["code"] == "staff_mfa_required"
            assert response.json()["state"] == "mfa_required"
        assert (await client.get("/v1/staff/sessions/current", headers=half_open)).json()[
            "state"
        ] == "mfa_required"
        assert (str(AuditAction.STAFF_ACCESS_DENY), "denied") in await _actions(runtime)
        enrol_again = await client.post("/v1/staff/sessions/current/totp", headers=half_open)
        assert enrol_again.status_code == 409
        assert enrol_again.json()["code"] == "staff_totp_enrolled"

    async def test_an_unenrolled_account_cannot_skip_enrolment(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        token = await invite(runtime, "skip@casino.example", "risk")
        await client.post(f"/v1/staff/invitations/{token}/accept", json={"password": PASSWORD})
        session = bearer((await sign_in(client, "skip@casino.example")).json()["token"])

        response = await client.post(
            "/v1/staff/sessions/current/mfa", json={"code": "123456"}, headers=session
        )

        assert response.status_code == 409
        assert response.json()["code"] == "staff_totp_not_started"
        refused = await client.get(RULES, headers=session)
        assert refused.json()["state"] == "mfa_enrollment_required"


class TestTheSecondFactor:
    async def test_a_wrong_code_is_refused_and_the_session_stays_closed(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        staff = await onboard(client, runtime, "wrong@casino.example", "risk")
        session = bearer((await sign_in(client, staff.email)).json()["token"])

        response = await client.post(
            "/v1/staff/sessions/current/mfa", json={"code": wrong_code(staff.secret)}, headers=session
        )

        assert response.status_code == 401
        assert response.json()["code"] == "invalid_otp"
        assert (await client.get(RULES, headers=session)).status_code == 403
        assert (str(AuditAction.STAFF_SESSION_MFA), "failure") in await _actions(runtime)

    async def test_a_code_already_used_is_refused_at_the_next_sign_in(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        staff = await onboard(client, runtime, "replay@casino.example", "risk")
        used = code_for(staff.secret)  # the code that finished the first sign-in
        session = bearer((await sign_in(client, staff.email)).json()["token"])

        replayed = await client.post("/v1/staff/sessions/current/mfa", json={"code": used}, headers=session)

        assert replayed.status_code == 401
        assert replayed.json()["code"] == "invalid_otp"
        fresh = await client.post(
            "/v1/staff/sessions/current/mfa",
            json={"code": code_for(staff.secret, steps_ahead=1)},
            headers=session,
        )
        assert fresh.status_code == 200, fresh.text

    async def test_the_totp_secret_is_stored_sealed(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        staff = await onboard(client, runtime, "sealed@casino.example", "risk")

        async with runtime.database.unit_of_work() as session:
            stored = await session.scalar(
                select(StaffAccount.totp_secret_enc).where(StaffAccount.email == staff.email)
            )
        assert stored is not None
        assert staff.secret.encode() not in stored


class TestSessions:
    async def test_a_session_idle_longer_than_the_limit_ends(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        staff = await onboard(client, runtime, "idle@casino.example", "risk")
        assert runtime.settings.staff_idle_minutes == 15

        await idle_for(runtime, 14)
        assert (await client.get(RULES, headers=staff.headers)).status_code == 200  # and it counts as use
        await idle_for(runtime, 15.1)
        response = await client.get(RULES, headers=staff.headers)

        assert response.status_code == 401
        assert response.json()["code"] == "staff_session_expired"

    async def test_a_session_ends_at_its_lifetime_however_busy(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        staff = await onboard(client, runtime, "long@casino.example", "risk")
        async with runtime.database.unit_of_work() as session:
            await session.execute(update(StaffSession).values(expires_at=utcnow() - timedelta(seconds=1)))

        response = await client.get("/v1/staff/me", headers=staff.headers)

        assert response.status_code == 401
        assert response.json()["code"] == "staff_session_expired"

    async def test_each_sign_in_opens_a_new_session_and_signing_out_ends_only_that_one(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        staff = await onboard(client, runtime, "twice@casino.example", "risk")
        second = (await sign_in(client, staff.email)).json()["token"]
        assert second != staff.token

        assert (await client.delete("/v1/staff/sessions/current", headers=bearer(second))).status_code == 204

        gone = await client.get("/v1/staff/sessions/current", headers=bearer(second))
        assert gone.status_code == 401
        assert (await client.get(RULES, headers=staff.headers)).status_code == 200
        assert (str(AuditAction.STAFF_SESSION_SIGN_OUT), "success") in await _actions(runtime)

    async def test_the_console_cookie_opens_console_pages_but_never_the_api(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        staff = await onboard(client, runtime, "cookie@casino.example", "risk")
        cookie = {"Cookie": f"croupier_staff={staff.token}"}

        page = await client.get("/console/dashboard", headers=cookie)
        api = await client.get(RULES, headers=cookie)

        assert page.status_code == 200, page.text
        assert api.status_code == 401, api.text

    async def test_a_players_session_token_opens_no_staff_route(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/v1/staff/me", headers=bearer("crs_" + "x" * 43))

        assert response.status_code == 401


class TestWrongCredentials:
    async def test_an_unknown_email_and_a_wrong_password_answer_alike(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await onboard(client, runtime, "known@casino.example", "risk")
        token = await invite(runtime, "pending@casino.example", "risk")
        assert token

        answers = [
            await sign_in(client, "known@casino.example", "not the password at all"),
            await sign_in(client, "nobody@casino.example", PASSWORD),
            await sign_in(client, "pending@casino.example", PASSWORD),  # never set a password
        ]

        assert {(r.status_code, r.json()["code"], r.json()["detail"]) for r in answers} == {
            (401, "invalid_credentials", "The email or password is wrong.")
        }

    async def test_repeated_failures_lock_the_address_even_for_the_right_password(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        staff = await onboard(client, runtime, "locked@casino.example", "risk")
        for _ in range(runtime.settings.lockout_threshold):
            assert (await sign_in(client, staff.email, "guessing again and again")).status_code == 401

        response = await sign_in(client, staff.email)

        assert response.status_code == 423
        assert response.json()["code"] == "account_locked"
        assert (str(AuditAction.STAFF_ACCOUNT_LOCK), "success") in await _actions(runtime)

    async def test_wrong_codes_draw_on_the_same_lockout(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        staff = await onboard(client, runtime, "codes@casino.example", "risk")
        session = bearer((await sign_in(client, staff.email)).json()["token"])
        bad = {"code": wrong_code(staff.secret)}
        for _ in range(runtime.settings.lockout_threshold):
            assert (
                await client.post("/v1/staff/sessions/current/mfa", json=bad, headers=session)
            ).status_code == 401

        right = {"code": code_for(staff.secret, steps_ahead=1)}
        response = await client.post("/v1/staff/sessions/current/mfa", json=right, headers=session)

        assert response.status_code == 423
        assert response.json()["code"] == "account_locked"
        assert (await sign_in(client, staff.email)).status_code == 423
