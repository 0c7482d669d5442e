"""Admins manage staff accounts over HTTP: invite, list, grant and revoke roles, disable.

Invitations work once and only until they expire; a weak password is refused without
spending the invitation; bad input is a 4xx problem, never a 500.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from croupier.audit.models import AuditEvent
from croupier.audit.service import Actor
from croupier.audit.tags import AuditAction
from croupier.kit.clock import utcnow
from croupier.kit.runtime import Runtime
from croupier.staff import roles
from croupier.staff.errors import StaffAccountExists
from croupier.staff.models import StaffInvitation
from tests.staff.support import PASSWORD, Staff, bearer, invite, onboard, sign_in

RULES = "/v1/staff/risk/rules"


async def _grant(
    client: httpx.AsyncClient, admin: Staff, second: Staff, account: str, role: str
) -> httpx.Response:
    """Grant over HTTP: one admin asks, a second approves (four eyes)."""
    asked = await client.put(f"/v1/staff/accounts/{account}/roles/{role}", headers=admin.headers)
    assert asked.status_code == 202, asked.text
    return await client.post(
        f"/v1/staff/approvals/{asked.json()['id']}/approve", json={}, headers=second.headers
    )


async def _account_id(client: httpx.AsyncClient, admin: Staff, email: str) -> str:
    listed = (await client.get("/v1/staff/accounts", headers=admin.headers)).json()
    return str(next(a["id"] for a in listed if a["email"] == email))


class TestInvitations:
    async def test_the_roles_an_invitation_asks_for_are_held_once_a_second_admin_approves(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await onboard(client, runtime, "admin@casino.example", "admin")
        second = await onboard(client, runtime, "second@casino.example", "admin")
        made = await client.post(
            "/v1/staff/accounts",
            json={"email": "kim@casino.example", "roles": ["risk"]},
            headers=admin.headers,
        )
        kim = await onboard(client, runtime, "kim@casino.example", token=made.json()["invitation_token"])

        before = await client.get("/v1/staff/risk/rules", headers=kim.headers)
        [request] = (await client.get("/v1/staff/approvals", headers=second.headers)).json()["items"]
        by_kim = await client.post(
            f"/v1/staff/approvals/{request['id']}/approve", json={}, headers=kim.headers
        )
        approved = await client.post(
            f"/v1/staff/approvals/{request['id']}/approve", json={}, headers=second.headers
        )
        after = await client.get("/v1/staff/risk/rules", headers=kim.headers)

        assert before.status_code == 403
        assert by_kim.status_code == 403  # kim has no staff:manage, and it is kim's own grant
        assert approved.status_code == 200, approved.text
        assert after.status_code == 200

    async def test_an_admin_invites_over_http_and_the_token_is_shown_once(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await onboard(client, runtime, "admin@casino.example", "admin")

        made = await client.post(
            "/v1/staff/accounts",
            json={"email": "Kim@Casino.example", "roles": ["kyc", "support"], "name": "Kim Lee"},
            headers=admin.headers,
        )

        assert made.status_code == 201, made.text
        body = made.json()
        assert body["invitation_token"].startswith("cri_")
        assert body["accept_url"].endswith(f"/console/invitations/{body['invitation_token']}")
        assert body["roles_asked"] == ["kyc", "support"]
        assert body["account"] | {"id": None, "created_at": None} == {
            "id": None,
            "email": "kim@casino.example",
            "name": "Kim Lee",
            "roles": [],  # each asked for, and held once a second admin approves
            "state": "invited",
            "mfa_enrolled": False,
            "last_sign_in_at": None,
            "created_at": None,
        }
        listed = (await client.get("/v1/staff/accounts", headers=admin.headers)).json()
        assert all("invitation_token" not in a for a in listed)
        assert {a["email"]: a["state"] for a in listed} == {
            "admin@casino.example": "active",
            "kim@casino.example": "invited",
        }
        async with runtime.database.unit_of_work() as session:
            stored = await session.scalars(select(StaffInvitation.token_hash))
            assert all(body["invitation_token"].encode() not in h for h in stored)

    async def test_an_invitation_sets_the_password_once(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        token = await invite(runtime, "once@casino.example", "risk")
        first = await client.post(f"/v1/staff/invitations/{token}/accept", json={"password": PASSWORD})
        assert first.status_code == 200

        again = await client.post(
            f"/v1/staff/invitations/{token}/accept", json={"password": "Another-Pass-77"}
        )

        assert again.status_code == 404
        assert again.json()["code"] == "invalid_invitation"
        assert (await sign_in(client, "once@casino.example")).status_code == 201

    async def test_an_expired_invitation_is_refused(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        token = await invite(runtime, "late@casino.example", "risk")
        async with runtime.database.unit_of_work() as session:
            await session.execute(update(StaffInvitation).values(expires_at=utcnow() - timedelta(seconds=1)))

        response = await client.post(f"/v1/staff/invitations/{token}/accept", json={"password": PASSWORD})

        assert response.status_code == 404
        assert response.json()["code"] == "invalid_invitation"

    async def test_a_weak_password_is_refused_and_the_invitation_stays_usable(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        token = await invite(runtime, "weak@casino.example", "risk")
        url = f"/v1/staff/invitations/{token}/accept"

        for weak in ("short", "password123", "weak@casino.example!"):
            response = await client.post(url, json={"password": weak})
            assert response.status_code == 422, response.text
            assert response.json()["code"] == "weak_password"
            assert weak not in response.text

        assert (await client.post(url, json={"password": PASSWORD})).status_code == 200

    async def test_inviting_again_before_acceptance_renews_the_link_and_voids_the_old_one(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        old = await invite(runtime, "renew@casino.example", "risk")
        new = await invite(runtime, "renew@casino.example", "kyc")

        assert (
            await client.post(f"/v1/staff/invitations/{old}/accept", json={"password": PASSWORD})
        ).status_code == 404
        assert (
            await client.post(f"/v1/staff/invitations/{new}/accept", json={"password": PASSWORD})
        ).status_code == 200
        with pytest.raises(StaffAccountExists):
            await invite(runtime, "renew@casino.example", "risk")


class TestAdministration:
    async def test_a_granted_role_opens_its_routes_from_the_next_request_and_a_revoked_one_closes_them(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await onboard(client, runtime, "admin@casino.example", "admin")
        second = await onboard(client, runtime, "second@casino.example", "admin")
        staff = await onboard(client, runtime, "sam@casino.example", "support")
        account = await _account_id(client, admin, staff.email)
        assert (await client.get(RULES, headers=staff.headers)).status_code == 403

        granted = await _grant(client, admin, second, account, "risk")
        assert granted.status_code == 200, granted.text
        assert granted.json()["effect"]["roles"] == ["risk", "support"]
        assert (await client.get(RULES, headers=staff.headers)).status_code == 200

        revoked = await client.delete(f"/v1/staff/accounts/{account}/roles/risk", headers=admin.headers)
        assert revoked.json()["roles"] == ["support"]
        assert (await client.get(RULES, headers=staff.headers)).status_code == 403

    async def test_a_custom_role_can_be_granted(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        async with runtime.database.unit_of_work() as session:
            await roles.define(
                session,
                name="rules-only",
                description="reads rule sets",
                permissions=["risk:rules:read"],
                actor=Actor.operator("test"),
            )
        staff = await onboard(client, runtime, "custom@casino.example", "rules-only")

        assert (await client.get(RULES, headers=staff.headers)).status_code == 200

    async def test_disabling_an_account_ends_its_sessions_at_once(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await onboard(client, runtime, "admin@casino.example", "admin")
        staff = await onboard(client, runtime, "leaver@casino.example", "risk")
        account = await _account_id(client, admin, staff.email)

        disabled = await client.post(f"/v1/staff/accounts/{account}/disable", headers=admin.headers)

        assert disabled.status_code == 200
        assert disabled.json()["state"] == "disabled"
        ended = await client.get(RULES, headers=staff.headers)
        assert ended.status_code == 401
        refused = await sign_in(client, staff.email)
        assert refused.status_code == 403
        assert refused.json()["code"] == "account_disabled"
        enabled = await client.post(f"/v1/staff/accounts/{account}/enable", headers=admin.headers)
        assert enabled.json()["state"] == "active"
        assert (
            await client.get(RULES, headers=staff.headers)
        ).status_code == 401  # the old session stays ended
        assert (await sign_in(client, staff.email)).status_code == 201

    async def test_an_admin_cannot_disable_their_own_account(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await onboard(client, runtime, "admin@casino.example", "admin")
        account = await _account_id(client, admin, admin.email)

        response = await client.post(f"/v1/staff/accounts/{account}/disable", headers=admin.headers)

        assert response.status_code == 409

    async def test_every_change_is_audited_with_the_admin_who_made_it(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await onboard(client, runtime, "admin@casino.example", "admin")
        second = await onboard(client, runtime, "second@casino.example", "admin")
        staff = await onboard(client, runtime, "ann@casino.example", "support")
        account = await _account_id(client, admin, staff.email)
        await _grant(client, admin, second, account, "kyc")
        await client.delete(f"/v1/staff/accounts/{account}/roles/kyc", headers=admin.headers)
        await client.post(f"/v1/staff/accounts/{account}/disable", headers=admin.headers)

        async with runtime.database.unit_of_work() as session:
            rows = (
                await session.scalars(
                    select(AuditEvent).where(AuditEvent.target_id == account).order_by(AuditEvent.seq)
                )
            ).all()
        admins = {admin.email, second.email}
        by_admins = [(r.action, r.actor_type, r.actor_id) for r in rows if r.actor_id in admins]
        assert by_admins == [
            (str(AuditAction.STAFF_ACCOUNT_GRANT), "staff", second.email),  # the admin who approved
            (str(AuditAction.STAFF_ACCOUNT_REVOKE), "staff", admin.email),
            (str(AuditAction.STAFF_ACCOUNT_DISABLE), "staff", admin.email),
        ]

    async def test_a_role_manager_without_staff_manage_is_refused(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        staff = await onboard(client, runtime, "risky@casino.example", "risk")

        response = await client.post(
            "/v1/staff/accounts",
            json={"email": "x@casino.example", "roles": ["admin"]},
            headers=staff.headers,
        )

        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"


REFUSED_INPUT: list[tuple[str, str, Any, int]] = [
    ("POST", "/v1/staff/accounts", {}, 422),
    ("POST", "/v1/staff/accounts", {"email": "not-an-address", "roles": ["risk"]}, 422),
    ("POST", "/v1/staff/accounts", {"email": "a" * 60 + "@casino.example", "roles": ["risk"]}, 422),
    ("POST", "/v1/staff/accounts", {"email": "new@casino.example", "roles": []}, 422),
    ("POST", "/v1/staff/accounts", {"email": "new@casino.example", "roles": ["nosuchrole"]}, 404),
    ("POST", "/v1/staff/accounts", {"email": "new@casino.example", "roles": "risk"}, 422),
    ("POST", "/v1/staff/accounts", {"email": "new@casino.example", "roles": ["risk"], "extra": 1}, 422),
    ("PUT", "/v1/staff/accounts/not-a-uuid/roles/risk", None, 422),
    ("PUT", "/v1/staff/accounts/00000000-0000-0000-0000-000000000000/roles/risk", None, 404),
    ("DELETE", "/v1/staff/accounts/00000000-0000-0000-0000-000000000000/roles/risk", None, 404),
    ("POST", "/v1/staff/accounts/00000000-0000-0000-0000-000000000000/disable", None, 404),
    ("POST", "/v1/staff/sessions", {}, 422),
    ("POST", "/v1/staff/sessions", {"email": 5, "password": None}, 422),
    ("POST", "/v1/staff/sessions", {"email": "x@casino.example", "password": "p" * 5000}, 422),
    ("POST", "/v1/staff/sessions", "not an object", 422),
    ("POST", "/v1/staff/invitations/cri_nonsense/accept", {"password": PASSWORD}, 404),
    ("POST", "/v1/staff/invitations/crk_wrongkind/accept", {"password": PASSWORD}, 404),
    ("POST", "/v1/staff/invitations/" + "x" * 500 + "/accept", {"password": PASSWORD}, 422),
    ("POST", "/v1/staff/invitations/cri_x/accept", {}, 422),
    ("POST", "/v1/staff/sessions/current/mfa", {"code": "12345a"}, 422),
    ("POST", "/v1/staff/sessions/current/mfa", {"code": 123456}, 422),
]


@pytest.mark.parametrize("case", REFUSED_INPUT, ids=lambda c: f"{c[0]} {c[1][:60]} {str(c[2])[:40]}")
async def test_bad_input_is_a_problem_never_a_500(
    client: httpx.AsyncClient, runtime: Runtime, case: tuple[str, str, Any, int]
) -> None:
    method, path, body, status = case
    admin = await onboard(client, runtime, "admin@casino.example", "admin")
    headers = admin.headers if "invitations" not in path else {}

    response = await client.request(method, path, json=body, headers=headers)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_malformed_session_token_is_401(client: httpx.AsyncClient) -> None:
    for token in ("crb_", "crb_" + "x" * 500, "crb_ spaced"):
        response = await client.get("/v1/staff/me", headers=bearer(token))
        assert response.status_code in {400, 401}, response.text
