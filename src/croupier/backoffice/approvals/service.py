"""Four eyes: one member of staff asks for a sensitive action, another approves it, and only then is it done.

A request names its kind, its subject and the action's parameters. Whoever decides it must
not be who asked and must hold the permission the action needs. Approving runs the action
in the same transaction as the decision, so the two commit together or not at all; a
request decided once cannot be decided again (the row is locked, then its status checked).
A request not decided within ``approval_hours`` expires: it is marked so when touched and
by a periodic job (``approvals.tasks``). A request whose subject leaves the state its action
needs by another path (a withdrawal rejected or cancelled directly) is closed in that
path's transaction (``close_pending``). Every step is audited, and so is a refused attempt
to decide.

What an approved action hands back is audited and answered, except what it shows once
(``Effect.shown_once``, e.g. a new OAuth client's secret): that goes to the checker in the
approval's answer and is stored nowhere.

This module knows the kinds by name only: what each kind does lives with the domain that
owns the action, and the caller hands the handlers in (``approvals.kinds``), so the
domains may ask for approvals without this package importing them back.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.backoffice.approvals import repository
from croupier.backoffice.approvals.models import ApprovalRequest, ApprovalStatus
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.db import autonomous_unit_of_work
from croupier.kit.errors import Conflict, CroupierError, NotFound
from croupier.kit.jsonb import plain
from croupier.kit.settings import Settings
from croupier.staff.access import Permission
from croupier.staff.service import StaffMember

MAX_TEXT = 500


class ApprovalKind(StrEnum):
    WITHDRAWAL_APPROVE = "withdrawal_approve"
    WALLET_ADJUST = "wallet_adjust"
    RULE_SET_PUBLISH = "rule_set_publish"
    STAFF_ROLE_GRANT = "staff_role_grant"
    OAUTH_CLIENT_ADD = "oauth_client_add"
    STAFF_ROLE_DEFINE = "staff_role_define"


# The permission a checker needs for each kind: the one the action needs when done directly.
NEEDS: Mapping[ApprovalKind, Permission] = {
    ApprovalKind.WITHDRAWAL_APPROVE: Permission.WITHDRAWALS_REVIEW,
    ApprovalKind.WALLET_ADJUST: Permission.WALLET_ADJUST,
    ApprovalKind.RULE_SET_PUBLISH: Permission.RISK_RULES_PUBLISH,
    ApprovalKind.STAFF_ROLE_GRANT: Permission.STAFF_MANAGE,
    ApprovalKind.OAUTH_CLIENT_ADD: Permission.KEYS_MANAGE,
    ApprovalKind.STAFF_ROLE_DEFINE: Permission.ROLES_MANAGE,
}
# Whoever holds one of these may see the approvals desk.
APPROVER_PERMISSIONS: frozenset[Permission] = frozenset(NEEDS.values())


@dataclass(frozen=True)
class Effect:
    """What an approved action did: ``summary`` is audited and answered; ``shown_once`` (a new
    secret) is answered to the checker only, never stored in the request or the audit trail."""

    summary: Mapping[str, Any]
    shown_once: Mapping[str, str] = field(default_factory=dict)


# What a kind does once approved: (session, payload, checker) -> a summary of the effect.
Handler = Callable[[AsyncSession, Mapping[str, Any], StaffMember], Awaitable[Mapping[str, Any] | Effect]]


class ApprovalOwnRequest(CroupierError):
    code = "approval_own_request"
    status = 403
    title = "Another member of staff must decide a request you made"


class ApprovalPermissionMissing(CroupierError):
    code = "approval_permission_missing"
    status = 403
    title = "Deciding this request needs the permission its action needs"


class ApprovalNotMaker(CroupierError):
    code = "approval_not_maker"
    status = 403
    title = "Only the member of staff who made a request may cancel it"


class ApprovalBeneficiary(CroupierError):
    code = "approval_beneficiary"
    status = 403
    title = "Another member of staff must approve an action done for you"


class ApprovalExpired(Conflict):
    code = "approval_expired"
    title = "The approval request has expired; ask again"


class ApprovalAlreadyPending(Conflict):
    code = "approval_already_pending"
    title = "A request for a different action on this subject is pending; cancel or reject it first"


class ApprovalNotPending(Conflict):
    code = "approval_not_pending"
    title = "The approval request has been decided already"


def _target(row: ApprovalRequest) -> Target:
    return Target("approval", str(row.id))


def _details(row: ApprovalRequest, **more: Any) -> dict[str, Any]:
    return {"kind": row.kind, "subject": row.subject, "maker": row.maker, **more}


def _expired_entry(session: AsyncSession, row: ApprovalRequest) -> None:
    audit.record(
        session, AuditAction.APPROVAL_EXPIRE, actor=Actor.system(), target=_target(row), details=_details(row)
    )


async def _expire(session: AsyncSession, *, kind: str | None = None, subject: str | None = None) -> int:
    expired = await repository.expire_due(session, now=utcnow(), kind=kind, subject=subject)
    for row in expired:
        _expired_entry(session, row)
    return len(expired)


async def expire_overdue(session: AsyncSession) -> int:
    """Mark every pending request past its expiry expired, each audited; how many there were."""
    return await _expire(session)


async def close_pending(
    session: AsyncSession, *, kind: ApprovalKind, subject: str, actor: Actor, because: str
) -> ApprovalRequest | None:
    """Close the pending request for an action that can no longer be done, because its subject
    left the state the action needs by another path; audited under whoever took that path.

    Call it before locking the subject, in the transaction that changes it: approving locks
    the request and then the subject, so the same order here cannot deadlock with it, and a
    rollback of the change reopens the request.
    """
    row = await repository.close_pending(
        session, kind=kind, subject=subject, now=utcnow(), note=because[:MAX_TEXT]
    )
    if row is not None:
        audit.record(
            session,
            AuditAction.APPROVAL_CLOSE,
            actor=actor,
            target=_target(row),
            details=_details(row, because=because),
        )
    return row


async def ask(
    session: AsyncSession,
    settings: Settings,
    *,
    kind: ApprovalKind,
    subject: str,
    payload: Mapping[str, Any],
    maker: StaffMember,
    reason: str | None,
    client: ClientInfo | None = None,
) -> tuple[ApprovalRequest, bool]:
    """A pending request for the action, and whether it is new (False: the same one was pending
    already); ``ApprovalAlreadyPending`` when a different action on the subject is."""
    await _expire(session, kind=kind, subject=subject)
    reason = (reason or "").strip()[:MAX_TEXT] or None
    row = await repository.add_pending(
        session,
        kind=kind,
        subject=subject,
        payload=plain(dict(payload)),
        maker=maker.name,
        maker_reason=reason,
        permission=NEEDS[kind],
        expires_at=utcnow() + timedelta(hours=settings.approval_hours),
    )
    if row is None:
        pending = await repository.latest_for(session, kind=kind, subject=subject)
        if pending is None or pending.status != ApprovalStatus.PENDING:  # pragma: no cover - just inserted
            raise RuntimeError("broken invariant: the conflicting request is pending")
        if pending.payload != plain(dict(payload)):
            raise ApprovalAlreadyPending(approval_id=str(pending.id))
        return pending, False
    audit.record(
        session,
        AuditAction.APPROVAL_REQUEST,
        actor=maker.actor,
        target=_target(row),
        client=client,
        details=_details(row, permission=row.permission, reason=reason, payload=row.payload),
    )
    return row, True


async def latest_for(session: AsyncSession, *, kind: ApprovalKind, subject: str) -> ApprovalRequest | None:
    return await repository.latest_for(session, kind=kind, subject=subject)


def _may_see(member: StaffMember, row: ApprovalRequest) -> bool:
    return row.maker == member.name or str(row.permission) in {str(p) for p in member.permissions}


async def show(session: AsyncSession, *, request_id: uuid.UUID, viewer: StaffMember) -> ApprovalRequest:
    """One request, to a member who may decide it or made it."""
    row = await repository.get(session, request_id)
    if row is None:
        raise NotFound("No such approval request.")
    if not _may_see(viewer, row):
        raise ApprovalPermissionMissing(f"Seeing this request needs the {row.permission} permission.")
    if row.status == ApprovalStatus.PENDING and row.expires_at <= utcnow():
        await _expire(session, kind=row.kind, subject=row.subject)
        expired = await repository.get(session, request_id)
        if expired is None:  # pragma: no cover - read a moment ago; requests are never deleted
            raise NotFound("No such approval request.")
        row = expired
    return row


async def listing(
    session: AsyncSession, *, viewer: StaffMember, status: ApprovalStatus, limit: int
) -> list[ApprovalRequest]:
    """Requests the viewer may decide or made, in ``status``; the overdue ones are expired first."""
    await _expire(session)
    return await repository.visible(
        session,
        status=status,
        permissions=[str(p) for p in viewer.permissions],
        maker=viewer.name,
        limit=limit,
    )


async def _refuse(
    session: AsyncSession, error: CroupierError, row: ApprovalRequest, member: StaffMember, step: str
) -> CroupierError:
    """Audit a refused attempt to decide (kept although the request fails) and hand the error back."""
    await audit.record_now(
        session,
        AuditAction.APPROVAL_APPROVE if step == "approve" else AuditAction.APPROVAL_REJECT,
        actor=member.actor,
        outcome=Outcome.DENIED,
        target=_target(row),
        details=_details(row, error=error.code),
    )
    return error


async def _admit(session: AsyncSession, row: ApprovalRequest, member: StaffMember, step: str) -> None:
    """Refuse a member who may not take ``step`` on the request: deciding your own request, or
    without the permission its action needs; cancelling someone else's."""
    if step == "cancel":
        if row.maker != member.name:
            raise ApprovalNotMaker()
        return
    if row.maker == member.name:
        raise await _refuse(session, ApprovalOwnRequest(), row, member, step)
    if not member.may(Permission(row.permission)):
        missing = ApprovalPermissionMissing(f"Deciding this request needs the {row.permission} permission.")
        raise await _refuse(session, missing, row, member, step)


