"""The staff-key dependency: each staff route asks for the role it needs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from croupier.kit.deps import DbSession
from croupier.kit.errors import Unauthenticated
from croupier.staff.service import StaffMember, StaffRole, authenticate

_bearer = HTTPBearer(auto_error=False, description="A staff key from `croupier staff keys issue`")


def require_role(role: StaffRole, *also: StaffRole) -> Callable[..., Awaitable[StaffMember]]:
    async def dependency(
        session: DbSession,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> StaffMember:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthenticated("Send `Authorization: Bearer <staff key>`.")
        return await authenticate(session, secret=credentials.credentials, role=role, also=frozenset(also))

    return dependency


PaymentsStaff = Annotated[StaffMember, Depends(require_role(StaffRole.PAYMENTS))]
RiskStaff = Annotated[StaffMember, Depends(require_role(StaffRole.RISK))]
ComplianceStaff = Annotated[StaffMember, Depends(require_role(StaffRole.COMPLIANCE))]
# Regulator reports: compliance reads them all; the risk desk the large-transaction report.
ReportStaff = Annotated[StaffMember, Depends(require_role(StaffRole.COMPLIANCE, StaffRole.RISK))]
KycStaff = Annotated[StaffMember, Depends(require_role(StaffRole.KYC))]
