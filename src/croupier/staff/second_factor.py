"""The staff second factor: TOTP, enrolled at the first sign-in, then asked at every one.

Secrets are sealed with AES-256-GCM under the keyring's current KEK (staff have no
per-person data key: their accounts are not erased the way a player's personal data is),
bound to the account and the column by the associated data, and resealed under the
newest KEK whenever one is used after a rotation. Codes follow ``identity.mfa.totp``:
30-second steps, one step of drift, and each step accepted once (``totp_last_step``).
A wrong code counts towards the same lockout as a wrong password.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.tags import AuditAction
from croupier.crypto import envelope
from croupier.identity.errors import InvalidOtp
from croupier.identity.mfa import totp
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.keyring import keyring_of
from croupier.kit.settings import Settings
from croupier.staff import repository
from croupier.staff.errors import TotpAlreadyEnrolled, TotpNotStarted
from croupier.staff.lockout import clear, guard_key, record_failure, refuse_if_locked, target_of
from croupier.staff.models import StaffAccount
from croupier.staff.staff_sessions import SignedIn

_ACTIVE_FIELD = "staff.totp_secret"
_PENDING_FIELD = "staff.totp_pending"


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    otpauth_uri: str


def _aad(field: str, account_id: uuid.UUID) -> bytes:
    return f"{field}:{account_id}".encode()


def _seal(session: AsyncSession, field: str, account_id: uuid.UUID, secret: str) -> bytes:
    ring = keyring_of(session)
    return envelope.seal(ring.current_kek, ring.current_version, secret.encode(), _aad(field, account_id))


def _unseal(session: AsyncSession, field: str, account_id: uuid.UUID, blob: bytes) -> str:
    kek = keyring_of(session).kek(envelope.sealed_version(blob))
    return envelope.unseal(kek, blob, _aad(field, account_id)).decode()


async def _locked(session: AsyncSession, signed_in: SignedIn) -> StaffAccount:
    account = await repository.lock_account(session, signed_in.account.id)
    if account is None:  # the account was authenticated in this very transaction
        raise TotpNotStarted()
    return account


async def start_enrolment(session: AsyncSession, *, signed_in: SignedIn) -> TotpEnrolment:
    """A new pending secret for the authenticator app; confirmed by its first code."""
    account = await _locked(session, signed_in)
    if account.totp_enabled_at is not None:
        raise TotpAlreadyEnrolled("This account already has an authenticator app; send its code.")
    secret = totp.new_secret()
    account.totp_pending_enc = _seal(session, _PENDING_FIELD, account.id, secret)
    return TotpEnrolment(secret=secret, otpauth_uri=totp.provisioning_uri(secret, f"staff:{account.email}"))


async def verify(
    session: AsyncSession, *, settings: Settings, signed_in: SignedIn, code: str, client: ClientInfo
) -> SignedIn:
    """Check ``code`` (confirming the enrolment the first time) and open the session fully."""
    key = guard_key(session, signed_in.account.email)
    action = AuditAction.STAFF_SESSION_MFA
    # Otherwise a half-open session would be a way round the lockout to keep guessing.
    await refuse_if_locked(session, key=key, account=signed_in.account, action=action, client=client)
    account = await _locked(session, signed_in)
    enrolling = account.totp_enabled_at is None
    sealed = account.totp_pending_enc if enrolling else account.totp_secret_enc
    if sealed is None:
        raise TotpNotStarted("Start with POST /v1/staff/sessions/current/totp.")
    secret = _unseal(session, _PENDING_FIELD if enrolling else _ACTIVE_FIELD, account.id, sealed)
    # A new secret's steps have no history; an enrolled one's last step is never accepted again.
    last_step = None if enrolling else account.totp_last_step
    now = utcnow()
    step = totp.matching_step(secret, code, at=now.timestamp(), last_used_step=last_step)
    if step is None:
        await record_failure(
            session,
            settings=settings,
            key=key,
            account=account,
            action=action,
            client=client,
            reason="invalid_otp",
        )
        raise InvalidOtp("The code is wrong or was already used; wait for the next one.")
    stale = envelope.sealed_version(sealed) != keyring_of(session).current_version
    if enrolling or stale:
        account.totp_secret_enc = _seal(session, _ACTIVE_FIELD, account.id, secret)
        account.totp_pending_enc = None
    if enrolling:
        account.totp_enabled_at = now
        audit.record(
            session,
            AuditAction.STAFF_ACCOUNT_MFA_ENROL,
            actor=signed_in.actor,
            target=target_of(account),
            client=client,
        )
    account.totp_last_step = step
    account.last_sign_in_at = now
    signed_in.session.mfa_at = now
    await clear(session, key)
    await session.flush()
    audit.record(
        session,
        action,
        actor=signed_in.actor,
        target=target_of(account),
        client=client,
        details={"session_id": str(signed_in.session.id), "enrolled": enrolling},
    )
    return SignedIn(account, signed_in.session)


# Key rotation ------------------------------------------------------------------------------
# Staff are few, so their secrets are resealed in one transaction rather than in batches.


async def sealed_by_kek_version(session: AsyncSession) -> dict[int, int]:
    """How many staff TOTP secrets each KEK version seals (a version in use cannot be retired)."""
    counts: dict[int, int] = {}
    for account in await repository.lock_sealed_secrets(session):
        for blob in (account.totp_secret_enc, account.totp_pending_enc):
            if blob is not None:
                version = envelope.sealed_version(blob)
                counts[version] = counts.get(version, 0) + 1
    return counts


async def reseal_all(session: AsyncSession) -> int:
    """Reseal every staff TOTP secret under the newest KEK; how many were resealed."""
    current = keyring_of(session).current_version
    resealed = 0
    for account in await repository.lock_sealed_secrets(session):
        for field, column in ((_ACTIVE_FIELD, "totp_secret_enc"), (_PENDING_FIELD, "totp_pending_enc")):
            blob: bytes | None = getattr(account, column)
            if blob is not None and envelope.sealed_version(blob) != current:
                setattr(
                    account,
                    column,
                    _seal(session, field, account.id, _unseal(session, field, account.id, blob)),
                )
                resealed += 1
    return resealed