async def _open(
    session: AsyncSession, *, request_id: uuid.UUID, member: StaffMember, step: str
) -> ApprovalRequest:
    """The request locked for ``step`` by ``member``: still pending, not expired."""
    seen = await repository.get(session, request_id)
    if seen is None:
        raise NotFound("No such approval request.")
    await _admit(session, seen, member, step)
    if seen.status == ApprovalStatus.PENDING and seen.expires_at <= utcnow():
        # Recorded in a transaction of its own: the refusal below rolls this one back. The
        # row is not locked here yet, so the other transaction does not wait on this one.
        async with autonomous_unit_of_work(session) as other:
            await _expire(other, kind=seen.kind, subject=seen.subject)
        raise ApprovalExpired(f"The request expired at {seen.expires_at.isoformat()}.")
    row = await repository.lock(session, request_id)
    if row is None:  # pragma: no cover - requests are never deleted
        raise NotFound("No such approval request.")
    if row.status == ApprovalStatus.EXPIRED:
        raise ApprovalExpired(f"The request expired at {row.expires_at.isoformat()}.")
    if row.status != ApprovalStatus.PENDING:
        raise ApprovalNotPending(f"The request is {row.status}.", approval_status=row.status)
    if row.expires_at <= utcnow():  # expired while waiting for the lock; the next sweep records it
        raise ApprovalExpired(f"The request expired at {row.expires_at.isoformat()}.")
    return row


