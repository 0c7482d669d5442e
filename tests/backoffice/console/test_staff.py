"""Admins manage staff accounts and roles in the console, through the staff API's own functions.

An invitation's one-time link appears once, in the page answering the form, and never in a
URL; disabling, enabling, granting and revoking change the account and are audited under the
admin who did it. Custom roles are defined, changed and removed with a checkbox per
permission; built-in roles are listed and cannot be changed. Bad input is a 4xx page that
changes nothing, and a form without its CSRF token is refused.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import httpx
import pytest

from croupier.audit import service as audit
from croupier.audit.service import Actor
from croupier.audit.tags import AuditAction
from croupier.kit.runtime import Runtime
from croupier.staff import roles
from croupier.staff.access import StaffRole
from tests.backoffice.console.support import assert_safe, error_code, page_token
from tests.risk.support import staff_key
from tests.sql import sql
from tests.staff.support import invite, onboard


async def _admin(client: httpx.AsyncClient, runtime: Runtime) -> tuple[dict[str, str], str]:
    headers = await staff_key(runtime, StaffRole.ADMIN, name="ada")
    return headers, await page_token(client, "/console/staff", headers)


def _token_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found is not None, page.text
    return found[1]


async def _account(runtime: Runtime, email: str) -> tuple[str, list[str], bool]:
    [(account_id, roles, disabled)] = await sql(
        runtime,
        "SELECT id, roles, disabled_at IS NOT NULL FROM staff_accounts WHERE email = :email",
        email=email,
    )
    return str(account_id), list(roles), disabled


async def _audited(runtime: Runtime, action: AuditAction) -> list[Any]:
    async with runtime.database.unit_of_work() as session:
        return list(await audit.events(session, action=action))


class TestAccounts:
    async def test_an_invitation_shows_its_link_once_and_never_in_a_url(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin, token = await _admin(client, runtime)

        invited = await client.post(
            "/console/staff/invite",
            data={
                "csrf": token,
                "email": "Kim@Casino.example",
                "display_name": "Kim",
                "role": ["risk", "kyc"],
            },
            headers=admin,
        )
        later = await client.get("/console/staff", headers=admin)

        assert invited.status_code == 200, invited.text
        assert_safe(invited)
        link = re.search(r"data-invitation-link>([^<]+)<", invited.text)
        assert link is not None
        assert link[1].startswith(f"{runtime.settings.public_url}/console/invitations/cri_")
        secret = link[1].split("/")[-1]
        assert str(invited.url).endswith("/console/staff/invite")  # the token went in no URL
        assert secret not in later.text
        assert 'data-account="kim@casino.example"' in later.text
        assert 'data-status="invited"' in later.text
        [(stored,)] = await sql(runtime, "SELECT token_hash FROM staff_invitations")
        assert bytes(stored) == hashlib.sha256(secret.encode()).digest()
        # The roles wait for a second admin: one request each, none held before.
        assert (await _account(runtime, "kim@casino.example"))[1] == []
        asked = await sql(runtime, "SELECT kind, payload->>'role' FROM approval_requests ORDER BY 2")
        assert [tuple(a) for a in asked] == [("staff_role_grant", "kyc"), ("staff_role_grant", "risk")]
        [entry] = await _audited(runtime, AuditAction.STAFF_ACCOUNT_INVITE)
        assert (entry.actor_type, entry.actor_id) == ("staff", "ada")
        assert secret not in str(entry.details)

    async def test_disable_enable_grant_and_revoke_change_the_account_and_are_audited(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await invite(runtime, "lee@casino.example", "support")
        account_id, _, _ = await _account(runtime, "lee@casino.example")
        admin, token = await _admin(client, runtime)

        answers = [
            await client.post(
                f"/console/staff/{account_id}/{step}", data={"csrf": token, **form}, headers=admin
            )
            for step, form in [
                ("grant", {"role": "payments"}),
                ("revoke", {"role": "support"}),
                ("disable", {}),
            ]
        ]
        disabled = await _account(runtime, "lee@casino.example")
        page = await client.get("/console/staff", headers=admin)
        enabled = await client.post(
            f"/console/staff/{account_id}/enable", data={"csrf": token}, headers=admin
        )

        assert [a.status_code for a in answers] == [303, 303, 303]
        assert answers[0].headers["location"].startswith("/console/staff?asked=")
        assert disabled[1:] == ([], True)  # the grant waits for a second admin
        asked = await client.get(answers[0].headers["location"], headers=admin)
        assert "the role applies once another admin approves it" in asked.text
        [(request_id,)] = await sql(
            runtime, "SELECT id FROM approval_requests WHERE kind = 'staff_role_grant'"
        )
        bob = await staff_key(runtime, StaffRole.ADMIN, name="bob")
        approvals_page = await client.get("/console/approvals", headers=bob)
        approved = await client.post(
            f"/console/approvals/{request_id}/approve", data={"csrf": _token_of(approvals_page)}, headers=bob
        )
        assert approved.status_code == 303, approved.text
        assert (await _account(runtime, "lee@casino.example"))[1] == ["payments"]
        assert 'data-status="disabled"' in page.text
        assert f'action="/console/staff/{account_id}/enable"' in page.text
        assert enabled.status_code == 303
        assert (await _account(runtime, "lee@casino.example"))[2] is False
        [granted] = await _audited(runtime, AuditAction.STAFF_ACCOUNT_GRANT)
        assert (granted.actor_id, granted.target_id) == ("bob", account_id)  # who approved
        for action in (
            AuditAction.STAFF_ACCOUNT_REVOKE,
            AuditAction.STAFF_ACCOUNT_DISABLE,
            AuditAction.STAFF_ACCOUNT_ENABLE,
        ):
            [entry] = await _audited(runtime, action)
            assert (entry.actor_id, entry.target_id) == ("ada", account_id)

    async def test_the_listing_shows_state_roles_mfa_and_last_sign_in(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await invite(runtime, "mo@casino.example", "compliance", "support")
        admin, _ = await _admin(client, runtime)

        page = await client.get("/console/staff", headers=admin)

        row = page.text[page.text.index('data-account="mo@casino.example"') :].split("</tr>")[0]
        assert "compliance" in row
        assert "support" in row
        assert "not enrolled" in row
        assert "never" in row
        assert 'data-status="invited"' in row

    async def test_a_signed_in_admin_sees_their_own_row_without_disable_and_cannot_post_it(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await onboard(client, runtime, "ada@casino.example", "admin")
        account_id, _, _ = await _account(runtime, admin.email)
        token = await page_token(client, "/console/staff", admin.headers)

        page = await client.get("/console/staff", headers=admin.headers)
        refused = await client.post(
            f"/console/staff/{account_id}/disable", data={"csrf": token}, headers=admin.headers
        )

        row = page.text[page.text.index('data-account="ada@casino.example"') :].split("</tr>")[0]
        assert 'data-status="active"' in row
        assert ">enrolled<" in row
        assert "never" not in row  # signed in just now
        assert f'action="/console/staff/{account_id}/disable"' not in row
        assert refused.status_code == 409
        assert (await _account(runtime, admin.email))[2] is False

    async def test_the_navigation_links_the_admin_pages_only_for_those_who_may_open_them(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await staff_key(runtime, StaffRole.ADMIN, name="ada")
        desk = await staff_key(runtime, StaffRole.SUPPORT, name="sue")

        admin_page = await client.get("/console/dashboard", headers=admin)
        desk_page = await client.get("/console/dashboard", headers=desk)

        links = ("/console/staff", "/console/roles", "/console/audit", "/console/providers")
        assert all(f'href="{link}"' in admin_page.text for link in links)
        assert not any(f'href="{link}"' in desk_page.text for link in links)

    @pytest.mark.parametrize(
        ("form", "status", "code"),
        [
            ({"email": "not-an-email", "role": "risk"}, 422, "invalid_staff_email"),
            ({"email": "x@casino.example", "role": "croupier-king"}, 404, "not_found"),
            ({"email": "x@casino.example"}, 422, "validation_error"),  # no role ticked
        ],
        ids=["bad email", "unknown role", "no role"],
    )
    async def test_a_bad_invitation_is_a_4xx_page_and_creates_nothing(
        self, client: httpx.AsyncClient, runtime: Runtime, form: dict[str, str], status: int, code: str
    ) -> None:
        admin, token = await _admin(client, runtime)

        answer = await client.post("/console/staff/invite", data={"csrf": token, **form}, headers=admin)

        assert answer.status_code == status, answer.text
        assert error_code(answer) == code
        assert await sql(runtime, "SELECT id FROM staff_accounts") == []
        assert await _audited(runtime, AuditAction.STAFF_ACCOUNT_INVITE) == []

    async def test_bad_changes_are_4xx_pages_and_change_nothing(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await invite(runtime, "nia@casino.example", "support")
        account_id, _, _ = await _account(runtime, "nia@casino.example")
        admin, token = await _admin(client, runtime)

        unknown_role = await client.post(
            f"/console/staff/{account_id}/grant", data={"csrf": token, "role": "nobody"}, headers=admin
        )
        not_held = await client.post(
            f"/console/staff/{account_id}/revoke", data={"csrf": token, "role": "risk"}, headers=admin
        )
        no_account = await client.post(
            "/console/staff/00000000-0000-0000-0000-000000000000/disable", data={"csrf": token}, headers=admin
        )
        not_an_id = await client.post("/console/staff/kim/disable", data={"csrf": token}, headers=admin)
        forged = await client.post(
            f"/console/staff/{account_id}/disable", data={"csrf": "0" * 64}, headers=admin
        )

        assert [unknown_role.status_code, not_held.status_code, no_account.status_code] == [404, 404, 404]
        assert not_an_id.status_code == 422
        assert forged.status_code == 403
        assert error_code(forged) == "csrf_rejected"
        assert await _account(runtime, "nia@casino.example") == (account_id, ["support"], False)
        for action in (AuditAction.STAFF_ACCOUNT_GRANT, AuditAction.STAFF_ACCOUNT_DISABLE):
            assert await _audited(runtime, action) == []


class TestRoles:
    async def test_built_in_roles_are_listed_with_their_permissions_and_no_forms(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await staff_key(runtime, StaffRole.ADMIN, name="ada")

        page = await client.get("/console/roles", headers=admin)

        assert page.status_code == 200
        assert_safe(page)
        section = page.text[page.text.index('data-role="kyc"') :].split("</section>")[0]
        assert "<code>kyc:review</code>" in section
        assert "<form" not in section
        assert 'action="/console/roles/kyc/remove"' not in page.text

    async def test_a_holder_of_the_role_cannot_approve_its_change(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        async with runtime.database.unit_of_work() as session:
            await roles.define(
                session,
                name="auditor",
                description="Reads the audit log and manages roles",
                permissions=["audit:read", "roles:manage"],
                actor=Actor.operator("tests"),
            )
        ada = await staff_key(runtime, StaffRole.ADMIN, name="ada")
        holder = await staff_key(runtime, "auditor", name="holder")
        token = await page_token(client, "/console/roles", ada)
        widened = ["audit:read", "roles:manage", "gdpr:erase"]
        await client.post(
            "/console/roles",
            data={"csrf": token, "name": "auditor", "description": "more", "permission": widened},
            headers=ada,
        )
        [(request_id,)] = await sql(runtime, "SELECT id FROM approval_requests")

        refused = await client.post(
            f"/console/approvals/{request_id}/approve", data={"csrf": token}, headers=holder
        )

        assert refused.status_code == 403
        assert error_code(refused) == "approval_beneficiary"
        assert await sql(runtime, "SELECT permissions FROM staff_roles") == [
            (["audit:read", "roles:manage"],)
        ]

    async def test_a_custom_role_is_defined_and_changed_by_two_people_and_removed_by_one(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        ada = await staff_key(runtime, StaffRole.ADMIN, name="ada")
        bea = await staff_key(runtime, StaffRole.ADMIN, name="bea")
        token = await page_token(client, "/console/roles", ada)
        role = {"csrf": token, "name": "auditor", "description": "Reads the audit log"}

        async def approved_by_bea() -> None:
            page = await client.get("/console/approvals", headers=bea)
            found = re.search(r'data-request="([0-9a-f-]+)"', page.text)
            assert found is not None, page.text
            assert "audit:read" in page.text  # the checker sees what they approve
            done = await client.post(
                f"/console/approvals/{found[1]}/approve", data={"csrf": token}, headers=bea
            )
            assert done.status_code == 303, done.text

        defined = await client.post(
            "/console/roles", data={**role, "permission": ["audit:read"]}, headers=ada
        )
        before_approval = await sql(runtime, "SELECT name FROM staff_roles")
        await approved_by_bea()
        first = await sql(runtime, "SELECT permissions FROM staff_roles WHERE name = 'auditor'")
        await client.post(
            "/console/roles", data={**role, "permission": ["audit:read", "reports:read"]}, headers=ada
        )
        await approved_by_bea()
        page = await client.get("/console/roles", headers=ada)
        second = await sql(runtime, "SELECT permissions FROM staff_roles WHERE name = 'auditor'")
        removed = await client.post("/console/roles/auditor/remove", data={"csrf": token}, headers=ada)

        assert defined.status_code == 303
        assert defined.headers["location"] == "/console/approvals"
        assert before_approval == []
        assert first == [(["audit:read"],)]
        assert second == [(["audit:read", "reports:read"],)]
        assert 'value="reports:read" checked' in page.text
        assert removed.status_code == 303  # taking access away needs one person
        assert await sql(runtime, "SELECT name FROM staff_roles") == []
        [define_2, define_1] = await _audited(runtime, AuditAction.STAFF_ROLE_DEFINE)
        assert define_2.details == {"before": ["audit:read"], "after": ["audit:read", "reports:read"]}
        assert define_1.actor_id == "bea"  # done when the second person approved
        assert len(await _audited(runtime, AuditAction.STAFF_ROLE_REMOVE)) == 1

    @pytest.mark.parametrize(
        ("form", "status", "code"),
        [
            ({"name": "auditor", "description": "d"}, 422, "invalid_role"),  # nothing ticked
            ({"name": "auditor", "description": "d", "permission": "audit:everything"}, 422, "invalid_role"),
            ({"name": "Bad Name", "description": "d", "permission": "audit:read"}, 422, "invalid_role"),
            ({"name": "admin", "description": "d", "permission": "audit:read"}, 409, "conflict"),
        ],
        ids=["no permission", "unknown permission", "bad name", "a built-in name"],
    )
    async def test_a_bad_role_is_a_4xx_page_and_stores_nothing(
        self, client: httpx.AsyncClient, runtime: Runtime, form: dict[str, str], status: int, code: str
    ) -> None:
        admin = await staff_key(runtime, StaffRole.ADMIN, name="ada")
        token = await page_token(client, "/console/roles", admin)

        answer = await client.post("/console/roles", data={"csrf": token, **form}, headers=admin)

        assert answer.status_code == status, answer.text
        assert error_code(answer) == code
        assert await sql(runtime, "SELECT name FROM staff_roles") == []

    async def test_a_built_in_or_unknown_role_cannot_be_removed(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await staff_key(runtime, StaffRole.ADMIN, name="ada")
        token = await page_token(client, "/console/roles", admin)

        built_in = await client.post("/console/roles/admin/remove", data={"csrf": token}, headers=admin)
        unknown = await client.post("/console/roles/ghost/remove", data={"csrf": token}, headers=admin)

        assert (built_in.status_code, unknown.status_code) == (409, 404)
        assert await _audited(runtime, AuditAction.STAFF_ROLE_REMOVE) == []
