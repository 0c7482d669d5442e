"""Passkeys (WebAuthn) as a second factor: the registration and assertion ceremonies.

Every ceremony starts with a random challenge stored for a few minutes, bound
to the player and a purpose. The response names its challenge inside the
signed clientDataJSON; that challenge is spent before anything else is
checked, in a transaction of its own, so a failed attempt burns it too.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    generate_challenge,
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.crypto.service import player_cipher
from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.identity import notices
from croupier.identity.factors import Method, factors
from croupier.identity.mfa import repository as mfa_repository
from croupier.identity.mfa import service as mfa
from croupier.identity.models import Passkey, Player, WebAuthnChallenge
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.db import autonomous_unit_of_work
from croupier.kit.errors import Conflict, CroupierError, NotFound
from croupier.kit.metrics import MFA_VERIFICATIONS
from croupier.kit.settings import Settings

CHALLENGE_TTL = timedelta(minutes=5)
MAX_PASSKEYS = 10

# What the webauthn parsers raise on hostile input besides their own errors
# (bad base64, wrong JSON types, truncated CBOR).
_MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, IndexError)


class Purpose(StrEnum):
    REGISTER = "register"
    SIGN_IN = "sign_in"
    STEP_UP = "step_up"


class PasskeyRejected(CroupierError):
    code = "invalid_passkey"
    status = 401
    title = "Passkey rejected"


class PasskeyRegistrationRejected(CroupierError):
    code = "passkey_registration_failed"
    status = 422
    title = "Passkey registration could not be verified"


class PasskeyAlreadyRegistered(Conflict):
    code = "passkey_exists"
    title = "This passkey is already registered"


class TooManyPasskeys(Conflict):
    code = "too_many_passkeys"
    title = "Passkey limit reached"


class NoPasskeys(Conflict):
    code = "no_passkeys"
    title = "No passkey is registered"


@dataclass(frozen=True)
class Registered:
    passkey: Passkey
    # Present only when this passkey is the player's first second factor.
    recovery_codes: list[str] | None


def _descriptors(passkeys: Sequence[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=p.credential_id, transports=[AuthenticatorTransport(t) for t in p.transports]
        )
        for p in passkeys
    ]


async def _store_challenge(session: AsyncSession, *, player_id: uuid.UUID, purpose: Purpose) -> bytes:
    now = utcnow()
    challenge = generate_challenge()
    await mfa_repository.delete_stale_challenges(session, player_id, now=now)
    mfa_repository.add_challenge(
        session,
        WebAuthnChallenge(
            player_id=player_id,
            purpose=purpose,
            challenge=challenge,
            expires_at=now + CHALLENGE_TTL,
            created_at=now,
        ),
    )
    await session.flush()
    return challenge


async def _spend_challenge(
    session: AsyncSession, *, player_id: uuid.UUID, purpose: Purpose, client_data_json: bytes
) -> bytes | None:
    """The challenge the response answers, if it was issued for this and is still unspent."""
    try:
        challenge = parse_client_data_json(client_data_json).challenge
    except _MALFORMED:
        return None
    async with autonomous_unit_of_work(session) as own:
        spent = await mfa_repository.spend_challenge(own, player_id, purpose, challenge, now=utcnow())
    return challenge if spent else None


# Registration ---------------------------------------------------------------------------


async def registration_options(
    session: AsyncSession, *, settings: Settings, player: Player
) -> dict[str, Any]:
    existing = await mfa_repository.list_passkeys(session, player.id)
    if len(existing) >= MAX_PASSKEYS:
        raise TooManyPasskeys(f"A player can register at most {MAX_PASSKEYS} passkeys; remove one first.")
    challenge = await _store_challenge(session, player_id=player.id, purpose=Purpose.REGISTER)
    email = (await player_cipher(session, player_id=player.id)).decrypt("email", player.email_enc)
    options = generate_registration_options(
        rp_id=settings.webauthn_rp_id,
        rp_name=settings.webauthn_rp_name,
        user_name=email,
        # The random player id, not the address: the handle is stored on the authenticator.
        user_id=player.id.bytes,
        challenge=challenge,
        timeout=int(CHALLENGE_TTL.total_seconds() * 1000),
        attestation=AttestationConveyancePreference.NONE,
        # A second factor after the password: a non-discoverable key is enough.
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(existing),
    )
    return options_to_json_dict(options)


async def _refuse_registration(
    session: AsyncSession, *, player: Player, client: ClientInfo, reason: str
) -> PasskeyRegistrationRejected:
    await audit.record_now(
        session,
        AuditAction.PASSKEY_REGISTER,
        actor=Actor.player(player.id),
        outcome=Outcome.FAILURE,
        target=Target.player(player.id),
        client=client,
        details={"reason": reason},
    )
    return PasskeyRegistrationRejected(
        "The authenticator's response did not verify; request new options and try again.", reason=reason
    )


async def register(
    session: AsyncSession,
    *,
    settings: Settings,
    player: Player,
    name: str,
    credential: dict[str, Any],
    client: ClientInfo,
) -> Registered:
    # Serialise changes to this player's factors: two first factors at once must not
    # hand out two sets of recovery codes of which only one works.
    await mfa_repository.lock_player_secrets(session, player.id)
    before = await factors(session, player)
    if before.passkeys >= MAX_PASSKEYS:
        raise TooManyPasskeys(f"A player can register at most {MAX_PASSKEYS} passkeys; remove one first.")
    try:
        parsed = parse_registration_credential_json(credential)
    except _MALFORMED:
        raise await _refuse_registration(session, player=player, client=client, reason="malformed") from None
    challenge = await _spend_challenge(
        session,
        player_id=player.id,
        purpose=Purpose.REGISTER,
        client_data_json=parsed.response.client_data_json,
    )
    if challenge is None:
        raise await _refuse_registration(session, player=player, client=client, reason="challenge")
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=settings.webauthn_rp_id,
            expected_origin=settings.webauthn_origin,
        )
    except _MALFORMED:
        raise await _refuse_registration(
            session, player=player, client=client, reason="attestation"
        ) from None
    passkey = await mfa_repository.add_passkey(
        session,
        player_id=player.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t.value for t in parsed.response.transports or []],
        name=name,
        now=utcnow(),
    )
    if passkey is None:
        raise PasskeyAlreadyRegistered("This authenticator is already registered.")
    # The first second factor comes with recovery codes, so losing it never locks the player out.
    codes = None
    if not before.any or before.recovery_codes == 0:
        codes = await mfa.issue_recovery_codes(session, player_id=player.id)
    audit.record(
        session,
        AuditAction.PASSKEY_REGISTER,
        actor=Actor.player(player.id),
        target=Target("passkey", str(passkey.id)),
        client=client,
        details={"aaguid": verified.aaguid, "first_factor": not before.any},
    )
    await record_event(
        session, EventKind.MFA_CHANGED, player_id=player.id, data={"change": "passkey_added"}, client=client
    )
    await notices.factor_changed(session, player=player, what="a passkey was added to your Croupier account")
    return Registered(passkey=passkey, recovery_codes=codes)


async def list_passkeys(session: AsyncSession, *, player: Player) -> Sequence[Passkey]:
    return await mfa_repository.list_passkeys(session, player.id)


async def remove(session: AsyncSession, *, player: Player, passkey_id: uuid.UUID, client: ClientInfo) -> None:
    await mfa_repository.lock_player_secrets(session, player.id)
    passkey = await mfa_repository.get_passkey(session, passkey_id)
    # Another player's passkey is indistinguishable from a missing one.
    if passkey is None or passkey.player_id != player.id:
        raise NotFound("No such passkey.")
    await mfa_repository.delete_passkey(session, passkey_id)
    await mfa.forget_recovery_codes_if_unprotected(session, player=player)
    audit.record(
        session,
        AuditAction.PASSKEY_REMOVE,
        actor=Actor.player(player.id),
        target=Target("passkey", str(passkey_id)),
        client=client,
    )
    await record_event(
        session, EventKind.MFA_CHANGED, player_id=player.id, data={"change": "passkey_removed"}, client=client
    )
    await notices.factor_changed(
        session, player=player, what="a passkey was removed from your Croupier account"
    )


# Assertion -------------------------------------------------------------------------------


async def authentication_options(
    session: AsyncSession, *, settings: Settings, player: Player, purpose: Purpose
) -> dict[str, Any]:
    existing = await mfa_repository.list_passkeys(session, player.id)
    if not existing:
        raise NoPasskeys("This account has no passkey; use another second factor.")
    challenge = await _store_challenge(session, player_id=player.id, purpose=purpose)
    options = generate_authentication_options(
        rp_id=settings.webauthn_rp_id,
        challenge=challenge,
        timeout=int(CHALLENGE_TTL.total_seconds() * 1000),
        allow_credentials=_descriptors(existing),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json_dict(options)


async def verify_assertion(
    session: AsyncSession,
    *,
    settings: Settings,
    player: Player,
    credential: dict[str, Any],
    purpose: Purpose,
    client: ClientInfo,
) -> bool:
    """Check a passkey assertion for ``purpose``, advance its counter and audit the outcome."""
    reason, passkey = await _check_assertion(
        session, settings=settings, player=player, credential=credential, purpose=purpose
    )
    ok = reason is None
    MFA_VERIFICATIONS.labels(Method.PASSKEY, "success" if ok else "failure").inc()
    await mfa.record_verification(
        session,
        player=player,
        method=Method.PASSKEY,
        ok=ok,
        client=client,
        purpose=purpose,
        target=Target("passkey", str(passkey.id)) if passkey else None,
        reason=reason,
    )
    return ok


async def _check_assertion(
    session: AsyncSession,
    *,
    settings: Settings,
    player: Player,
    credential: dict[str, Any],
    purpose: Purpose,
) -> tuple[str | None, Passkey | None]:
    """``(None, passkey)`` when the assertion holds, else the reason it does not."""
    try:
        parsed = parse_authentication_credential_json(credential)
    except _MALFORMED:
        return "malformed", None
    challenge = await _spend_challenge(
        session, player_id=player.id, purpose=purpose, client_data_json=parsed.response.client_data_json
    )
    if challenge is None:
        return "challenge", None
    passkey = await mfa_repository.lock_passkey_by_credential(session, player.id, parsed.raw_id)
    if passkey is None:
        return "unknown_credential", None
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=settings.webauthn_rp_id,
            expected_origin=settings.webauthn_origin,
            credential_public_key=passkey.public_key,
            # Zero turns off the library's counter check, which runs before the
            # signature is verified; ours below runs after, so only a genuinely
            # signed counter that went backwards is reported as a possible clone.
            credential_current_sign_count=0,
        )
    except _MALFORMED:
        return "invalid_assertion", passkey
    # Authenticators without a counter always report zero; once one has counted,
    # a value that does not grow means a second copy of the key is in use.
    if passkey.sign_count > 0 and verified.new_sign_count <= passkey.sign_count:
        return "sign_count_regressed", passkey
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    await session.flush()
    return None, passkey