async def approve(
    session: AsyncSession,
    *,
    request_id: uuid.UUID,
    checker: StaffMember,
    note: str | None,
    handlers: Mapping[str, Handler],
    client: ClientInfo | None = None,
) -> tuple[ApprovalRequest, Effect]:
    """Approve and do the action, in this transaction; an error from the action leaves the request pending."""
    row = await _open(session, request_id=request_id, member=checker, step="approve")
    handler = handlers.get(row.kind)
    if handler is None:  # pragma: no cover - every kind has a handler (tests/backoffice)
        raise RuntimeError(f"broken invariant: no handler for approvals of kind {row.kind}")
    try:
        done = await handler(session, row.payload, checker)
    except ApprovalBeneficiary as refused:  # the grantee of a role, say: audited as a refusal
        raise await _refuse(session, refused, row, checker, "approve") from None
    effect = done if isinstance(done, Effect) else Effect(done)
    summary = plain(dict(effect.summary))
    row.status, row.checker, row.decided_at = ApprovalStatus.APPROVED, checker.name, utcnow()
    row.checker_note = (note or "").strip()[:MAX_TEXT] or None
    audit.record(
        session,
        AuditAction.APPROVAL_APPROVE,
        actor=checker.actor,
        target=_target(row),
        client=client,
        details=_details(row, note=row.checker_note, effect=summary),
    )
    await session.flush()
    return row, Effect(summary, effect.shown_once)


async def reject(
    session: AsyncSession,
    *,
    request_id: uuid.UUID,
    checker: StaffMember,
    note: str,
    client: ClientInfo | None = None,
) -> ApprovalRequest:
    """Refuse the action; nothing of it is done."""
    row = await _open(session, request_id=request_id, member=checker, step="reject")
    row.status, row.checker, row.decided_at = ApprovalStatus.REJECTED, checker.name, utcnow()
    row.checker_note = note.strip()[:MAX_TEXT] or None
    audit.record(
        session,
        AuditAction.APPROVAL_REJECT,
        actor=checker.actor,
        target=_target(row),
        client=client,
        details=_details(row, note=row.checker_note),
    )
    await session.flush()
    return row


async def cancel(
    session: AsyncSession, *, request_id: uuid.UUID, maker: StaffMember, client: ClientInfo | None = None
) -> ApprovalRequest:
    """The maker withdraws their own pending request."""
    row = await _open(session, request_id=request_id, member=maker, step="cancel")
    row.status, row.decided_at = ApprovalStatus.CANCELLED, utcnow()
    audit.record(
        session,
        AuditAction.APPROVAL_CANCEL,
        actor=maker.actor,
        target=_target(row),
        client=client,
        details=_details(row),
    )
    await session.flush()
    return row
