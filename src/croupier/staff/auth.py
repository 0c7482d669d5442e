"""The staff dependency: each staff route declares the permission it needs.

``require(Permission.X)`` admits a caller holding X (or, with several, any one of them)
and answers 401 without credentials, 403 without the permission. A refusal is a security
event and is audited in a transaction of its own, kept although the request fails; so is
every use of a staff key, allowed or not, with the route it was used on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from croupier.audit import service as audit
from croupier.audit.service import Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.kit.deps import Client, DbSession
from croupier.kit.errors import Forbidden, Unauthenticated
from croupier.staff.access import Permission, describe
from croupier.staff.service import StaffMember, authenticate

_bearer = HTTPBearer(auto_error=False, description="A staff key from `croupier staff keys issue`")


def require(permission: Permission, *alternatives: Permission) -> Callable[..., Awaitable[StaffMember]]:
    needed = frozenset({permission, *alternatives})

    async def dependency(
        request: Request,
        session: DbSession,
        client: Client,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> StaffMember:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthenticated("Send `Authorization: Bearer <staff key>`.")
        member = await authenticate(session, secret=credentials.credentials)
        route = f"{request.method} {getattr(request.scope.get('route'), 'path', request.url.path)}"
        allowed = member.may(*needed)
        await audit.record_now(
            session,
            AuditAction.STAFF_KEY_USE if allowed else AuditAction.STAFF_ACCESS_DENY,
            actor=member.actor,
            outcome=Outcome.SUCCESS if allowed else Outcome.DENIED,
            target=Target("route", route),
            client=client,
            details={"needs": sorted(needed)},
        )
        if not allowed:
            raise Forbidden(f"This needs the {describe(needed)} permission.")
        return member

    dependency.permissions = needed  # type: ignore[attr-defined]
    return dependency


def permissions_needed(call: object) -> frozenset[Permission] | None:
    """What a dependency made by ``require`` asks for; None for any other callable."""
    needed = getattr(call, "permissions", None)
    return needed if isinstance(needed, frozenset) else None


PaymentsStaff = Annotated[StaffMember, Depends(require(Permission.WITHDRAWALS_REVIEW))]
AdjustStaff = Annotated[StaffMember, Depends(require(Permission.WALLET_ADJUST))]
RefundStaff = Annotated[StaffMember, Depends(require(Permission.DEPOSITS_REFUND))]
RiskReader = Annotated[StaffMember, Depends(require(Permission.RISK_READ))]
RiskCaseWorker = Annotated[StaffMember, Depends(require(Permission.RISK_CASES_WORK))]
RuleReader = Annotated[StaffMember, Depends(require(Permission.RISK_RULES_READ))]
RuleWriter = Annotated[StaffMember, Depends(require(Permission.RISK_RULES_WRITE))]
RulePublisher = Annotated[StaffMember, Depends(require(Permission.RISK_RULES_PUBLISH))]
AmlReportReader = Annotated[StaffMember, Depends(require(Permission.REPORTS_AML, Permission.REPORTS_READ))]
ReportReader = Annotated[StaffMember, Depends(require(Permission.REPORTS_READ, Permission.REPORTS_AML))]
ErasureStaff = Annotated[StaffMember, Depends(require(Permission.GDPR_ERASE))]
RgReader = Annotated[StaffMember, Depends(require(Permission.RG_READ))]
KycReader = Annotated[StaffMember, Depends(require(Permission.KYC_READ))]
KycReviewer = Annotated[StaffMember, Depends(require(Permission.KYC_REVIEW))]
