"""The staff dependencies: each staff route declares the permission it needs.

``require(Permission.X)`` admits a caller holding X (or, with several, any one of them)
and answers 401 without credentials, 403 without the permission. The caller is either a
machine with a staff key (``crk_``) or a person with a staff session (``crb_``, as a
bearer token, or on the console's pages in the ``croupier_staff`` cookie) whose second factor is done; before
that, a session gets 403 ``staff_mfa_required`` everywhere. A refusal is a security event
and is audited in a transaction of its own, kept although the request fails; so is every
use of a staff key, allowed or not, with the route it was used on. A session's allowed
calls are not audited one by one: its sign-in is.

The few staff routes that need no permission declare ``StaffSessionAny`` (the sign-in
steps before the second factor, and signing out) or ``SignedInStaff`` (any fully
signed-in person, e.g. ``GET /v1/staff/me``); the sign-in itself and accepting an
invitation are public.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from croupier.audit import service as audit
from croupier.audit.service import Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.kit.deps import Client, DbSession, SettingsDep
from croupier.kit.errors import Forbidden, Unauthenticated
from croupier.staff import staff_sessions
from croupier.staff.access import Permission, describe
from croupier.staff.service import StaffMember, authenticate
from croupier.staff.staff_sessions import SignedIn

SESSION_COOKIE = "croupier_staff"
CONSOLE_PREFIX = "/console"

_bearer = HTTPBearer(
    auto_error=False,
    description="A staff key (`croupier staff keys issue`) or a staff session (POST /v1/staff/sessions)",
)

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _secret(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        return credentials.credentials
    # The cookie opens the console's pages only, whose forms carry CSRF tokens: the JSON API
    # takes bearer tokens, so no page anywhere can ride a browser's cookie to it.
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and request.url.path.startswith(CONSOLE_PREFIX):
        return cookie
    raise Unauthenticated("Send `Authorization: Bearer <staff key or staff session token>`.")


def require(permission: Permission, *alternatives: Permission) -> Callable[..., Awaitable[StaffMember]]:
    needed = frozenset({permission, *alternatives})

    async def dependency(
        request: Request, session: DbSession, settings: SettingsDep, client: Client, credentials: Credentials
    ) -> StaffMember:
        secret = _secret(request, credentials)
        route = f"{request.method} {getattr(request.scope.get('route'), 'path', request.url.path)}"
        by_key = not staff_sessions.is_session_token(secret)
        if by_key:
            member = await authenticate(session, secret=secret)
        else:
            signed_in = await staff_sessions.authenticate(session, settings=settings, token=secret)
            if signed_in.state is not staff_sessions.SessionState.ACTIVE:
                await audit.record_now(
                    session,
                    AuditAction.STAFF_ACCESS_DENY,
                    actor=signed_in.actor,
                    outcome=Outcome.DENIED,
                    target=Target("route", route),
                    client=client,
                    details={"needs": sorted(needed), "by": "session", "reason": str(signed_in.state)},
                )
                signed_in.require_mfa_done()
            member = await staff_sessions.member_of(session, signed_in)
        allowed = member.may(*needed)
        if by_key or not allowed:
            await audit.record_now(
                session,
                AuditAction.STAFF_KEY_USE if allowed else AuditAction.STAFF_ACCESS_DENY,
                actor=member.actor,
                outcome=Outcome.SUCCESS if allowed else Outcome.DENIED,
                target=Target("route", route),
                client=client,
                details={"needs": sorted(needed), "by": "key" if by_key else "session"},
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


async def any_staff_session(
    request: Request, session: DbSession, settings: SettingsDep, credentials: Credentials
) -> SignedIn:
    """A live staff session, second factor done or not (staff keys are not sessions)."""
    secret = _secret(request, credentials)
    if not staff_sessions.is_session_token(secret):
        raise Unauthenticated("This route is for people signed in; send a staff session token.")
    return await staff_sessions.authenticate(session, settings=settings, token=secret)


async def signed_in_staff(signed_in: Annotated[SignedIn, Depends(any_staff_session)]) -> SignedIn:
    """A staff session whose second factor is done; no particular permission needed."""
    signed_in.require_mfa_done()
    return signed_in


StaffSessionAny = Annotated[SignedIn, Depends(any_staff_session)]
SignedInStaff = Annotated[SignedIn, Depends(signed_in_staff)]

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
StaffManager = Annotated[StaffMember, Depends(require(Permission.STAFF_MANAGE))]
