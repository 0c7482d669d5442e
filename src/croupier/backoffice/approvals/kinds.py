"""What each kind of approval request does once approved: the one module here that knows the domains.

Each handler calls the owning domain's service, as the checker, inside the transaction
that records the approval; an error from the domain rolls both back.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.backoffice.approvals.service import ApprovalBeneficiary, ApprovalKind, Effect, Handler
from croupier.backoffice.oauth import service as oauth_clients
from croupier.payments import withdrawals
from croupier.risk import rulesets
from croupier.staff import accounts, roles
from croupier.staff.service import StaffMember
from croupier.wallet import adjustments


async def approve_withdrawal(
    session: AsyncSession, payload: Mapping[str, Any], checker: StaffMember
) -> Mapping[str, Any]:
    done = await withdrawals.review(
        session,
        withdrawal_id=uuid.UUID(str(payload["withdrawal_id"])),
        approve=True,
        actor=checker.actor,
        note="four-eyes approval",
    )
    return {"withdrawal_id": str(done.id), "status": str(done.status)}


async def adjust_balance(
    session: AsyncSession, payload: Mapping[str, Any], checker: StaffMember
) -> Mapping[str, Any]:
    done = await adjustments.adjust(
        session,
        player_id=uuid.UUID(str(payload["player_id"])),
        amount=int(payload["amount"]),
        currency=str(payload["currency"]),
        reason=str(payload["reason"]),
        key=str(payload["key"]),
        actor=checker.actor,
    )
    return {"transfer_id": str(done.id), "replayed": done.replayed}


async def publish_rule_set(
    session: AsyncSession, payload: Mapping[str, Any], checker: StaffMember
) -> Mapping[str, Any]:
    published = await rulesets.publish(
        session,
        set_name=str(payload["name"]),
        actor=checker.actor,
        expect=rulesets.DraftState(version=int(payload["version"]), digest=str(payload["digest"])),
    )
    return {"name": published.name, "version": published.version, "status": published.status}


async def grant_role(
    session: AsyncSession, payload: Mapping[str, Any], checker: StaffMember
) -> Mapping[str, Any]:
    """Grant the role; whoever receives it cannot be the second pair of eyes on it."""
    account_id = uuid.UUID(str(payload["account_id"]))
    grantee = await accounts.grantable(session, account_id=account_id, role=str(payload["role"]))
    if grantee.email == checker.name:
        raise ApprovalBeneficiary("A role granted to you is approved by another admin.")
    done = await accounts.grant(
        session, account_id=account_id, role=str(payload["role"]), actor=checker.actor
    )
    return {"account_id": str(done.id), "roles": list(done.roles)}


async def add_oauth_client(session: AsyncSession, payload: Mapping[str, Any], checker: StaffMember) -> Effect:
    """Register the client; a secret client's secret is made now and shown once, to the checker."""
    registered = await oauth_clients.register(
        session,
        name=str(payload["name"]),
        scopes=[str(s) for s in payload["scopes"]],
        public_key=payload.get("public_jwk"),
        actor=checker.actor,
    )
    client = registered.client
    summary = {
        "client_id": client.client_id,
        "name": client.name,
        "auth_method": str(client.auth_method),
        "scopes": list(client.scopes),
    }
    return Effect(summary, {"client_secret": registered.secret} if registered.secret else {})


async def define_role(
    session: AsyncSession, payload: Mapping[str, Any], checker: StaffMember
) -> Mapping[str, Any]:
    """Define or change the custom role; a member holding it cannot be the second pair of eyes."""
    name = str(payload["name"])
    if name in checker.roles:
        raise ApprovalBeneficiary("A change to a role you hold is approved by another member.")
    done = await roles.define(
        session,
        name=name,
        description=str(payload["description"]),
        permissions=[str(p) for p in payload["permissions"]],
        actor=checker.actor,
    )
    return {"name": done.name, "permissions": sorted(done.permissions)}


HANDLERS: Mapping[str, Handler] = {
    ApprovalKind.WITHDRAWAL_APPROVE: approve_withdrawal,
    ApprovalKind.WALLET_ADJUST: adjust_balance,
    ApprovalKind.RULE_SET_PUBLISH: publish_rule_set,
    ApprovalKind.STAFF_ROLE_GRANT: grant_role,
    ApprovalKind.OAUTH_CLIENT_ADD: add_oauth_client,
    ApprovalKind.STAFF_ROLE_DEFINE: define_role,
}
