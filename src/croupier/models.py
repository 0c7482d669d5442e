"""Every table, imported in one place so Alembic sees the whole schema."""

from croupier.audit.models import AuditEvent, AuditHead
from croupier.crypto.models import PlayerDataKey
from croupier.identity.models import (
    MfaTicket,
    Passkey,
    PasswordReset,
    Player,
    PlayerSession,
    RecoveryCode,
    SignInGuard,
    WebAuthnChallenge,
)
from croupier.kit.models import Base
from croupier.mail.models import OutgoingMail

__all__ = [
    "AuditEvent",
    "AuditHead",
    "Base",
    "MfaTicket",
    "OutgoingMail",
    "Passkey",
    "PasswordReset",
    "Player",
    "PlayerDataKey",
    "PlayerSession",
    "RecoveryCode",
    "SignInGuard",
    "WebAuthnChallenge",
]
