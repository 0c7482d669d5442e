"""Granting a role over HTTP takes two admins: one asks, another approves, and only then does it apply.

The admin who asked cannot approve, nor can the member who would receive the role; until a
second admin approves, the role opens nothing. Revoking a role is immediate (it takes access
away), and so is the operator's `croupier staff accounts grant` (tests/staff/test_accounts_cli.py).
"""

from __future__ import annotations

import httpx
from sqlalchemy import select

from croupier.audit.models import AuditEvent
from croupier.audit.tags import AuditAction
from croupier.kit.runtime import Runtime
from tests.staff.support import Staff, onboard

RULES = "/v1/staff/risk/rules"


async def _account_id(client: httpx.AsyncClient, admin: Staff, email: str) -> str:
    listed = (await client.get("/v1/staff/accounts", headers=admin.headers)).json()
    return str(next(a["id"] for a in listed if a["email"] == email))


async def _approve(client: httpx.AsyncClient, member: Staff, request_id: str) -> httpx.Response:
    return await client.post(f"/v1/staff/approvals/{request_id}/approve", json={}, headers=member.headers)


async def _actions(runtime: Runtime, prefix: str) -> list[tuple[str, str, str | None]]:
    async with runtime.database.unit_of_work() as session:
        rows = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action.like(f"{prefix}%")).order_by(AuditEvent.seq)
            )
        ).all()
    return [(r.action, r.outcome, r.actor_id) for r in rows]


class TestRoleGrantsTakeTwoAdmins:
    async def test_a_grant_is_a_request_and_opens_nothing_until_a_second_admin_approves(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        ann = await onboard(client, runtime, "ann@casino.example", "admin")
        bob = await onboard(client, runtime, "bob@casino.example", "admin")
        sam = await onboard(client, runtime, "sam@casino.example", "support")
        account = await _account_id(client, ann, sam.email)

        asked = await client.put(f"/v1/staff/accounts/{account}/roles/risk", headers=ann.headers)
        asked_again = await client.put(f"/v1/staff/accounts/{account}/roles/risk", headers=ann.headers)

        assert asked.status_code == 202, asked.text
        request = asked.json()
        assert (request["kind"], request["subject"], request["maker"], request["status"]) == (
            "staff_role_grant",
            f"staff_account:{account}:role:risk",
            ann.email,
            "pending",
        )
        assert (request["permission"], request["payload"]) == (
            "staff:manage",
            {"account_id": account, "role": "risk"},
        )
        assert (asked_again.status_code, asked_again.json()["id"]) == (202, request["id"])
        assert (await client.get(RULES, headers=sam.headers)).status_code == 403
        listed = (await client.get("/v1/staff/accounts", headers=ann.headers)).json()
        assert next(a["roles"] for a in listed if a["id"] == account) == ["support"]

        approved = await _approve(client, bob, request["id"])

        assert approved.status_code == 200, approved.text
        assert approved.json()["effect"] == {"account_id": account, "roles": ["risk", "support"]}
        assert (await client.get(RULES, headers=sam.headers)).status_code == 200
        grants = [
            (a, o, who) for a, o, who in await _actions(runtime, "staff:account:grant") if o == "success"
        ]
        assert grants == [(str(AuditAction.STAFF_ACCOUNT_GRANT), "success", bob.email)]
        again = await client.put(f"/v1/staff/accounts/{account}/roles/risk", headers=ann.headers)
        assert (again.status_code, again.json()["roles"]) == (200, ["risk", "support"])

    async def test_the_admin_who_asked_cannot_approve_the_grant(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        ann = await onboard(client, runtime, "ann@casino.example", "admin")
        sam = await onboard(client, runtime, "sam@casino.example", "support")
        account = await _account_id(client, ann, sam.email)
        request = (
            await client.put(f"/v1/staff/accounts/{account}/roles/payments", headers=ann.headers)
        ).json()

        own = await _approve(client, ann, request["id"])

        assert (own.status_code, own.json()["code"]) == (403, "approval_own_request")
        assert (
            await client.get("/v1/staff/withdrawals/awaiting-review", headers=sam.headers)
        ).status_code == 403
        assert (str(AuditAction.APPROVAL_APPROVE), "denied", ann.email) in await _actions(
            runtime, "backoffice:approval:approve"
        )

    async def test_the_admin_who_would_receive_the_role_cannot_approve_it(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        ann = await onboard(client, runtime, "ann@casino.example", "admin")
        bob = await onboard(client, runtime, "bob@casino.example", "admin")
        cat = await onboard(client, runtime, "cat@casino.example", "admin")
        account = await _account_id(client, ann, bob.email)
        request = (
            await client.put(f"/v1/staff/accounts/{account}/roles/payments", headers=ann.headers)
        ).json()

        by_grantee = await _approve(client, bob, request["id"])

        assert (by_grantee.status_code, by_grantee.json()["code"]) == (403, "approval_beneficiary")
        shown = await client.get(f"/v1/staff/approvals/{request['id']}", headers=ann.headers)
        assert shown.json()["status"] == "pending"
        assert (str(AuditAction.APPROVAL_APPROVE), "denied", bob.email) in await _actions(
            runtime, "backoffice:approval:approve"
        )
        by_third = await _approve(client, cat, request["id"])
        assert by_third.status_code == 200, by_third.text
        assert by_third.json()["effect"]["roles"] == ["admin", "payments"]

    async def test_a_member_without_staff_manage_cannot_approve_a_grant(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        ann = await onboard(client, runtime, "ann@casino.example", "admin")
        pat = await onboard(client, runtime, "pat@casino.example", "payments")
        sam = await onboard(client, runtime, "sam@casino.example", "support")
        account = await _account_id(client, ann, sam.email)
        request = (
            await client.put(f"/v1/staff/accounts/{account}/roles/payments", headers=ann.headers)
        ).json()

        refused = await _approve(client, pat, request["id"])

        assert (refused.status_code, refused.json()["code"]) == (403, "approval_permission_missing")

    async def test_revoking_a_role_is_immediate(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        ann = await onboard(client, runtime, "ann@casino.example", "admin")
        rik = await onboard(client, runtime, "rik@casino.example", "risk", "support")
        account = await _account_id(client, ann, rik.email)

        revoked = await client.delete(f"/v1/staff/accounts/{account}/roles/risk", headers=ann.headers)

        assert (revoked.status_code, revoked.json()["roles"]) == (200, ["support"])
        assert (await client.get(RULES, headers=rik.headers)).status_code == 403

    async def test_an_unknown_role_or_account_is_refused_before_anyone_is_asked(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        ann = await onboard(client, runtime, "ann@casino.example", "admin")
        sam = await onboard(client, runtime, "sam@casino.example", "support")
        account = await _account_id(client, ann, sam.email)

        no_role = await client.put(f"/v1/staff/accounts/{account}/roles/nosuchrole", headers=ann.headers)

        assert (no_role.status_code, no_role.json()["code"]) == (404, "not_found")
        pending = await client.get("/v1/staff/approvals", headers=ann.headers)
        assert pending.json()["items"] == []
